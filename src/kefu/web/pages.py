"""HTML pages and static assets: the console, the widget script and the demo site."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from kefu.auth.dependencies import RuntimeDep
from kefu.bot.settings import bot_settings
from kefu.i18n import pick_locale, translate
from kefu.inboxes.models import Inbox

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)

# img-src https: for contacts' avatars (http(s) URLs only, loaded with no referrer).
CONSOLE_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console")
async def console_redirect() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console/")
async def console_index() -> FileResponse:
    return FileResponse(
        STATIC / "console" / "index.html",
        headers={"content-security-policy": CONSOLE_CSP, "x-frame-options": "DENY"},
    )


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    return FileResponse(
        STATIC / "widget" / "widget.js",
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=300"},
    )


@router.get("/demo")
async def demo_page(request: Request, runtime: RuntimeDep) -> Response:
    """A stand-in for a customer's website, carrying the embed snippet of the first web inbox."""
    async with runtime.db.read() as session:
        inbox = (
            await session.execute(
                select(Inbox).where(Inbox.channel_type == "web").order_by(Inbox.id).limit(1)
            )
        ).scalar_one_or_none()
    return _demo_site(request, inbox)


@router.get("/demo/bot")
async def demo_bot_page(request: Request, runtime: RuntimeDep) -> Response:
    """The demo site with the widget of the first web inbox whose FAQ bot is on."""
    async with runtime.db.read() as session:
        inboxes = await session.scalars(
            select(Inbox).where(Inbox.channel_type == "web").order_by(Inbox.id)
        )
        inbox = next((i for i in inboxes if bot_settings(i).enabled), None)
    return _demo_site(request, inbox)


def _demo_site(request: Request, inbox: Inbox | None) -> Response:
    locale = pick_locale(request.headers.get("accept-language"))
    title = html.escape(translate("demo.title", locale, "kefu demo site"))
    intro = html.escape(translate("demo.intro", locale, "Click the button to chat."))
    snippet = ""
    if inbox is not None:
        key = html.escape(inbox.public_key, quote=True)
        snippet = f'<script src="/widget.js" data-inbox="{key}" async></script>'
    page = f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1rem}}</style></head>
<body><h1>{title}</h1><p>{intro}</p>
{snippet}
</body></html>"""
    return HTMLResponse(page)
