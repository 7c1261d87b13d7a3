"""The apply scripts take a batch's events packed in one argument (``app.store.lua.RECORDS``): a packed
string that does not hold the number of records its caller counted is refused, never applied in part."""

from __future__ import annotations

import pytest
import redis

from app.store import lua
from app.store.connection import register_script
from app.store.keys import CELL_AGENCIES, CELL_REGIONS, Keys


def _unit_record(unit_id: str, ts: int) -> bytes:
    feature = b'{"type":"Feature","id":"%s","properties":{"a|b":"\\u001f"}}' % unit_id.encode()
    return b"%s\x1f%d\x1f%s\x1f%s\x1f%s\x1f[46.1,24.1,%d]\x1e" % (
        unit_id.encode(), ts, CELL_REGIONS[0].encode(), CELL_AGENCIES[0].encode(), feature, ts)


@pytest.mark.parametrize("count", [1, 3])
def test_a_packed_batch_whose_count_is_wrong_is_refused_whole(client: redis.Redis, prefix: str, count: int):
    keys = Keys(prefix)
    script = register_script(client, lua.APPLY_UNITS)
    packed = _unit_record("P1", 1_000) + _unit_record("P2", 1_000)
    args = [10, 60_000, " ".join(CELL_REGIONS), " ".join(CELL_AGENCIES)]
    declared = [keys.unit_index, *keys.unit_cells(), keys.unit_trail("P1"), keys.unit_trail("P2")]
    with pytest.raises(redis.ResponseError, match="packed records: 2 read of"):
        script(keys=declared, args=[*args, count, packed])
    assert client.hlen(keys.unit_index) == 0
    assert script(keys=declared, args=[*args, 2, packed]) == 2
    assert client.hget(keys.unit_live(CELL_REGIONS[0], CELL_AGENCIES[0]), "P2").endswith('"\\u001f"}}')
    assert client.lrange(keys.unit_trail("P1"), 0, -1) == ["[46.1,24.1,1000]"]
