from __future__ import annotations

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.db import Base


class SearchState(Base):
    """How far the indexer has read a source table (one row per source, "messages").

    `last_id`: every id up to it has been read; `gaps`: ids below it that were missing when it
    passed them ([[id, first seen (epoch s)], ...]), re-checked until they appear or expire (a
    transaction that took the id may commit after a later one, on PostgreSQL)."""

    __tablename__ = "search_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    gaps: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    indexed: Mapped[int] = mapped_column(Integer, default=0)
