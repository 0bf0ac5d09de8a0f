"""Sending and fetching files, for agents (console, API) and customers (widget), and the
inbox's attachment settings.

Uploads are read here from the raw request (upload.py), not by FastAPI's form parsing: the
caller and the conversation are checked first, then the body is streamed within the inbox's
limit. A refused upload stores nothing: files are checked while still temporary, put into
storage only when all of them pass, and deleted again if the message is not written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import StreamingResponse

from kefu.attachments.actions import do_update_attachment_settings, stored_files
from kefu.attachments.catalogue import SUPPORTED
from kefu.attachments.checks import check_files
from kefu.attachments.links import check_contact_link
from kefu.attachments.queries import access_attachment, get_public_attachment
from kefu.attachments.responses import file_response
from kefu.attachments.settings import (
    MAX_FILES_PER_MESSAGE,
    AttachmentSettings,
    attachment_settings,
)
from kefu.attachments.upload import FILE_FIELD, OVERHEAD_BYTES, Upload, read_upload
from kefu.auth.dependencies import Agent, RuntimeDep, authenticate_visitor
from kefu.auth.permissions import require_admin
from kefu.bounds import IdPath
from kefu.channels.web.schemas import WidgetMessageSent
from kefu.channels.web.views import VisitorToken, load_inbox
from kefu.conversations.actions import do_start_visitor_conversation
from kefu.conversations.queries import access_conversation
from kefu.conversations.schemas import visitor_conversation_out
from kefu.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from kefu.inboxes.models import Inbox
from kefu.inboxes.queries import access_inbox
from kefu.messages.actions import DuplicateSend, do_send_agent_message, do_send_visitor_message
from kefu.messages.schemas import MessageOut, message_out, visitor_message_out
from kefu.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["attachments"])

# The only routes that accept bodies over KEFU_MAX_BODY_BYTES (see kefu.limits; app.py).
UPLOAD_PATHS = (
    r"/api/v1/conversations/[0-9]+/attachments",
    r"/api/v1/widget/[^/]+/attachments",
)


def upload_body_limit(max_upload_bytes: int) -> int:
    return MAX_FILES_PER_MESSAGE * max_upload_bytes + OVERHEAD_BYTES


def _multipart(**fields: dict[str, Any]) -> dict[str, Any]:
    """The request body for /openapi.json (the view reads it itself)."""
    properties = {
        FILE_FIELD: {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "maxItems": MAX_FILES_PER_MESSAGE,
            "description": "1 to 5 files; each within the inbox's size limit and types.",
        },
        **fields,
    }
    schema = {"type": "object", "required": [FILE_FIELD], "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


_TEXT = {"type": "string", "maxLength": 10_000, "description": "Optional text with the files."}
_CLIENT_MSG_ID = {"type": "string", "minLength": 1, "maxLength": 64}


class AgentFilesForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=10_000)
    kind: Literal["reply", "note"] = "reply"
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)


class VisitorFilesForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=10_000)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)


F = TypeVar("F", bound=BaseModel)


def _form(model: type[F], upload: Upload) -> F:
    try:
        form = model.model_validate(upload.fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}"
        raise InvalidInput(detail, code="invalid_input", detail=detail) from exc
    if not upload.files:
        raise InvalidInput("Attach at least one file.", code="no_attachments")
    return form


# --- agents ---------------------------------------------------------------------------------


@router.post(
    "/conversations/{conversation_id}/attachments",
    response_model=MessageOut,
    status_code=201,
    openapi_extra=_multipart(
        text=_TEXT,
        kind={"type": "string", "enum": ["reply", "note"], "default": "reply"},
        client_msg_id=_CLIENT_MSG_ID,
    ),
)
async def send_agent_files(
    conversation_id: IdPath, request: Request, actor: Agent, runtime: RuntimeDep
) -> MessageOut:
    """A reply or internal note with files (multipart/form-data): the same message as
    `POST …/messages`, events and de-duplication included. Files on a note never reach the
    customer."""
    async with runtime.db.read() as session:
        conversation = await access_conversation(
            session=session, actor=actor, conversation_id=conversation_id
        )
        inbox = await session.get(Inbox, conversation.inbox_id)
    assert inbox is not None  # the conversation's foreign key
    settings = attachment_settings(inbox)
    async with read_upload(
        request,
        max_file_bytes=settings.limit(runtime.settings.max_upload_bytes),
        max_files=MAX_FILES_PER_MESSAGE,
        field_names=AgentFilesForm.model_fields,
    ) as upload:
        form = _form(AgentFilesForm, upload)
        checked = await check_files(upload.files, settings)
        try:
            async with (
                stored_files(runtime.storage, checked) as files,
                runtime.db.write() as session,
            ):
                conversation = await access_conversation(
                    session=session, actor=actor, conversation_id=conversation_id
                )
                message = await do_send_agent_message(
                    session,
                    actor=actor,
                    conversation=conversation,
                    text=form.text,
                    private=form.kind == "note",
                    client_msg_id=form.client_msg_id,
                    attachments=files,
                )
        except DuplicateSend as retry:  # the same send again: its files are not kept twice
            message, conversation = await retry.original(runtime.db)
    return message_out(message, contact_name=conversation.contact.name)


@router.get("/attachments/{attachment_id}", response_class=StreamingResponse)
async def get_agent_file(
    attachment_id: IdPath,
    actor: Agent,
    runtime: RuntimeDep,
    download: Annotated[bool, Query()] = False,
) -> StreamingResponse:
    """A file of a conversation the agent may see (the console's session cookie authenticates
    <img> loads). Raster images inline unless `download`; everything else as an attachment."""
    async with runtime.db.read() as session:
        attachment = await access_attachment(
            session=session, actor=actor, attachment_id=attachment_id
        )
    return await file_response(attachment, runtime.storage, download=download, cross_origin=False)


# --- customers --------------------------------------------------------------------------------


@router.post(
    "/widget/{inbox_key}/attachments",
    response_model=WidgetMessageSent,
    openapi_extra=_multipart(text=_TEXT, client_msg_id=_CLIENT_MSG_ID),
)
async def send_visitor_files(
    inbox_key: str, request: Request, runtime: RuntimeDep, x_kefu_visitor: VisitorToken = None
) -> WidgetMessageSent:
    """A customer's message with files. Needs the visitor token (a customer's first message is
    text): anonymous callers cannot store files."""
    origin = request.headers.get("origin")
    async with runtime.db.read() as session:
        inbox = await load_inbox(session, runtime, inbox_key, origin)
        visitor = await authenticate_visitor(runtime, x_kefu_visitor, inbox.id, session=session)
    settings = attachment_settings(inbox)
    if not settings.customer_uploads:
        raise PermissionDenied(
            "Sending files is turned off for this chat.", code="customer_uploads_off"
        )
    created = True
    async with read_upload(
        request,
        max_file_bytes=settings.limit(runtime.settings.max_upload_bytes),
        max_files=MAX_FILES_PER_MESSAGE,
        field_names=VisitorFilesForm.model_fields,
    ) as upload:
        form = _form(VisitorFilesForm, upload)
        checked = await check_files(upload.files, settings)
        try:
            async with (
                stored_files(runtime.storage, checked) as files,
                runtime.db.write() as session,
            ):
                inbox = await load_inbox(session, runtime, inbox_key, origin)
                conversation, _ = await do_start_visitor_conversation(
                    session, actor=visitor, inbox=inbox, prechat=None
                )
                message = await do_send_visitor_message(
                    session,
                    actor=visitor,
                    conversation=conversation,
                    text=form.text,
                    client_msg_id=form.client_msg_id,
                    attachments=files,
                )
        except DuplicateSend as retry:
            message, conversation = await retry.original(runtime.db)
            created = False
    return WidgetMessageSent(
        visitor_token=runtime.signer.sign_visitor(visitor.contact_id, visitor.inbox_id),
        conversation=visitor_conversation_out(conversation),
        message=visitor_message_out(message),
        created=created,
    )


@router.get("/files/{public_id}", response_class=StreamingResponse)
async def get_visitor_file(
    public_id: str,
    runtime: RuntimeDep,
    t: Annotated[str | None, Query(max_length=200)] = None,
    download: Annotated[bool, Query()] = False,
) -> StreamingResponse:
    """A file through the signed link in a customer's message (`url` in the widget's payloads;
    docs/attachments.md). Expired or altered links answer 403; files on internal notes, 404."""
    if not t:
        raise NotAuthenticated("This file needs a signed link.", code="attachment_link_missing")
    async with runtime.db.read() as session:
        attachment = await get_public_attachment(session=session, public_id=public_id)
    if attachment is None:
        raise NotFound("File not found.")
    check_contact_link(attachment, t, max_age=runtime.settings.attachment_link_seconds)
    return await file_response(attachment, runtime.storage, download=download, cross_origin=True)


# --- settings ---------------------------------------------------------------------------------


class AttachmentSettingsOut(AttachmentSettings):
    """The inbox's settings, with what bounds them (read-only)."""

    hard_cap_bytes: int
    supported_types: list[str]
    max_files: int


def _settings_out(settings: AttachmentSettings, runtime: Runtime) -> AttachmentSettingsOut:
    return AttachmentSettingsOut(
        **settings.model_dump(),
        hard_cap_bytes=runtime.settings.max_upload_bytes,
        supported_types=list(SUPPORTED),
        max_files=MAX_FILES_PER_MESSAGE,
    )


@router.get("/inboxes/{inbox_id}/attachment-settings", response_model=AttachmentSettingsOut)
async def get_attachment_settings(
    inbox_id: IdPath, actor: Agent, runtime: RuntimeDep
) -> AttachmentSettingsOut:
    """Size limit and types for the inbox's files (its members read them to check files before
    sending; admins edit them)."""
    async with runtime.db.read() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
    return _settings_out(attachment_settings(inbox), runtime)


@router.put("/inboxes/{inbox_id}/attachment-settings", response_model=AttachmentSettingsOut)
async def put_attachment_settings(
    inbox_id: IdPath, body: AttachmentSettings, actor: Agent, runtime: RuntimeDep
) -> AttachmentSettingsOut:
    require_admin(actor)
    async with runtime.db.write() as session:
        inbox = await access_inbox(session=session, actor=actor, inbox_id=inbox_id)
        settings = await do_update_attachment_settings(
            session,
            actor=actor,
            inbox=inbox,
            settings=body,
            hard_cap=runtime.settings.max_upload_bytes,
        )
    return _settings_out(settings, runtime)
