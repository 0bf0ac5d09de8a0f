"""The bot settings API: the stored settings plus the write-only generative API key."""

from __future__ import annotations

from pydantic import Field

from kefu.bot.settings import BotSettings


class BotSettingsIn(BotSettings):
    # None keeps the stored key, "" removes it, anything else replaces it (sealed at rest).
    generative_api_key: str | None = Field(default=None, max_length=500)


class BotSettingsOut(BotSettings):
    generative_api_key_set: bool = False
