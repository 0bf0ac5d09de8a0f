"""The business's approved message templates, for the console to offer outside the 24-hour
window: GET {api_base}/{version}/{waba_id}/message_templates
(https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from kefu.channels.base import ChannelContext, SendFailed, SendRetryable, TemplateInfo
from kefu.channels.meta.graph import checked_json, graph_error, raise_retryable_or_failed
from kefu.channels.whatsapp.client import RETRYABLE_CODES

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# A business has at most a few hundred templates; the cap keeps a misbehaving API finite.
_MAX_PAGES = 20
_PAGE_SIZE = 100


def _template_info(raw: Any) -> TemplateInfo | None:
    if not isinstance(raw, dict) or raw.get("status", "APPROVED") != "APPROVED":
        return None
    name, language = raw.get("name"), raw.get("language")
    if not isinstance(name, str) or not isinstance(language, str):
        return None
    body = ""
    components = raw.get("components")
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BODY":
            body = str(component.get("text") or "")
    return TemplateInfo(
        name=name,
        language=language,
        category=str(raw.get("category") or ""),
        body_text=body,
        parameter_count=len(set(_PLACEHOLDER.findall(body))),
    )


async def list_templates(ctx: ChannelContext) -> list[TemplateInfo]:
    """Every APPROVED template of the inbox's business account, following the cursor pages on
    api_base (never a "next" URL from the answer, which would carry requests elsewhere).
    Raises SendRetryable / SendFailed like a send does, for the caller to show."""
    config, secrets = ctx.config, ctx.secrets
    url = f"{config.api_base}/{config.api_version}/{config.waba_id}/message_templates"
    params = {
        "status": "APPROVED",
        "fields": "name,language,status,category,components",
        "limit": str(_PAGE_SIZE),
    }
    found: list[TemplateInfo] = []
    for _page in range(_MAX_PAGES):
        try:
            response = await ctx.http.get(
                url, params=params, headers={"Authorization": f"Bearer {secrets.access_token}"}
            )
        except httpx.TransportError as exc:
            raise SendRetryable(f"WhatsApp unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise_retryable_or_failed(
                response, graph_error(response), retryable_codes=RETRYABLE_CODES
            )
        body = checked_json(response, "WhatsApp templates")
        data = body.get("data")
        if not isinstance(data, list):
            raise SendFailed("WhatsApp templates: the answer has no data list")
        found.extend(info for info in map(_template_info, data) if info is not None)
        paging = body.get("paging")
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not isinstance(paging, dict) or "next" not in paging or not after:
            break
        params["after"] = str(after)
    return sorted(found, key=lambda t: (t.name, t.language))
