"""The bot's reports and agent assist: unanswered questions, metrics, suggestions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["bot"])
