"""Report responses (docs/reports.md, "Reports API")."""

from __future__ import annotations

from pydantic import BaseModel


class RangeOut(BaseModel):
    start: str
    end: str
    tz: str


class CountsOut(BaseModel):
    created: int
    resolved: int


class DurationsOut(BaseModel):
    count: int
    average_s: float | None
    median_s: float | None
    p90_s: float | None


class FcrOut(BaseModel):
    eligible: int
    count: int
    rate: float | None


class ReopenOut(BaseModel):
    resolved: int
    reopened: int
    rate: float | None


class BotOut(BaseModel):
    conversations: int
    contained: int
    handed_off: int
    containment_rate: float | None
    handoff_rate: float | None


class CsatOut(BaseModel):
    responses: int
    average: float | None
    satisfied: int
    satisfied_rate: float | None
    distribution: dict[str, int]


class NpsOut(BaseModel):
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None


class SlaOut(BaseModel):
    conversations: int
    breached: int
    attainment: float | None


class QueueOut(BaseModel):
    queued: int
    wait_median_s: float | None
    wait_p90_s: float | None
    abandoned: int
    abandonment_rate: float | None


class SummaryOut(BaseModel):
    range: RangeOut
    hours: str
    conversations: CountsOut
    first_response: DurationsOut
    next_response: DurationsOut
    resolution: DurationsOut
    handling: DurationsOut
    fcr: FcrOut
    reopen: ReopenOut
    bot: BotOut
    csat: CsatOut
    nps: NpsOut
    sla: SlaOut
    queue: QueueOut


class PointOut(BaseModel):
    start: str
    created: int
    resolved: int
    first_response_median_s: float | None
    first_response_p90_s: float | None
    resolution_median_s: float | None
    csat_average: float | None
    csat_responses: int


class TimeseriesOut(BaseModel):
    range: RangeOut
    interval: str
    points: list[PointOut]


class HeatmapOut(BaseModel):
    range: RangeOut
    cells: list[list[int]]  # 7 weekdays (Monday first) x 24 local hours


class BreakdownRowOut(BaseModel):
    key: str
    label: str
    created: int
    resolved: int
    first_response_median_s: float | None
    first_response_p90_s: float | None
    resolution_median_s: float | None
    handling_average_s: float | None
    fcr_rate: float | None
    csat_average: float | None
    csat_responses: int
    satisfied_rate: float | None
    nps_score: float | None


class BreakdownOut(BaseModel):
    range: RangeOut
    by: str
    rows: list[BreakdownRowOut]
