"""Writers and reads for the bot's HTTP actions (admins only). Every change is audited and bumps
the KB index revision: an action's names and trigger phrasings are searched like Q&A pairs.

The signing secret is sealed (kefu.auth.sealing) and never returned; audit entries record only
that it changed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.audit.actions import record_audit
from kefu.auth.permissions import actor_user_id, require_admin
from kefu.auth.principals import Principal
from kefu.auth.sealing import SecretBox
from kefu.bot.http_actions import seal_action_secret
from kefu.bot.models import BotAction
from kefu.channels.settings import check_outbound_url
from kefu.db import utcnow
from kefu.errors import Conflict, InvalidInput, NotFound
from kefu.kb.index_cache import bump_revision

KEY = re.compile(r"[a-z0-9][a-z0-9_\-]{0,39}")
LOCALES = ("zh-TW", "en")
MAX_ACTIONS = 100
MAX_NAME_CHARS = 100
MAX_TRIGGER_CHARS = 200
MAX_PROMPT_CHARS = 500
MAX_TEMPLATE_CHARS = 2000


def clean_key(raw: str) -> str:
    key = raw.strip()
    if not KEY.fullmatch(key):
        raise InvalidInput(
            "A key is 1 to 40 lower-case letters, digits, '-' or '_' (e.g. order_status).",
            code="bad_action_key",
        )
    return key


def clean_pattern(raw: str) -> str:
    """The value's pattern must compile and must not accept an empty value (else anything the
    customer types next, even nothing, would be sent)."""
    try:
        compiled = re.compile(raw)
    except (re.error, RecursionError, OverflowError) as exc:
        raise InvalidInput(
            f"The value pattern is not a valid regular expression: {exc}.",
            code="bad_param_pattern",
        ) from exc
    if compiled.fullmatch(""):
        raise InvalidInput(
            "The value pattern must not match an empty value.", code="bad_param_pattern"
        )
    return raw


def clean_url(raw: str, *, allow_private_urls: bool) -> str:
    url = raw.strip()
    try:
        check_outbound_url(url, allow_private=allow_private_urls)
    except InvalidInput as exc:
        message = exc.message.replace("Provider URLs", "Action URLs")
        raise InvalidInput(message, code="bad_action_url") from exc
    if "{" in url or "}" in url:
        # The value goes in the JSON body only: a URL "template" is a misunderstanding.
        raise InvalidInput(
            "The URL cannot contain placeholders: the value is sent in the JSON body.",
            code="bad_action_url",
        )
    return url


def clean_texts(raw: Mapping[str, str], *, limit: int, what: str, required: bool) -> dict[str, str]:
    """Per-locale texts, stripped; empty ones dropped."""
    out: dict[str, str] = {}
    for locale, text in raw.items():
        if locale not in LOCALES:
            raise InvalidInput(f"Unknown language {locale!r}.", code="bad_locale")
        value = text.replace("\r\n", "\n").strip()
        if not value:
            continue
        if len(value) > limit:
            raise InvalidInput(f"The {what} is too long (at most {limit}).", code="text_too_long")
        _check_text(value)
        out[locale] = value
    if required and not out:
        raise InvalidInput(f"Give the {what} in at least one language.", code=f"missing_{what}")
    return {key: out[key] for key in sorted(out)}


def clean_triggers(raw: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for text in raw:
        value = " ".join(text.split())
        if not value:
            continue
        if len(value) > MAX_TRIGGER_CHARS:
            raise InvalidInput(
                f"A trigger phrase is at most {MAX_TRIGGER_CHARS} characters.",
                code="text_too_long",
            )
        _check_text(value)
        seen.setdefault(value, None)
    return list(seen)


def clean_timeout(raw: float) -> float:
    value = float(raw)
    if not 1 <= value <= 10:
        raise InvalidInput("The timeout is 1 to 10 seconds.", code="bad_timeout")
    return value


def _check_text(value: str) -> None:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise InvalidInput("The text contains a control character.", code="bad_text")


def _cleaned(values: Mapping[str, Any], *, allow_private_urls: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "key":
            out[name] = clean_key(value)
        elif name == "names":
            out[name] = clean_texts(value, limit=MAX_NAME_CHARS, what="name", required=True)
        elif name == "triggers":
            out[name] = clean_triggers(value)
        elif name == "prompts":
            out[name] = clean_texts(value, limit=MAX_PROMPT_CHARS, what="prompt", required=False)
        elif name == "param_pattern":
            out[name] = clean_pattern(value)
        elif name == "url":
            out[name] = clean_url(value, allow_private_urls=allow_private_urls)
        elif name == "timeout_seconds":
            out[name] = clean_timeout(value)
        elif name == "answer_templates":
            out[name] = clean_texts(
                value, limit=MAX_TEMPLATE_CHARS, what="answer_template", required=True
            )
        elif name == "not_found_templates":
            out[name] = clean_texts(
                value, limit=MAX_TEMPLATE_CHARS, what="not_found_template", required=False
            )
        elif name == "enabled":
            out[name] = bool(value)
        else:
            raise InvalidInput(f"Unknown field {name!r}.", code="invalid_input")
    return out


async def _flush_unique(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("Another action has this key.", code="action_key_taken") from exc


async def list_actions(*, session: AsyncSession, actor: Principal) -> Sequence[BotAction]:
    require_admin(actor)
    return (await session.scalars(select(BotAction).order_by(BotAction.key))).all()


async def access_action(*, session: AsyncSession, actor: Principal, action_id: int) -> BotAction:
    require_admin(actor)
    action = await session.get(BotAction, action_id)
    if action is None:
        raise NotFound("Bot action not found.", code="action_not_found")
    return action


async def do_create_bot_action(
    session: AsyncSession,
    *,
    actor: Principal,
    values: Mapping[str, Any],
    secret: str | None,
    box: SecretBox,
    allow_private_urls: bool,
) -> BotAction:
    """`values`: the ActionCreate fields except the secret."""
    require_admin(actor)
    cleaned = _cleaned(values, allow_private_urls=allow_private_urls)
    missing = {"key", "names", "param_pattern", "url", "answer_templates"} - cleaned.keys()
    if missing:
        raise InvalidInput(f"Missing: {', '.join(sorted(missing))}.", code="invalid_input")
    count = len((await session.scalars(select(BotAction.id))).all())
    if count >= MAX_ACTIONS:
        raise InvalidInput(
            f"There can be at most {MAX_ACTIONS} bot actions.", code="too_many_actions"
        )
    now = utcnow()
    defaults: dict[str, Any] = {
        "triggers": [],
        "prompts": {},
        "not_found_templates": {},
        "timeout_seconds": 5.0,
        "enabled": True,
    }
    action = BotAction(
        **{**defaults, **cleaned},
        secret=seal_action_secret(box, secret),
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    await _flush_unique(session)
    await bump_revision(session)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="bot_action.created",
        target_type="bot_action",
        target_id=action.id,
        key=action.key,
        url=action.url,
        secret_set=bool(secret),
    )
    return action


async def do_update_bot_action(
    session: AsyncSession,
    *,
    actor: Principal,
    action: BotAction,
    changes: Mapping[str, Any],
    box: SecretBox,
    allow_private_urls: bool,
) -> BotAction:
    """`changes`: the fields given; "secret" present replaces it (None removes it)."""
    require_admin(actor)
    fields = {k: v for k, v in changes.items() if k != "secret" and v is not None}
    cleaned = _cleaned(fields, allow_private_urls=allow_private_urls)
    changed = sorted(k for k, v in cleaned.items() if getattr(action, k) != v)
    for name in changed:
        setattr(action, name, cleaned[name])
    if "secret" in changes:
        action.secret = seal_action_secret(box, changes["secret"])
        changed.append("secret")  # the name only, never the value
    action.updated_at = utcnow()
    await _flush_unique(session)
    await bump_revision(session)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="bot_action.updated",
        target_type="bot_action",
        target_id=action.id,
        key=action.key,
        changed=changed,
    )
    return action


async def do_delete_bot_action(
    session: AsyncSession, *, actor: Principal, action: BotAction
) -> None:
    require_admin(actor)
    record_audit(
        session,
        actor_user_id=actor_user_id(actor),
        action="bot_action.deleted",
        target_type="bot_action",
        target_id=action.id,
        key=action.key,
    )
    await session.delete(action)
    await bump_revision(session)
