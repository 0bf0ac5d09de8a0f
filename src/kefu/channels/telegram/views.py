"""Admin endpoint of the Telegram channel: register kefu's webhook with Telegram.

Telegram has no console to paste a webhook URL into: the bot is told by the setWebhook method.
kefu generates the webhook secret on the first registration (Telegram sends it back in every
update), calls setWebhook, and only then stores the secret, so a refused registration changes
nothing. Registering again keeps the stored secret (and repairs a webhook someone changed).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kefu.auth.dependencies import Agent, RuntimeDep
from kefu.auth.permissions import require_admin
from kefu.auth.sealing import SecretBox
from kefu.bounds import IdPath
from kefu.channels.base import SendFailed, SendRetryable
from kefu.channels.settings import load_channel
from kefu.channels.telegram.adapter import ADAPTER, generate_webhook_secret
from kefu.channels.telegram.client import ALLOWED_UPDATES
from kefu.channels.webhooks import webhook_url
from kefu.errors import InvalidInput, ProviderUnavailable
from kefu.inboxes.actions import do_update_inbox
from kefu.inboxes.queries import access_inbox

router = APIRouter(prefix="/api/v1", tags=["channels"])


class TelegramWebhookOut(BaseModel):
    url: str
    allowed_updates: list[str]


@router.post("/inboxes/{inbox_id}/telegram/webhook", response_model=TelegramWebhookOut)
async def register_telegram_webhook(
    inbox_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> TelegramWebhookOut:
    require_admin(actor)
    box = SecretBox(runtime.settings.effective_secret_key)
    async with runtime.db.read() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
    if inbox.channel_type != ADAPTER.channel_type:
        raise InvalidInput("This is not a Telegram inbox.", code="not_a_telegram_inbox")
    channel = load_channel(inbox, box)
    secret = channel.secrets.webhook_secret or generate_webhook_secret()
    url = webhook_url(runtime.settings, inbox)
    try:
        await ADAPTER.register_webhook(channel.context(runtime.worker.http, inbox.id), url, secret)
    except (SendFailed, SendRetryable) as exc:
        raise ProviderUnavailable(
            f"Telegram refused the webhook: {exc.reason}",
            code="telegram_webhook_refused",
            reason=exc.reason,
        ) from exc
    if secret != channel.secrets.webhook_secret:
        async with runtime.db.write() as session:
            inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
            await do_update_inbox(
                session,
                actor=actor,
                inbox=inbox,
                channel_secrets={"webhook_secret": secret},
                box=box,
                allow_private_urls=runtime.settings.channel_allow_private_urls,
            )
    return TelegramWebhookOut(url=url, allowed_updates=list(ALLOWED_UPDATES))
