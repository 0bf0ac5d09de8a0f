"""Command line: kefu serve | migrate | createuser | demo | search-reindex."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time

from kefu.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kefu", description="kefu customer service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, create the demo on first start, and serve")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL only)")
    serve.add_argument("--no-demo", action="store_true", help="do not create the demo workspace")
    sub.add_parser("migrate", help="apply database migrations")
    create = sub.add_parser("createuser", help="create a user")
    create.add_argument("email")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("admin", "supervisor", "agent"), default="agent")
    sub.add_parser("demo", help="create the demo workspace if the database has no users")
    sub.add_parser("search-reindex", help="empty the search index; the worker rebuilds it")
    sub.add_parser("reports-rebuild", help="recompute report facts and rollups from raw rows")
    args = parser.parse_args(argv)

    settings = Settings()
    if getattr(args, "host", None):
        settings.host = args.host
    if getattr(args, "port", None):
        settings.port = args.port
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    from kefu.migrate import upgrade

    upgrade(settings.effective_database_url)
    if args.command == "migrate":
        print("database is up to date")
        return 0
    if args.command == "createuser":
        return _createuser(settings, args.email, args.name, args.role)
    if args.command == "search-reindex":
        return _search_reindex(settings)
    if args.command == "reports-rebuild":
        return _reports_rebuild(settings)
    if args.command == "demo":
        from kefu.demo import create_demo_workspace, print_banner

        print_banner(settings, asyncio.run(create_demo_workspace(settings)))
        return 0
    return _serve(settings, workers=args.workers, demo=settings.demo and not args.no_demo)


def _search_reindex(settings: Settings) -> int:
    from kefu.db import Database
    from kefu.search.indexer import do_reset_index

    async def run() -> None:
        db = Database(settings.effective_database_url)
        try:
            await do_reset_index(db)
        finally:
            await db.dispose()

    asyncio.run(run())
    print("search index emptied: running nodes rebuild it in the background")
    return 0


def _reports_rebuild(settings: Settings) -> int:
    from kefu.db import Database
    from kefu.reports.refresh import rebuild_reports

    async def run() -> int:
        db = Database(settings.effective_database_url)
        try:
            return await rebuild_reports(db)
        finally:
            await db.dispose()

    started = time.monotonic()
    count = asyncio.run(run())
    print(f"reports rebuilt: {count} conversations in {time.monotonic() - started:.1f} s")
    return 0


def _serve(settings: Settings, *, workers: int, demo: bool) -> int:
    import os

    import uvicorn

    from kefu.demo import create_demo_workspace, print_banner

    if settings.is_sqlite and workers > 1:
        print("SQLite allows one writer: serving with one worker.", file=sys.stderr)
        workers = 1
    logins = asyncio.run(create_demo_workspace(settings)) if demo else None
    print_banner(settings, logins)
    sys.stdout.flush()
    # Worker processes rebuild Settings from the environment.
    os.environ["KEFU_HOST"] = settings.host
    os.environ["KEFU_PORT"] = str(settings.port)
    os.environ.setdefault("KEFU_SECRET_KEY", settings.effective_secret_key)
    os.environ.setdefault("KEFU_NODE_NAME", settings.node_name)
    uvicorn.run(
        "kefu.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        ws_per_message_deflate=False,
        log_level="warning",
        proxy_headers=False,
    )
    return 0


def _createuser(settings: Settings, email: str, name: str, role: str) -> int:
    from kefu.auth.principals import SystemPrincipal
    from kefu.db import Database
    from kefu.errors import KefuError
    from kefu.users.actions import do_create_user

    password = getpass.getpass("Password (8+ characters): ")
    if len(password) < 8:
        print("password too short", file=sys.stderr)
        return 2

    async def run() -> None:
        db = Database(settings.effective_database_url)
        try:
            async with db.write() as session:
                await do_create_user(
                    session,
                    actor=SystemPrincipal(),
                    email=email,
                    name=name,
                    password=password,
                    role=role,
                )
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except KefuError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"created {role} {email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
