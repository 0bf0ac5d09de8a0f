from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from kefu.contacts.schemas import ContactBrief
from kefu.conversations.schemas import ConversationOut
from kefu.messages.schemas import SenderOut

SearchType = Literal["messages", "contacts", "conversations"]


class Segment(BaseModel):
    """A piece of a snippet: render `text` as text, inside <mark> when `match`."""

    text: str
    match: bool


class MessageHit(BaseModel):
    message_id: int
    conversation_id: int
    inbox_id: int
    seq: int
    kind: Literal["incoming", "outgoing", "note"]
    sender: SenderOut
    created_at: datetime
    snippet: list[Segment]
    contact: ContactBrief
    conversation_status: str


class ContactHit(BaseModel):
    contact: ContactBrief
    phone: str | None
    company: str | None
    # Where the query matched: name, email, phone, company.
    matched: list[str]
    snippet: list[Segment]
    conversations: int  # visible to the searching agent


class SearchResults(BaseModel):
    type: SearchType
    query: str
    offset: int
    limit: int
    has_more: bool
    messages: list[MessageHit] = []
    contacts: list[ContactHit] = []
    conversations: list[ConversationOut] = []
