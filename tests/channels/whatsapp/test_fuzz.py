"""Any JSON at all, however close to the documented shape, is either parsed or a PayloadInvalid
(400): never another exception (a 500 and a provider retrying forever). The close ones are the
real fixtures with random parts replaced by random JSON."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.channels.base import PayloadInvalid, WebhookRequest
from kefu.channels.messenger.adapter import ADAPTER as MESSENGER
from kefu.channels.messenger.config import MessengerConfig
from kefu.channels.whatsapp.adapter import ADAPTER as WHATSAPP
from kefu.channels.whatsapp.config import WhatsAppConfig

WA_CONFIG = WhatsAppConfig(phone_number_id="1", waba_id="2")
FB_CONFIG = MessengerConfig(page_id="1")
# The ids the fixtures are addressed to, so damaged fixtures still reach the deep parsing.
WHATSAPP_REAL = WhatsAppConfig(phone_number_id="106540352242922", waba_id="102290129340398")
MESSENGER_REAL = MessengerConfig(page_id="1234567890123456")
KEYS = st.sampled_from(
    [
        "object",
        "entry",
        "changes",
        "field",
        "value",
        "metadata",
        "phone_number_id",
        "contacts",
        "profile",
        "name",
        "wa_id",
        "messages",
        "statuses",
        "from",
        "id",
        "timestamp",
        "type",
        "text",
        "body",
        "image",
        "document",
        "interactive",
        "button_reply",
        "list_reply",
        "button",
        "reaction",
        "emoji",
        "location",
        "errors",
        "status",
        "recipient_id",
        "messaging",
        "sender",
        "recipient",
        "message",
        "mid",
        "is_echo",
        "attachments",
        "payload",
        "url",
        "postback",
        "title",
        "delivery",
        "mids",
        "watermark",
        "read",
        "quick_reply",
        "reply_to",
        "context",
        "standby",
    ]  # fmt: skip
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["1", "messages", "text", "image", "failed", "read", "page", "subscribe"]),
    st.text(max_size=5),
)
JSON: st.SearchStrategy[Any] = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)


CHANNELS = Path(__file__).parent.parent
WA_FIXTURES = [
    json.loads(p.read_bytes()) for p in sorted((CHANNELS / "whatsapp/fixtures").glob("*"))
]
FB_FIXTURES = [
    json.loads(p.read_bytes()) for p in sorted((CHANNELS / "messenger/fixtures").glob("*"))
]


def _nodes(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON tree."""
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _nodes(value, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, fixtures: list[Any]) -> Any:
    tree = copy.deepcopy(draw(st.sampled_from(fixtures)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_nodes(tree)[1:]))
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON)
        if not _nodes(tree)[1:]:
            break
    return tree


def _request(obj: str, body: Any) -> WebhookRequest:
    if isinstance(body, dict):
        body = {**body, "object": obj}
    return WebhookRequest(json.dumps(body).encode(), {}, {})


@given(JSON)
def test_whatsapp_parse_never_crashes(body: Any) -> None:
    with contextlib.suppress(PayloadInvalid):
        WHATSAPP.parse(_request("whatsapp_business_account", body), WA_CONFIG)


@given(JSON)
def test_messenger_parse_never_crashes(body: Any) -> None:
    with contextlib.suppress(PayloadInvalid):
        MESSENGER.parse(_request("page", body), FB_CONFIG)


@settings(max_examples=300)
@given(mutated(WA_FIXTURES))
def test_whatsapp_parse_of_damaged_fixtures_never_crashes(body: Any) -> None:
    with contextlib.suppress(PayloadInvalid):
        WHATSAPP.parse(WebhookRequest(json.dumps(body).encode(), {}, {}), WHATSAPP_REAL)


@settings(max_examples=300)
@given(mutated(FB_FIXTURES))
def test_messenger_parse_of_damaged_fixtures_never_crashes(body: Any) -> None:
    with contextlib.suppress(PayloadInvalid):
        MESSENGER.parse(WebhookRequest(json.dumps(body).encode(), {}, {}), MESSENGER_REAL)
