"""Report tables: one fact row per conversation, and rollups summed over time buckets.

Reports never scan messages: `conversation_facts` holds what the KPIs need about each
conversation (kefu/reports/facts.py computes it from the raw rows), and `report_rollups` holds
its contributions summed per time bucket and dimension value (kefu/reports/rollups.py). The
worker keeps both up to date (kefu/reports/refresh.py); docs/reports.md defines every figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base, UTCDateTime

# Counters summed in every rollup row; docs/reports.md says what each counts.
COUNTERS = (
    "created",
    "resolved",
    "frt_n",
    "frt_sum",
    "frt_bh_sum",
    "nrt_n",
    "nrt_sum",
    "res_sum",
    "res_bh_sum",
    "handling_n",
    "handling_sum",
    "wait_n",
    "wait_sum",
    "queued",
    "abandoned",
    "fcr_eligible",
    "fcr",
    "reopened",
    "transferred",
    "bot_conv",
    "bot_contained",
    "bot_handoff",
    "sla_n",
    "sla_breached",
    "csat_n",
    "csat_sum",
    "csat_sat",
    "csat_1",
    "csat_2",
    "csat_3",
    "csat_4",
    "csat_5",
    "nps_n",
    "nps_pro",
    "nps_det",
)
# Histograms of durations (kefu/reports/histogram.py), for medians and 90th percentiles.
HISTOGRAMS = ("h_frt", "h_frt_bh", "h_nrt", "h_res", "h_res_bh", "h_handling", "h_wait")


class ConversationFact(Base):
    __tablename__ = "conversation_facts"
    __table_args__ = (
        Index("ix_conversation_facts_created", "created_at"),
        Index("ix_conversation_facts_inbox_created", "inbox_id", "created_at"),
        Index("ix_conversation_facts_team_created", "team_id", "created_at"),
        Index("ix_conversation_facts_agent_created", "agent_id", "created_at"),
    )

    conversation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbox_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The latest moment any of its figures is counted at: reports over a range skip facts
    # whose whole life lies before it.
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Copies of `data`'s anchors and durations, for series under filters on several dimensions
    # (kefu/reports/queries.py: SQL reads them without decoding `data`).
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    frt_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frt_bh_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolution_bh_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Everything (times, durations, flags, replies, survey answers): kefu.reports.facts.Fact as
    # JSON. The worker reads it to compute contributions; reports read rollups.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# Contributions summed per bucket: grain "q" (15 minutes, UTC; every real timezone's midnight
# falls on one) or "d" (a UTC day, for long ranges), per dimension value: dim "all" (key ""),
# "inbox", "channel", "team", "agent" or "tag". A Core table: its columns come from the lists
# above, and only kefu/reports/rollups.py writes it.
report_rollups = Table(
    "report_rollups",
    Base.metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("grain", String(1), nullable=False),
    Column("bucket", UTCDateTime, nullable=False),
    Column("dim", String(8), nullable=False),
    Column("key", String(200), nullable=False),
    *(Column(name, BigInteger, nullable=False, default=0) for name in COUNTERS),
    *(Column(name, Text, nullable=False, default="") for name in HISTOGRAMS),
    Index("uq_report_rollups_key", "dim", "key", "grain", "bucket", unique=True),
    # The cube's day rows over a period, whatever their key (kefu/reports/queries.py).
    Index("ix_report_rollups_time", "dim", "grain", "bucket"),
)
