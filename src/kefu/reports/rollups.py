"""A fact's contributions to the rollups, and their incremental maintenance.

Each figure of a conversation is counted at the moment it happened (its *anchor*): created at
`created_at`, first response at the first reply, each next response at its reply, resolution
at `resolved_at`, each survey answer when it was given. A contribution goes to the bucket of
its anchor at both grains, once per dimension value of the conversation (all, its inbox,
channel, team, agent, each tag). When a fact changes, its old contributions are subtracted and
the new ones added; kefu/reports/recompute.py proves the result equals a recomputation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.reports import histogram
from kefu.reports.facts import Fact
from kefu.reports.models import COUNTERS, HISTOGRAMS, report_rollups

QUARTER = timedelta(minutes=15)
GRAINS = ("q", "d")
RowKey = tuple[str, str, str, datetime]  # dim, key, grain, bucket


@dataclass(slots=True)
class Tally:
    """Counters and histograms: one rollup row, a delta to one, or a report's total."""

    counters: dict[str, int] = field(default_factory=dict)
    hists: dict[str, histogram.Histogram] = field(default_factory=dict)

    def add(
        self, counters: Mapping[str, int], hists: Mapping[str, Mapping[int, int]], sign: int = 1
    ) -> None:
        for name, value in counters.items():
            self.counters[name] = self.counters.get(name, 0) + sign * value
        for name, hist in hists.items():
            histogram.add(self.hists.setdefault(name, {}), hist, sign)

    def merge(self, other: Tally, sign: int = 1) -> None:
        self.add(other.counters, other.hists, sign)

    def get(self, name: str) -> int:
        return self.counters.get(name, 0)

    def hist(self, name: str) -> histogram.Histogram:
        return self.hists.get(name, {})

    def clean(self) -> Tally:
        """The same sums without zero entries (for comparisons)."""
        return Tally(
            {k: v for k, v in self.counters.items() if v},
            {k: dict(h) for k, h in self.hists.items() if h},
        )

    def is_zero(self) -> bool:
        return not any(self.counters.values()) and not any(h for h in self.hists.values())


Contribution = tuple[datetime, dict[str, int], dict[str, histogram.Histogram]]


def _one(seconds: int) -> histogram.Histogram:
    return {histogram.bin_of(seconds): 1}


def contributions(fact: Fact) -> Iterator[Contribution]:
    """(anchor, counters, histograms) of every figure the conversation adds to reports."""
    created = {"created": 1}
    created_h: dict[str, histogram.Histogram] = {}
    for name, flag in (
        ("bot_conv", fact.bot),
        ("bot_contained", fact.bot_contained),
        ("bot_handoff", fact.bot_handoff),
        ("sla_n", fact.sla),
        ("sla_breached", fact.sla_breached),
        ("queued", fact.queued),
        ("abandoned", fact.abandoned),
    ):
        if flag:
            created[name] = 1
    if fact.wait_s is not None:
        created.update(wait_n=1, wait_sum=fact.wait_s)
        created_h["h_wait"] = _one(fact.wait_s)
    yield fact.created_at, created, created_h

    if fact.first_response_at is not None and fact.frt_s is not None:
        bh = fact.frt_bh_s if fact.frt_bh_s is not None else fact.frt_s
        yield (
            fact.first_response_at,
            {"frt_n": 1, "frt_sum": fact.frt_s, "frt_bh_sum": bh},
            {"h_frt": _one(fact.frt_s), "h_frt_bh": _one(bh)},
        )
    for at, seconds in fact.responses:
        yield at, {"nrt_n": 1, "nrt_sum": seconds}, {"h_nrt": _one(seconds)}

    if fact.resolved_at is not None and fact.resolution_s is not None:
        bh = fact.resolution_bh_s if fact.resolution_bh_s is not None else fact.resolution_s
        resolved = {"resolved": 1, "res_sum": fact.resolution_s, "res_bh_sum": bh}
        resolved_h = {"h_res": _one(fact.resolution_s), "h_res_bh": _one(bh)}
        if fact.handling_s is not None:
            resolved.update(handling_n=1, handling_sum=fact.handling_s)
            resolved_h["h_handling"] = _one(fact.handling_s)
        if fact.human_replied:
            resolved["fcr_eligible"] = 1
            if fact.reopens == 0 and fact.transfers == 0:
                resolved["fcr"] = 1
        if fact.reopens:
            resolved["reopened"] = 1
        if fact.transfers:
            resolved["transferred"] = 1
        yield fact.resolved_at, resolved, resolved_h

    for at, kind, score in fact.surveys:
        if kind == "csat":
            counters = {"csat_n": 1, "csat_sum": score, f"csat_{score}": 1}
            if score >= 4:
                counters["csat_sat"] = 1
        else:
            counters = {"nps_n": 1}
            if score >= 9:
                counters["nps_pro"] = 1
            elif score <= 6:
                counters["nps_det"] = 1
        yield at, counters, {}


def dimensions(fact: Fact) -> list[tuple[str, str]]:
    """The single-dimension values a fact counts under (both grains)."""
    dims = [("all", ""), ("inbox", str(fact.inbox_id)), ("channel", fact.channel)]
    if fact.team_id is not None:
        dims.append(("team", str(fact.team_id)))
    if fact.agent_id is not None:
        dims.append(("agent", str(fact.agent_id)))
    dims += [("tag", tag) for tag in dict.fromkeys(fact.tags)]
    return dims


# Day rows of the "cube": one cell per inbox x team x agent (and x tag in "cubetag"), so that
# filters on several dimensions at once, over long periods, are sums of a few hundred rows a
# day instead of a pass over the facts (kefu/reports/queries.py). Day grain only: cells are
# about as many as conversations at 15 minutes.
CUBE_DIMS = ("cube", "cubetag")


def cube_key(fact: Fact) -> str:
    return f"i{fact.inbox_id}.t{fact.team_id or 0}.a{fact.agent_id or 0}"


@dataclass(frozen=True, slots=True)
class CubeCell:
    inbox: str
    team: str | None
    agent: str | None
    tag: str | None


def parse_cube_key(key: str) -> CubeCell:
    cell, _, tag = key.partition("|")
    inbox, team, agent = (part[1:] for part in cell.split("."))
    return CubeCell(
        inbox, None if team == "0" else team, None if agent == "0" else agent, tag or None
    )


def cube_dimensions(fact: Fact) -> list[tuple[str, str]]:
    key = cube_key(fact)
    return [("cube", key), *(("cubetag", f"{key}|{tag}") for tag in dict.fromkeys(fact.tags))]


def bucket_of(at: datetime, grain: str) -> datetime:
    at = at.astimezone(UTC)
    if grain == "d":
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def add_fact(deltas: dict[RowKey, Tally], fact: Fact, sign: int = 1) -> None:
    dims = dimensions(fact)
    cube = cube_dimensions(fact)
    for at, counters, hists in contributions(fact):
        for grain in GRAINS:
            bucket = bucket_of(at, grain)
            for dim, key in dims if grain == "q" else dims + cube:
                tally = deltas.get((dim, key, grain, bucket))
                if tally is None:
                    tally = deltas[(dim, key, grain, bucket)] = Tally()
                tally.add(counters, hists, sign)


def tally_of_row(row: Mapping[str, Any]) -> Tally:
    tally = Tally()
    for name in COUNTERS:
        value = row.get(name)
        if value:
            tally.counters[name] = int(value)
    for name in HISTOGRAMS:
        text = row.get(name)
        if text:
            tally.hists[name] = histogram.loads(str(text))
    return tally


def _row_values(tally: Tally) -> dict[str, object]:
    values: dict[str, object] = {name: tally.get(name) for name in COUNTERS}
    values.update({name: histogram.dumps(tally.hist(name)) for name in HISTOGRAMS})
    return values


async def apply_deltas(session: AsyncSession, deltas: Mapping[RowKey, Tally]) -> None:
    """Add `deltas` to the rollup rows: read the rows concerned, add, write back (the caller
    holds the rollups' lock: kefu/reports/refresh.py). Rows that fall to zero are deleted."""
    keys = [key for key, tally in deltas.items() if not tally.is_zero()]
    table = report_rollups
    for chunk in _chunks(keys, 400):
        existing: dict[RowKey, tuple[int, Tally]] = {}
        rows = await session.execute(
            select(table).where(
                tuple_(table.c.dim, table.c.key, table.c.grain, table.c.bucket).in_(chunk)
            )
        )
        for row in rows.mappings():
            key = (row["dim"], row["key"], row["grain"], row["bucket"])
            existing[key] = (int(row["id"]), tally_of_row(dict(row)))
        inserts: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        deletes: list[int] = []
        for key in chunk:
            found = existing.get(key)
            total = Tally()
            if found is not None:
                total.merge(found[1])
            total.merge(deltas[key])
            if found is not None and total.is_zero():
                deletes.append(found[0])
            elif found is not None:
                updates.append({"row_id": found[0], **_row_values(total)})
            elif not total.is_zero():
                dim, name, grain, bucket = key
                inserts.append(
                    {
                        "dim": dim,
                        "key": name,
                        "grain": grain,
                        "bucket": bucket,
                        **_row_values(total),
                    }
                )
        if inserts:
            await session.execute(table.insert(), inserts)
        if updates:
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(name) for name in (*COUNTERS, *HISTOGRAMS)})
            )
            await session.execute(statement, updates)
        if deletes:
            await session.execute(delete(table).where(table.c.id.in_(deletes)))


def _chunks(items: list[RowKey], size: int) -> Iterable[list[RowKey]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
