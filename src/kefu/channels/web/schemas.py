from __future__ import annotations

from pydantic import BaseModel

from kefu.conversations.schemas import VisitorConversationOut
from kefu.messages.schemas import VisitorMessageOut


class WidgetConfigOut(BaseModel):
    name: str
    greeting: str
    color: str
    locale: str


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
