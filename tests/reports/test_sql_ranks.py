"""PostgreSQL's percentile_disc gives the same nearest rank as the Python ranking on SQLite.

figures._timings lets PostgreSQL rank a group's values itself (figures.ranks_in_sql). The two
must agree for every group size, including those where P * n / 100 is a whole number (the
float8 fraction P / 100 must never push ceil() one rank up): the same values go through
`_timings` on both databases and through `_ranked_values`, for every n from 1 to 300.
"""

from __future__ import annotations

import random

from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from mailflow.adapters.db.engine import Database
from mailflow.services.reports.figures import Timing, _ranked_values, _timings


def test_both_databases_rank_every_group_size_alike(database: Database) -> None:
    rng = random.Random(16)
    probe = Table("rank_probe", MetaData(), Column("n", Integer), Column("v", Integer), Column("ok", Integer))
    rows, expected = [], {}
    for n in range(1, 301):
        seconds = [rng.randrange(0, 10**7) for _ in range(n)]
        oks = [rng.randrange(2) for _ in range(n)]
        rows += [{"n": n, "v": v, "ok": ok} for v, ok in zip(seconds, oks, strict=True)]
        expected[(n,)] = _ranked_values(sorted(seconds), sum(oks))
    with database.transaction() as session:
        probe.create(session.connection())
        session.execute(insert(probe), rows)
    with database.reader() as session:
        got = _timings(session, select(probe).subquery("src"), ["n"])
        empty = _timings(session, select(probe).where(probe.c.n < 0).subquery("src"), [])
    assert got == expected
    tenth = sorted(row["v"] for row in rows if row["n"] == 10)
    assert got[(10,)] == Timing(10, sum(r["ok"] for r in rows if r["n"] == 10), tenth[4], tenth[8])
    assert empty == {}  # no group at all, not one of n = 0
