"""Server-side scripts: the compare-and-set steps that must be atomic across ingest workers.

Two workers of one consumer group may hold different entries about the same incident at once; the
"apply only if not older than what is stored" rule is therefore checked and written inside Redis,
in one script call per batch. Keys are built inside the scripts from the prefix (Basira runs on a
single Redis, not a cluster). Numbers are epoch milliseconds, formatted with ``%d`` so that Lua
never prints them in exponent notation.
"""

# ARGV: prefix, duration-ttl-seconds, then per incident 6 values:
#   id, ts, region, agency, status, head
# ``head`` is the incident's GeoJSON Feature as JSON, cut open after its last property; the script
# closes it with the lifecycle times it keeps (opened, dispatched, on_scene), which only it knows.
APPLY_INCIDENTS = r"""
local p = ARGV[1]
local ttl = tonumber(ARGV[2])
local idx = p .. ':inc:idx'
local closed_all = p .. ':inc:closed'
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
local function cell(kind, r, a) return p .. ':inc:' .. kind .. ':' .. r .. ':' .. a end
local function record(metric, region, agency, id, ts, ms)
  local key = p .. ':kpi:' .. metric .. ':' .. region .. ':' .. agency .. ':' .. fmt(math.floor(ts / 3600000))
  redis.call('HSET', key, id, fmt(ms))
  redis.call('EXPIRE', key, ttl)
end
for i = 3, #ARGV, 6 do
  local id, ts, region, agency, status, head =
    ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local prev = redis.call('HGET', idx, id)
  local pts, preg, pag, pst, opened, disp, onsc
  if prev then
    local g = split(prev)
    pts, preg, pag, pst = tonumber(g[1]), g[2], g[3], g[4]
    opened, disp, onsc = num(g[5]), num(g[6]), num(g[7])
  end
  if (not prev) or ts >= pts then
    applied = applied + 1
    if opened == nil then opened = ts end
    if status == 'dispatched' and disp == nil then
      disp = ts
      record('dispatch', region, agency, id, ts, ts - opened)
    elseif status == 'on_scene' and onsc == nil then
      onsc = ts
      record('response', region, agency, id, ts, ts - opened)
    end
    local feature = head .. '"opened":' .. js(opened) .. ',"dispatched":' .. js(disp)
      .. ',"on_scene":' .. js(onsc) .. '}}'
    -- A replayed entry (same ts, same cell, same Feature) is not a change.
    local same = prev and ts == pts and preg == region and pag == agency and pst == status
      and redis.call('HGET', cell(status == 'closed' and 'histf' or 'live', region, agency), id) == feature
    if not same then
      redis.call('ZADD', p .. ':chg:inc:' .. region .. ':' .. agency, now, id)
      if prev and (preg ~= region or pag ~= agency) then
        redis.call('ZADD', p .. ':chg:inc:' .. preg .. ':' .. pag, now, id)
      end
    end
    if prev then
      local moved = preg ~= region or pag ~= agency
      if pst ~= 'closed' and (moved or status == 'closed') then
        redis.call('HDEL', cell('live', preg, pag), id)
      elseif pst == 'closed' and (moved or status ~= 'closed') then
        redis.call('ZREM', cell('hist', preg, pag), id)
        redis.call('HDEL', cell('histf', preg, pag), id)
        if status ~= 'closed' then redis.call('ZREM', closed_all, id) end
      end
    end
    if status == 'closed' then
      redis.call('ZADD', cell('hist', region, agency), ts, id)
      redis.call('HSET', cell('histf', region, agency), id, feature)
      redis.call('ZADD', closed_all, ts, id)
    else
      redis.call('HSET', cell('live', region, agency), id, feature)
    end
    redis.call('HSET', idx, id, table.concat(
      {fmt(ts), region, agency, status, fmt(opened), fmt(disp), fmt(onsc)}, '|'))
  end
end
return applied
"""

# ARGV: prefix, trail-length, trail-ttl-ms, then per unit 6 values:
#   id, ts, region, agency, feature, trail-point
# Units are most of the traffic, so the script reads the batch's index entries with one HMGET and
# writes its net effect with one HSET per touched cell: where each unit ends up, the index, and
# each unit's new trail points in one LPUSH (the same as one LPUSH per point, in order). The rule
# is the one per entry — an entry applies if its ts is not older than the unit's (as it stands
# after the batch's earlier entries); a replayed position (same ts) does not lengthen the trail.
APPLY_UNITS = r"""
local p = ARGV[1]
local trail_n = tonumber(ARGV[2])
local trail_ttl = tonumber(ARGV[3])
local idx = p .. ':unit:idx'
local CHUNK = 1000
local ids = {}
for i = 4, #ARGV, 6 do ids[#ids + 1] = ARGV[i] end
local known = {}
for c = 1, #ids, CHUNK do
  local got = redis.call('HMGET', idx, unpack(ids, c, math.min(c + CHUNK - 1, #ids)))
  for k = 1, #got do
    if got[k] then known[ids[c + k - 1]] = got[k] end
  end
end
local applied = 0
local touched, before, cell_of, feature_of, points, newer = {}, {}, {}, {}, {}, {}
for i = 4, #ARGV, 6 do
  local id, ts, region, agency, feature, point =
    ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
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
      before[id] = prev and (preg .. ':' .. pag) or false
      points[id] = {}
    end
    cell_of[id] = region .. ':' .. agency
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
local gone, into, cells, listed, index = {}, {}, {}, {}, {}
local function group(by, cell)
  if not listed[cell] then listed[cell] = true; cells[#cells + 1] = cell end
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
  each_chunk(scored, 2 * CHUNK, function(...) redis.call('ZADD', p .. ':chg:unit:' .. cell, ...) end)
end
for _, cell in ipairs(cells) do
  local key = p .. ':unit:live:' .. cell
  if gone[cell] then
    each_chunk(gone[cell], CHUNK, function(...) redis.call('HDEL', key, ...) end)
    changed(cell, gone[cell])
  end
  if into[cell] then
    -- ``into`` alternates id and Feature. A replayed position (same ts, same cell, same Feature)
    -- is not a change; only such ties pay for the HGET that tells.
    local list, ids = into[cell], {}
    for k = 1, #list, 2 do
      local id = list[k]
      if newer[id] or before[id] ~= cell or redis.call('HGET', key, id) ~= list[k + 1] then
        ids[#ids + 1] = id
      end
    end
    each_chunk(list, 2 * CHUNK, function(...) redis.call('HSET', key, ...) end)
    changed(cell, ids)
  end
end
if #index > 0 then each_chunk(index, 2 * CHUNK, function(...) redis.call('HSET', idx, ...) end) end
for _, id in ipairs(touched) do
  local list = points[id]
  if #list > 0 then
    local trail = p .. ':unit:trail:' .. id
    each_chunk(list, CHUNK, function(...) redis.call('LPUSH', trail, ...) end)
    redis.call('LTRIM', trail, 0, trail_n - 1)
    redis.call('PEXPIRE', trail, trail_ttl)
  end
end
return applied
"""

# Counting exactly once. ARGV: seen-ttl-seconds, count-ttl-seconds, then per entry:
#   seen-set, member, hash, n, field1, incr1, …, fieldn, incrn
# The increments apply only when ``member`` was not yet in ``seen-set`` (SADD said 1), so a replayed
# or reclaimed entry is never counted twice.
COUNT_ONCE = r"""
local seen_ttl = tonumber(ARGV[1])
local count_ttl = tonumber(ARGV[2])
local applied = 0
local i = 3
while i <= #ARGV do
  local seen, member, hash, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
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

# Keep the newest value per field. ARGV: triples of hash, field, value, where value starts with the
# event time in ms ("<ts>" or "<ts>|<rest>"); an older value never replaces a newer one.
KEEP_NEWEST = r"""
for i = 1, #ARGV, 3 do
  local hash, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local current = redis.call('HGET', hash, field)
  local new_ts = tonumber(string.match(value, '^(%-?%d+)'))
  if (not current) or tonumber(string.match(current, '^(%-?%d+)')) <= new_ts then
    redis.call('HSET', hash, field, value)
  end
end
return 1
"""

# Set hash fields to Redis's clock, in ms. ARGV: hash, field1, field2, …
STAMP_TIME = r"""
local clock = redis.call('TIME')
local now = string.format('%d', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
for i = 2, #ARGV do redis.call('HSET', ARGV[1], ARGV[i], now) end
return now
"""

# End a demo store's demo at the first entry the simulator did not write, in the transaction that
# applies (or rejects) it: no real entry is ever shown as demo data. ARGV: meta hash, the apply time
# (ms), then the distinct stamps of the batch's entries ("" for an entry without one). Any stamp
# other than the store's secret — or any at all when there is none — sets `real` (for good) and
# removes `demo` and the secret. Returns 1 when it did just now.
END_DEMO = r"""
local meta = ARGV[1]
if redis.call('HEXISTS', meta, 'real') == 1 then return 0 end
local token = redis.call('HGET', meta, 'demo_token')
for i = 3, #ARGV do
  if (not token) or ARGV[i] ~= token then
    redis.call('HSET', meta, 'real', ARGV[2])
    redis.call('HDEL', meta, 'demo', 'demo_token')
    return 1
  end
end
return 0
"""
