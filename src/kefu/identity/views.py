"""Identity verification: the inbox's secret and setting (admins), and the widget's identify call
(`POST /api/v1/widget/{inbox_key}/session`), which issues the visitor token of the identified
contact."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kefu.auth.dependencies import Agent, RuntimeDep, authenticate_visitor
from kefu.auth.permissions import require_admin
from kefu.auth.principals import VisitorPrincipal
from kefu.auth.sealing import SecretBox
from kefu.bounds import IdPath
from kefu.channels.web.views import VisitorToken, load_inbox
from kefu.errors import KefuError
from kefu.identity import actions
from kefu.identity.models import InboxIdentity
from kefu.identity.queries import get_inbox_identity
from kefu.identity.schemas import (
    IdentitySettingsOut,
    IdentitySettingsUpdate,
    WidgetIdentifyIn,
    WidgetIdentifyOut,
)
from kefu.inboxes.queries import access_inbox
from kefu.runtime import Runtime

router = APIRouter(tags=["identity"])


def _box(runtime: Runtime) -> SecretBox:
    return SecretBox(runtime.settings.effective_secret_key)


def _out(row: InboxIdentity | None, secret: str | None) -> IdentitySettingsOut:
    return IdentitySettingsOut(
        secret=secret,
        require_verified=bool(row and row.require_verified),
        rotated_at=row.rotated_at if row else None,
    )


@router.get("/api/v1/inboxes/{inbox_id}/identity", response_model=IdentitySettingsOut)
async def get_identity(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> IdentitySettingsOut:
    """Admins only: the secret is what lets a site vouch for any user."""
    require_admin(actor)
    async with runtime.db.read() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        row = await get_inbox_identity(session=session, inbox_id=inbox.id)
    return _out(row, actions.open_secret(row, _box(runtime)))


@router.patch("/api/v1/inboxes/{inbox_id}/identity", response_model=IdentitySettingsOut)
async def update_identity(
    inbox_id: IdPath, body: IdentitySettingsUpdate, actor: Agent, runtime: RuntimeDep
) -> IdentitySettingsOut:
    require_admin(actor)
    async with runtime.db.write() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        row = await actions.do_set_identity_required(
            session, actor=actor, inbox=inbox, required=body.require_verified
        )
    return _out(row, actions.open_secret(row, _box(runtime)))


@router.post("/api/v1/inboxes/{inbox_id}/identity/secret", response_model=IdentitySettingsOut)
async def rotate_secret(inbox_id: IdPath, actor: Agent, runtime: RuntimeDep) -> IdentitySettingsOut:
    require_admin(actor)
    async with runtime.db.write() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        row, secret = await actions.do_rotate_identity_secret(
            session, actor=actor, inbox=inbox, box=_box(runtime)
        )
    return _out(row, secret)


@router.post("/api/v1/widget/{inbox_key}/session", response_model=WidgetIdentifyOut)
async def widget_identify(
    inbox_key: str,
    body: WidgetIdentifyIn,
    request: Request,
    runtime: RuntimeDep,
    x_kefu_visitor: VisitorToken = None,
) -> WidgetIdentifyOut:
    """Identify the visitor as the host site's logged-in user; answers with the token the widget
    uses from now on (GET /session then shows that contact's conversation)."""
    async with runtime.db.write() as session:
        inbox = await load_inbox(session, runtime, inbox_key, request.headers.get("origin"))
        current: VisitorPrincipal | None = None
        if x_kefu_visitor:
            try:
                current = await authenticate_visitor(
                    runtime, x_kefu_visitor, inbox.id, session=session
                )
            except KefuError:
                current = None  # a stale token: identify as a new visitor
        visitor, verified = await actions.do_identify_visitor(
            session, inbox=inbox, current=current, user=body, box=_box(runtime)
        )
    token = runtime.signer.sign_visitor(visitor.contact_id, visitor.inbox_id)
    return WidgetIdentifyOut(visitor_token=token, verified=verified)
