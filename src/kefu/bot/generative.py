"""Optional generative answers through an OpenAI-compatible chat-completions endpoint, grounded
only in the retrieved articles and citing them. Off by default.

Interface fixed for the bot engine; the implementation is being written (issue 7)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import BaseModel


class GenerativeSettings(BaseModel):
    enabled: bool = False
    base_url: str = ""  # e.g. https://api.openai.com/v1 (…/chat/completions is appended)
    model: str = ""
    timeout_seconds: float = 15.0
    # The API key is a secret: sealed in the bot settings' secrets, passed in by the caller.


@dataclass(frozen=True, slots=True)
class SourceArticle:
    article_id: int
    title: str
    body: str  # Markdown
    url: str  # the help-centre page, for the citation


@dataclass(frozen=True, slots=True)
class GenerativeAnswer:
    text: str
    cited_article_ids: tuple[int, ...]


async def draft_answer(
    http: httpx.AsyncClient,
    settings: GenerativeSettings,
    *,
    api_key: str | None,
    question: str,
    sources: list[SourceArticle],
    locale: str,
    allow_private_urls: bool,
) -> GenerativeAnswer | None:
    """None when the model declines (nothing in the sources answers it) or the call fails:
    the bot then hands off as it would without generation."""
    raise NotImplementedError
