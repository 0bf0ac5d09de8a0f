"""Bounded integer types for ids and seqs in requests: larger values would overflow the
database's integer columns (a 500) instead of being refused as bad input (a 422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_INT = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Seq = Annotated[int, Field(ge=0, le=MAX_INT)]
IdPath = Annotated[int, Path(ge=1, le=MAX_INT)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_INT)]
SeqQuery = Annotated[int | None, Query(ge=0, le=MAX_INT)]
BeforeSeqQuery = Annotated[int | None, Query(ge=1, le=MAX_INT)]
