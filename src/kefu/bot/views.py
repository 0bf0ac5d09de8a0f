"""REST endpoints of the FAQ bot: an inbox's bot settings (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.permissions import require_admin
from kefu.auth.sealing import SecretBox
from kefu.bot.actions import SECRETS_KEY, do_update_bot_settings
from kefu.bot.schemas import BotSettingsIn, BotSettingsOut
from kefu.bot.settings import BotSettings, bot_settings
from kefu.bounds import IdPath
from kefu.errors import NotFound
from kefu.inboxes.models import Inbox

router = APIRouter(prefix="/api/v1", tags=["bot"])


def _out(inbox: Inbox) -> BotSettingsOut:
    stored = bot_settings(inbox).model_dump(by_alias=True)
    return BotSettingsOut.model_validate(
        {**stored, "generative_api_key_set": bool((inbox.settings or {}).get(SECRETS_KEY))}
    )


@router.get("/inboxes/{inbox_id}/bot", response_model=BotSettingsOut)
async def get_inbox_bot(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> BotSettingsOut:
    """The inbox's FAQ-bot settings (admins). The generative API key is never returned."""
    require_admin(actor)
    async with runtime.db.read() as session:
        inbox = await session.get(Inbox, inbox_id)
    if inbox is None:
        raise NotFound("Inbox not found.")
    return _out(inbox)


@router.put("/inboxes/{inbox_id}/bot", response_model=BotSettingsOut)
async def put_inbox_bot(
    inbox_id: IdPath, body: BotSettingsIn, actor: Agent, runtime: RuntimeDep
) -> BotSettingsOut:
    """Replace the inbox's bot settings (admins). `generative_api_key`: omitted or null keeps
    the stored key, "" removes it."""
    require_admin(actor)
    settings = BotSettings.model_validate(body.model_dump(exclude={"generative_api_key"}))
    key = body.generative_api_key
    sealed = SecretBox(runtime.settings.effective_secret_key).seal(key) if key else None
    async with runtime.db.write() as session:
        inbox = await session.get(Inbox, inbox_id)
        if inbox is None:
            raise NotFound("Inbox not found.")
        await do_update_bot_settings(
            session,
            actor=actor,
            inbox=inbox,
            settings=settings,
            sealed_api_key=sealed,
            replace_key=key is not None,
        )
    return _out(inbox)
