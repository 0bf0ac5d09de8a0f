from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kefu.attachments.schemas import WidgetAttachmentsOut
from kefu.conversations.schemas import PrechatIn, VisitorConversationOut
from kefu.messages.schemas import VisitorMessageOut


class WidgetTopicOut(BaseModel):
    key: str
    label: str


class WidgetPrechatOut(BaseModel):
    """The pre-chat form the widget shows before the first message (None: no form)."""

    ask_name: bool
    ask_email: bool
    ask_phone: bool
    require_contact: bool
    topics: list[WidgetTopicOut]


class WidgetConfigOut(BaseModel):
    name: str
    greeting: str
    color: str
    locale: str
    prechat: WidgetPrechatOut | None = None
    # Within business hours now (None: the inbox keeps no hours, always open).
    open_now: bool | None = None
    # Customers may ask for the conversation by email (an SMTP server is configured).
    transcript: bool = False
    # Files the customer may send (None: none).
    attachments: WidgetAttachmentsOut | None = None
    # The knowledge base has published articles: the widget shows its help search box.
    help_articles: bool = False


class WidgetMessageIn(BaseModel):
    """A visitor's message; the first one may carry the pre-chat form."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)
    prechat: PrechatIn | None = None


class WidgetSessionOut(BaseModel):
    conversation: VisitorConversationOut | None
    messages: list[VisitorMessageOut]
    has_more: bool


class WidgetMessageSent(BaseModel):
    # Returned so that a first message (sent without a token) gives the visitor their token.
    visitor_token: str
    conversation: VisitorConversationOut
    message: VisitorMessageOut
    created: bool


class WidgetMessagePage(BaseModel):
    messages: list[VisitorMessageOut]
    has_more: bool
