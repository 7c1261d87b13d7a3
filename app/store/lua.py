"""Server-side scripts: the compare-and-set steps that must be atomic across ingest workers.

Two workers of one consumer group may hold different entries about the same incident at once; the
"apply only if not older than what is stored" rule is therefore checked and written inside Redis,
in one script call per batch. Numbers are epoch milliseconds, formatted with ``%d`` so that Lua
never prints them in exponent notation.

Every key a script touches comes in ``KEYS``, named by :class:`~app.store.keys.Keys` (no script
builds a key name): Redis ACL checks the declared keys and Redis Cluster routes and checks a script
by them. Where the key depends on stored state — the scope cell an incident or a unit is in now, read
from its index — the script receives the whole family: every cell's keys, cell by cell in the order
of the region tokens and agencies given in ``ARGV`` (``CELLS``), which it indexes. That is a few
hundred short names a batch, not a round trip.
"""

# The scope cells' keys. ``ARGV`` carries the region tokens and the agencies, each a
# space-separated string; ``KEYS`` from ``base + 1`` holds ``per_cell`` keys for each cell in the
# order region × agency (cell n, from 0, is region n // #agencies, agency n % #agencies). ``cell``
# gives a cell's number, ``key`` the key of one kind (1 … per_cell) of a cell, and ``after`` the
# index of the last cell key. A cell outside the family cannot happen (regions and agencies are
# validated before anything is stored); it is refused rather than written under an undeclared key.
CELLS = r"""
local function cells(regions, agencies, base, per_cell)
  local row, col, n_regions, n_agencies = {}, {}, 0, 0
  for r in string.gmatch(regions, '%S+') do row[r] = n_regions; n_regions = n_regions + 1 end
  for a in string.gmatch(agencies, '%S+') do col[a] = n_agencies; n_agencies = n_agencies + 1 end
  local function cell(region, agency)
    local r, a = row[region], col[agency]
    if r == nil or a == nil then
      error('scope cell ' .. tostring(region) .. ':' .. tostring(agency) .. ' is not among the keys passed')
    end
    return r * n_agencies + a
  end
  local function key(n, kind) return KEYS[base + n * per_cell + kind] end
  return cell, key, base + n_regions * n_agencies * per_cell
end
"""

# A batch's events come packed in one ``ARGV`` string, not as values of their own: redis-py encodes and
# sends, and Redis parses, a handful of arguments a batch instead of six or seven an event. Each event is
# a record of its values, each value followed by the unit separator (byte 31) and the last by the record
# separator (byte 30) instead; none of the values can hold either (ids, region tokens, agencies,
# statuses and numbers are validated, and a Feature is JSON, where control characters are escaped).
# ``rows(packed, n, count)`` returns the records, each a table of its ``n`` values, and refuses a string
# that does not hold exactly ``count`` of them (the caller's count).
RECORDS = r"""
local function rows(packed, n, count)
  local out, pos, last, find, sub = {}, 1, #packed, string.find, string.sub
  while pos <= last do
    local row = {}
    for k = 1, n do
      local j = find(packed, k < n and '\31' or '\30', pos, true)
      if not j then error('packed records: record ' .. (#out + 1) .. ' is cut short') end
      row[k] = sub(packed, pos, j - 1)
      pos = j + 1
    end
    out[#out + 1] = row
  end
  if #out ~= count then
    error('packed records: ' .. #out .. ' read of ' .. tostring(count))
  end
  return out
end
"""

# KEYS: the index, the closed set, the 5 keys of every scope cell (live, hist, histf, chg:inc, slim;
# see ``CELLS``), then the duration hashes the batch may write. ARGV: duration-ttl-seconds, regions,
# agencies, the number of incidents, then the incidents packed in one string (``RECORDS``), 8 values an
# incident:
#   id, ts, region, agency, status, head, slim, duration
# ``head`` is the incident's GeoJSON Feature as JSON, cut open after its last property; the script
# closes it with the lifecycle times it keeps (opened, dispatched, on_scene), which only it knows.
# ``slim`` is its slim row (``Keys.incident_slim``) up to its last value, the time it opened, which the
# script adds; an open incident's row is kept beside its Feature, in the same cell, and leaves with it.
# ``duration`` is the number (from 1) among the duration hashes of the one this event's status
# records into (``dispatch`` for dispatched, ``response`` for on scene, in its cell and hour), or 0.
APPLY_INCIDENTS = CELLS + RECORDS + r"""
local idx, closed_all = KEYS[1], KEYS[2]
local ttl = tonumber(ARGV[1])
local LIVE, HIST, HISTF, CHG, SLIM = 1, 2, 3, 4, 5
local cell, key, durations = cells(ARGV[2], ARGV[3], 2, 5)
local applied = 0
-- Every change is also recorded in its scope cell's change set (id → the time it was applied, by
-- Redis's own clock), which the live feed reads to send only what changed (see app/feed.py).
local clock = redis.call('TIME')
local now = string.format('%d', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
local function num(s) if s == nil or s == '' then return nil end return tonumber(s) end
local function fmt(v) if v == nil then return '' end return string.format('%d', v) end
local function js(v) if v == nil then return 'null' end return string.format('%d', v) end
local function split(s)
  local out, start = {}, 1
  while true do
    local j = string.find(s, '|', start, true)
    if not j then out[#out + 1] = string.sub(s, start); return out end
    out[#out + 1] = string.sub(s, start, j - 1)
    start = j + 1
  end
end
local function record(n, id, ms)
  local hash = KEYS[durations + n]
  redis.call('HSET', hash, id, fmt(ms))
  redis.call('EXPIRE', hash, ttl)
end
for _, row in ipairs(rows(ARGV[5], 8, tonumber(ARGV[4]))) do
  local id, ts, region, agency, status, head, slim, duration =
    row[1], tonumber(row[2]), row[3], row[4], row[5], row[6], row[7], tonumber(row[8])
  local prev = redis.call('HGET', idx, id)
  local pts, preg, pag, pst, opened, disp, onsc
  if prev then
    local g = split(prev)
    pts, preg, pag, pst = tonumber(g[1]), g[2], g[3], g[4]
    opened, disp, onsc = num(g[5]), num(g[6]), num(g[7])
  end
  if (not prev) or ts >= pts then
    applied = applied + 1
    local here = cell(region, agency)
    if opened == nil then opened = ts end
    if status == 'dispatched' and disp == nil then
      disp = ts
      record(duration, id, ts - opened)
    elseif status == 'on_scene' and onsc == nil then
      onsc = ts
      record(duration, id, ts - opened)
    end
    local feature = head .. '"opened":' .. js(opened) .. ',"dispatched":' .. js(disp)
      .. ',"on_scene":' .. js(onsc) .. '}}'
    -- A replayed entry (same ts, same cell, same Feature) is not a change.
    local same = prev and ts == pts and preg == region and pag == agency and pst == status
      and redis.call('HGET', key(here, status == 'closed' and HISTF or LIVE), id) == feature
    local moved = prev and (preg ~= region or pag ~= agency)
    local before = moved and cell(preg, pag) or here
    if not same then
      redis.call('ZADD', key(here, CHG), now, id)
      if moved then
        redis.call('ZADD', key(before, CHG), now, id)
      end
    end
    if prev then
      if pst ~= 'closed' and (moved or status == 'closed') then
        redis.call('HDEL', key(before, LIVE), id)
        redis.call('HDEL', key(before, SLIM), id)
      elseif pst == 'closed' and (moved or status ~= 'closed') then
        redis.call('ZREM', key(before, HIST), id)
        redis.call('HDEL', key(before, HISTF), id)
        if status ~= 'closed' then redis.call('ZREM', closed_all, id) end
      end
    end
    if status == 'closed' then
      redis.call('ZADD', key(here, HIST), ts, id)
      redis.call('HSET', key(here, HISTF), id, feature)
      redis.call('ZADD', closed_all, ts, id)
    else
      redis.call('HSET', key(here, LIVE), id, feature)
      redis.call('HSET', key(here, SLIM), id, slim .. fmt(opened))
    end
    redis.call('HSET', idx, id, table.concat(
      {fmt(ts), region, agency, status, fmt(opened), fmt(disp), fmt(onsc)}, '|'))
  end
end
return applied
"""

# KEYS: the index, the 2 keys of every scope cell (live, chg:unit; see ``CELLS``), then the trail list
# of each distinct unit of the batch, in the order of their first entries. ARGV: trail-length,
# trail-ttl-ms, regions, agencies, the number of units, then the units packed in one string (``RECORDS``),
# 6 values a unit:
#   id, ts, region, agency, feature, trail-point
# Units are most of the traffic, so the script reads the batch's index entries with one HMGET and
# writes its net effect with one HSET per touched cell: where each unit ends up, the index, and
# each unit's new trail points in one LPUSH (the same as one LPUSH per point, in order; LTRIM only
# when the list grew past its length). The rule is the one per entry — an entry applies if its ts is
# not older than the unit's (as it stands after the batch's earlier entries); a replayed position
# (same ts) does not lengthen the trail.
APPLY_UNITS = CELLS + RECORDS + r"""
local idx = KEYS[1]
local trail_n = tonumber(ARGV[1])
local trail_ttl = tonumber(ARGV[2])
local LIVE, CHG = 1, 2
local cell, key, trails = cells(ARGV[3], ARGV[4], 1, 2)
local CHUNK = 1000
local trail_of, distinct = {}, {}
local rows = rows(ARGV[6], 6, tonumber(ARGV[5]))
for _, row in ipairs(rows) do
  local id = row[1]
  row[2] = tonumber(row[2])
  if not trail_of[id] then
    distinct[#distinct + 1] = id
    trail_of[id] = KEYS[trails + #distinct]
  end
end
local known = {}
for c = 1, #distinct, CHUNK do
  local got = redis.call('HMGET', idx, unpack(distinct, c, math.min(c + CHUNK - 1, #distinct)))
  for k = 1, #got do
    if got[k] then known[distinct[c + k - 1]] = got[k] end
  end
end
local applied = 0
local touched, before, cell_of, feature_of, points, newer = {}, {}, {}, {}, {}, {}
for _, row in ipairs(rows) do
  local id, ts, region, agency, feature, point = row[1], row[2], row[3], row[4], row[5], row[6]
  local prev = known[id]
  local pts, preg, pag
  if prev then
    pts, preg, pag = string.match(prev, '^([^|]*)|([^|]*)|([^|]*)$')
    pts = tonumber(pts)
  end
  if (not prev) or ts >= pts then
    applied = applied + 1
    if before[id] == nil then
      touched[#touched + 1] = id
      before[id] = prev and cell(preg, pag) or false
      points[id] = {}
    end
    cell_of[id] = cell(region, agency)
    feature_of[id] = feature
    if (not prev) or ts > pts then newer[id] = true end
    known[id] = string.format('%d', ts) .. '|' .. region .. '|' .. agency
    if trail_n > 0 and ((not prev) or ts > pts) then
      local list = points[id]
      list[#list + 1] = point
    end
  end
end
-- The net effect, grouped by key: HDEL from the cell a unit left, HSET into the one it is in.
local gone, into, touched_cells, listed, index = {}, {}, {}, {}, {}
local function group(by, cell)
  if not listed[cell] then listed[cell] = true; touched_cells[#touched_cells + 1] = cell end
  if not by[cell] then by[cell] = {} end
  return by[cell]
end
for _, id in ipairs(touched) do
  local from, to = before[id], cell_of[id]
  if from and from ~= to then table.insert(group(gone, from), id) end
  local list = group(into, to)
  list[#list + 1] = id
  list[#list + 1] = feature_of[id]
  index[#index + 1] = id
  index[#index + 1] = known[id]
end
local function each_chunk(list, step, fn)
  for c = 1, #list, step do fn(unpack(list, c, math.min(c + step - 1, #list))) end
end
-- The change set of each touched cell (see APPLY_INCIDENTS): every unit that entered, moved or left.
local clock = redis.call('TIME')
local now = string.format('%d', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
local function changed(cell, ids)
  local scored = {}
  for _, id in ipairs(ids) do scored[#scored + 1] = now; scored[#scored + 1] = id end
  local chg = key(cell, CHG)
  each_chunk(scored, 2 * CHUNK, function(...) redis.call('ZADD', chg, ...) end)
end
for _, cell in ipairs(touched_cells) do
  local live = key(cell, LIVE)
  if gone[cell] then
    each_chunk(gone[cell], CHUNK, function(...) redis.call('HDEL', live, ...) end)
    changed(cell, gone[cell])
  end
  if into[cell] then
    -- ``into`` alternates id and Feature. A replayed position (same ts, same cell, same Feature)
    -- is not a change; only such ties pay for the HGET that tells.
    local list, ids = into[cell], {}
    for k = 1, #list, 2 do
      local id = list[k]
      if newer[id] or before[id] ~= cell or redis.call('HGET', live, id) ~= list[k + 1] then
        ids[#ids + 1] = id
      end
    end
    each_chunk(list, 2 * CHUNK, function(...) redis.call('HSET', live, ...) end)
    changed(cell, ids)
  end
end
if #index > 0 then each_chunk(index, 2 * CHUNK, function(...) redis.call('HSET', idx, ...) end) end
for _, id in ipairs(touched) do
  local list = points[id]
  if #list > 0 then
    local trail = trail_of[id]
    local length = 0
    each_chunk(list, CHUNK, function(...) length = redis.call('LPUSH', trail, ...) end)
    if length > trail_n then redis.call('LTRIM', trail, 0, trail_n - 1) end
    redis.call('PEXPIRE', trail, trail_ttl)
  end
end
return applied
"""

# Counting exactly once. KEYS: per entry its seen-set and its hash. ARGV: seen-ttl-seconds,
# count-ttl-seconds, then per entry:
#   member, n, field1, incr1, …, fieldn, incrn
# The increments apply only when ``member`` was not yet in ``seen-set`` (SADD said 1), so a replayed
# or reclaimed entry is never counted twice.
COUNT_ONCE = r"""
local seen_ttl = tonumber(ARGV[1])
local count_ttl = tonumber(ARGV[2])
local applied = 0
local i = 3
for k = 1, #KEYS, 2 do
  local seen, hash, member, n = KEYS[k], KEYS[k + 1], ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  if redis.call('SADD', seen, member) == 1 then
    redis.call('EXPIRE', seen, seen_ttl)
    for j = 0, n - 1 do
      redis.call('HINCRBY', hash, ARGV[i + 2 * j], ARGV[i + 2 * j + 1])
    end
    redis.call('EXPIRE', hash, count_ttl)
    applied = applied + 1
  end
  i = i + 2 * n
end
return applied
"""

# Keep the newest value per field. KEYS: a hash per pair; ARGV: pairs of field and value, where the
# value starts with the event time in ms ("<ts>" or "<ts>|<rest>"); an older value never replaces a
# newer one.
KEEP_NEWEST = r"""
for k = 1, #KEYS do
  local hash, field, value = KEYS[k], ARGV[2 * k - 1], ARGV[2 * k]
  local current = redis.call('HGET', hash, field)
  local new_ts = tonumber(string.match(value, '^(%-?%d+)'))
  if (not current) or tonumber(string.match(current, '^(%-?%d+)')) <= new_ts then
    redis.call('HSET', hash, field, value)
  end
end
return 1
"""

# Set hash fields to Redis's clock, in ms. KEYS: the hash; ARGV: field1, field2, …
STAMP_TIME = r"""
local clock = redis.call('TIME')
local now = string.format('%d', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
for i = 1, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], now) end
return now
"""

# End a demo store's demo at the first entry the simulator did not write, in the transaction that
# applies (or rejects) it: no real entry is ever shown as demo data. KEYS: the meta hash. ARGV: the
# apply time (ms), then the distinct stamps of the batch's entries ("" for an entry without one). Any stamp
# other than the store's secret — or any at all when there is none — sets `real` (for good) and
# removes `demo` and the secret. Returns 1 when it did just now.
END_DEMO = r"""
local meta = KEYS[1]
if redis.call('HEXISTS', meta, 'real') == 1 then return 0 end
local token = redis.call('HGET', meta, 'demo_token')
for i = 2, #ARGV do
  if (not token) or ARGV[i] ~= token then
    redis.call('HSET', meta, 'real', ARGV[1])
    redis.call('HDEL', meta, 'demo', 'demo_token')
    return 1
  end
end
return 0
"""

# --- alerts (app/store/alerts.py) ------------------------------------------------------------------
# An alert is raised once per condition: the condition's mapping, the record, the indexes and the
# stream's "raised" event are one step, refused while the condition is held or cleared less than the
# minimum gap ago. KEYS: conditions, cleared, the record, raised, open, the stream, version. ARGV:
# condition, id, now, min-gap-ms, stream maxlen, then the record's field/value pairs.
RAISE_ALERT = r"""
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local last = redis.call('HGET', KEYS[2], ARGV[1])
if last and tonumber(ARGV[3]) - tonumber(last) < tonumber(ARGV[4]) then
  return -(tonumber(ARGV[4]) - (tonumber(ARGV[3]) - tonumber(last)))
end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], unpack(fields))
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'event', 'raised', 'at', ARGV[3], unpack(fields))
redis.call('INCR', KEYS[7])
return 1
"""

# The condition has ended: forget it (noting when, for the minimum gap) and resolve its alert unless a
# person already has. KEYS: conditions, cleared, the record, open, the stream, version. ARGV:
# condition, id, now, stream maxlen.
CLEAR_ALERT = r"""
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if redis.call('HEXISTS', KEYS[3], 'resolved_at') == 1 then return 1 end
redis.call('HSET', KEYS[3], 'resolved_at', ARGV[3], 'resolved_by', '')
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '*', 'event', 'resolved', 'at', ARGV[3], 'id', ARGV[2],
           'by', '', 'note', 'condition cleared')
redis.call('INCR', KEYS[6])
return 2
"""

# A person acts on an alert: acknowledge, assign (which acknowledges too) or resolve. KEYS: the record,
# open, the stream, version. ARGV: id, action, by, now, note, assignee, stream maxlen. Returns
# 'unknown', 'resolved' (nothing more can be done), 'already' (acknowledged twice) or 'ok'.
ACT_ON_ALERT = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HEXISTS', KEYS[1], 'resolved_at') == 1 then return 'resolved' end
local action, by, now, note = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local acked = redis.call('HEXISTS', KEYS[1], 'acknowledged_at') == 1
if action == 'acknowledge' then
  if acked then return 'already' end
  redis.call('HSET', KEYS[1], 'acknowledged_by', by, 'acknowledged_at', now, 'acknowledge_note', note)
elseif action == 'assign' then
  redis.call('HSET', KEYS[1], 'assigned_to', ARGV[6], 'assigned_by', by, 'assigned_at', now,
             'assign_note', note)
  if not acked then redis.call('HSET', KEYS[1], 'acknowledged_by', by, 'acknowledged_at', now) end
elseif action == 'resolve' then
  redis.call('HSET', KEYS[1], 'resolved_by', by, 'resolved_at', now, 'resolve_note', note)
  if not acked then redis.call('HSET', KEYS[1], 'acknowledged_by', by, 'acknowledged_at', now) end
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  return redis.error_reply('unknown action ' .. action)
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'event', action, 'at', now, 'id', ARGV[1], 'by', by,
           'note', note, 'to', ARGV[6])
redis.call('INCR', KEYS[4])
return 'ok'
"""

# Nobody acknowledged a severe alert in time: mark it escalated (once). KEYS: the record, the stream,
# version. ARGV: id, now, stream maxlen.
ESCALATE_ALERT = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, field in ipairs({'acknowledged_at', 'resolved_at', 'escalated_at'}) do
  if redis.call('HEXISTS', KEYS[1], field) == 1 then return 0 end
end
redis.call('HSET', KEYS[1], 'escalated_at', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', 'escalated', 'at', ARGV[2], 'id', ARGV[1])
redis.call('INCR', KEYS[3])
return 1
"""

# The evaluating worker's lease: taken when free, renewed by its holder, never taken from a live one.
# KEYS: the lease. ARGV: holder, ttl-ms. Returns 1 when ``holder`` holds it now.
HOLD_LEASE = r"""
local held = redis.call('GET', KEYS[1])
if held == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if held == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
