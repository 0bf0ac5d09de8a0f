"""The ASGI application: settings -> runtime (database, broker, hub) -> routers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu import __version__
from kefu.attachments import views as attachment_views
from kefu.attributes import views as attribute_views
from kefu.audit import views as audit_views
from kefu.bot import action_views, report_views
from kefu.bot import views as bot_views
from kefu.canned import views as canned_views
from kefu.channels import reach_views
from kefu.channels import views as channel_views
from kefu.channels import webhooks as webhook_views
from kefu.channels.email.mailroom import start_email_listener
from kefu.channels.telegram import views as telegram_views
from kefu.channels.web import views as widget_views
from kefu.channels.web.cors import WidgetCORSMiddleware
from kefu.config import Settings
from kefu.contacts import suggestion_views
from kefu.contacts import views as contact_views
from kefu.conversations import views as conversation_views
from kefu.conversations import workflow_views
from kefu.errors import KefuError, RateLimited
from kefu.i18n import pick_locale, translate
from kefu.identity import views as identity_views
from kefu.inboxes import views as inbox_views
from kefu.kb import views as kb_views
from kefu.limits import BodySizeLimitMiddleware
from kefu.notifications import views as notification_views
from kefu.realtime import endpoints as realtime_endpoints
from kefu.reports import staffing_views, wallboard_views
from kefu.reports import views as reports_views
from kefu.reports.digests import views as digest_views
from kefu.routing import views as routing_views
from kefu.runtime import Runtime
from kefu.scheduled import views as scheduled_views
from kefu.search import views as search_views
from kefu.surveys import views as survey_views
from kefu.tags import views as tag_views
from kefu.teams import views as team_views
from kefu.transcripts import views as transcript_views
from kefu.users import views as user_views
from kefu.web import pages
from kefu.web.pages import STATIC

log = logging.getLogger(__name__)


def _error_response(
    request: Request, status: int, code: str, message: str, **params: object
) -> JSONResponse:
    locale = pick_locale(request.headers.get("accept-language"))
    text = translate(code, locale, message, **params)
    return JSONResponse({"error": {"code": code, "message": text}}, status_code=status)


def tune_garbage_collector() -> None:
    """Fewer, not longer, collections: a node holds 10,000s of long-lived connection objects, and
    CPython's default thresholds make it re-scan them all often (stop-the-world pauses of up to a
    second under load). Objects alive at start-up are frozen out of collection entirely."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings)
        await runtime.start()
        # Email inboxes' own SMTP listener (KEFU_EMAIL_LISTEN_PORT; off when 0).
        mail_listener = await start_email_listener(settings, runtime.db, runtime.storage)
        if settings.gc_tuning:
            tune_garbage_collector()
        app.state.runtime = runtime
        try:
            yield
        finally:
            if mail_listener is not None:
                mail_listener.close()
            await runtime.stop()

    app = FastAPI(
        title="kefu",
        version=__version__,
        description="Omnichannel customer service. REST API for the console and integrations.",
        lifespan=lifespan,
    )
    app.state.settings = settings

    @app.exception_handler(KefuError)
    async def kefu_error(request: Request, exc: KefuError) -> JSONResponse:
        response = _error_response(request, exc.status_code, exc.code, exc.message, **exc.details)
        if isinstance(exc, RateLimited):
            response.headers["retry-after"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "Invalid request."
        return _error_response(request, 422, "invalid_input", message, detail=message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
        code = codes.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal_error", "Something went wrong.")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "strict-origin-when-cross-origin")
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "node": settings.node_name}

    for module in (
        user_views,
        team_views,
        inbox_views,
        conversation_views,
        widget_views,
        routing_views,
        audit_views,
        contact_views,
        suggestion_views,
        reach_views,
        attribute_views,
        identity_views,
        notification_views,
        attachment_views,
        workflow_views,
        tag_views,
        canned_views,
        search_views,
        channel_views,
        webhook_views,
        telegram_views,
        bot_views,
        action_views,
        report_views,
        reports_views,
        staffing_views,
        kb_views,
        wallboard_views,
        digest_views,
    ):
        app.include_router(module.router)
    for module in (survey_views, scheduled_views, transcript_views):  # + widget routes
        app.include_router(module.router)
        app.include_router(module.widget_router)
    app.include_router(realtime_endpoints.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(WidgetCORSMiddleware)
    upload_limit = attachment_views.upload_body_limit(settings.max_upload_bytes)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger=[(path, upload_limit) for path in attachment_views.UPLOAD_PATHS],
    )
    return app
