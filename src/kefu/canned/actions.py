"""Writers for canned responses. Personal ones belong to their owner alone; shared ones are
managed by admins and supervisors and used by everyone. Content is stored as typed: the
{{variables}} are filled in by the console when an agent inserts the response, and the result
is sent as plain text like any reply."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.principals import AgentPrincipal
from kefu.canned.models import CannedResponse
from kefu.canned.schemas import MAX_CONTENT_CHARS
from kefu.db import utcnow
from kefu.errors import Conflict, InvalidInput, PermissionDenied

MAX_PERSONAL = 200  # per agent
MAX_SHARED = 1000
# Letters (any script), digits, "_", "-" and ".": `/refund`, `/退款`, `/faq.shipping`.
SHORTCUT = re.compile(r"[\w.\-]{1,40}")


def is_lead(actor: AgentPrincipal) -> bool:
    return actor.user.role in ("admin", "supervisor")


def clean_shortcut(raw: str) -> str:
    """Folded to one spelling (NFKC, lower case), without the leading "/"."""
    shortcut = unicodedata.normalize("NFKC", raw).strip().lstrip("/").casefold()
    if not SHORTCUT.fullmatch(shortcut):
        raise InvalidInput(
            "A shortcut is 1 to 40 letters, digits, '-', '_' or '.', without spaces.",
            code="bad_shortcut",
        )
    return shortcut


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise InvalidInput("A canned response needs a title.", code="empty_title")
    if any(unicodedata.category(ch) == "Cc" for ch in title):
        raise InvalidInput("The title contains a control character.", code="bad_text")
    return title


def clean_content(raw: str) -> str:
    content = raw.replace("\r\n", "\n").strip()
    if not content:
        raise InvalidInput("A canned response needs some text.", code="empty_message")
    if len(content) > MAX_CONTENT_CHARS:
        raise InvalidInput("The message is too long.", code="message_too_long")
    if "\x00" in content:
        raise InvalidInput("The message contains a NUL character.", code="bad_text")
    return content


def _require_scope_manager(actor: AgentPrincipal, canned_owner_id: int | None) -> None:
    if canned_owner_id is None and not is_lead(actor):
        raise PermissionDenied(
            "Only admins and supervisors manage shared canned responses.",
            code="shared_canned_for_leads",
        )


async def _room(session: AsyncSession, owner_id: int | None) -> None:
    owner = (
        CannedResponse.owner_id.is_(None)
        if owner_id is None
        else CannedResponse.owner_id == owner_id
    )
    count = int(await session.scalar(select(func.count(CannedResponse.id)).where(owner)) or 0)
    limit = MAX_SHARED if owner_id is None else MAX_PERSONAL
    if count >= limit:
        raise InvalidInput(
            f"There can be at most {limit} canned responses here.",
            code="too_many_canned",
            max=limit,
        )


async def _flush_unique(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This shortcut is already used (in this scope and language).",
            code="canned_shortcut_taken",
        ) from exc


def _audit(
    session: AsyncSession, actor: AgentPrincipal, action: str, canned: CannedResponse
) -> None:
    if canned.owner_id is None:  # shared responses are team settings: audited
        record_audit(
            session,
            actor_user_id=actor.user_id,
            action=action,
            target_type="canned_response",
            target_id=canned.id,
            shortcut=canned.shortcut,
        )


async def do_create_canned(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    scope: str,
    shortcut: str,
    title: str,
    content: str,
    locale: str | None,
) -> CannedResponse:
    owner_id = None if scope == "shared" else actor.user_id
    _require_scope_manager(actor, owner_id)
    canned = CannedResponse(
        owner_id=owner_id,
        shortcut=clean_shortcut(shortcut),
        title=clean_title(title),
        content=clean_content(content),
        locale=locale or "",
        created_by_id=actor.user_id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    await _room(session, owner_id)
    session.add(canned)
    await _flush_unique(session)
    _audit(session, actor, "canned.created", canned)
    return canned


async def do_update_canned(
    session: AsyncSession,
    *,
    actor: AgentPrincipal,
    canned: CannedResponse,
    changes: dict[str, str | None],
) -> CannedResponse:
    """`changes`: the fields given (shortcut, title, content, locale; locale None = any). The
    caller got `canned` through access_canned (so a personal one is the actor's own)."""
    _require_scope_manager(actor, canned.owner_id)
    if changes.get("shortcut") is not None:
        canned.shortcut = clean_shortcut(str(changes["shortcut"]))
    if changes.get("title") is not None:
        canned.title = clean_title(str(changes["title"]))
    if changes.get("content") is not None:
        canned.content = clean_content(str(changes["content"]))
    if "locale" in changes:
        canned.locale = changes["locale"] or ""
    canned.updated_at = utcnow()
    await _flush_unique(session)
    _audit(session, actor, "canned.updated", canned)
    return canned


async def do_delete_canned(
    session: AsyncSession, *, actor: AgentPrincipal, canned: CannedResponse
) -> None:
    _require_scope_manager(actor, canned.owner_id)
    _audit(session, actor, "canned.deleted", canned)
    await session.delete(canned)
