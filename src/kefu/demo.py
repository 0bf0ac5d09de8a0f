"""The demo workspace created on first start with an empty database."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial

from sqlalchemy import func, select

from kefu.auth.principals import SystemPrincipal
from kefu.bot.actions import do_update_bot_settings
from kefu.bot.settings import BotSettings, MenuItem, in_both
from kefu.config import Settings
from kefu.db import Database
from kefu.demo_history import DEMO_TAGS, DemoPeople, add_demo_history
from kefu.inboxes.actions import do_create_inbox
from kefu.kb.demo_loader import load_demo_kb
from kefu.reports.sample_history import HistoryAgent, HistoryTag, HistoryTeam
from kefu.tags.actions import do_create_tag
from kefu.teams.actions import do_create_team
from kefu.users.actions import do_create_user
from kefu.users.models import User

LOGINS_FILE = "demo-logins.txt"
# The demo bot's welcome menu: an order question and the returns article from the demo
# knowledge base, and a person.
DEMO_BOT_MENU = [
    MenuItem(
        label=in_both("查詢訂單", "Order status"),
        kind="article",
        value="order-status",
    ),
    MenuItem(label=in_both("退換貨", "Returns"), kind="article", value="how-to-return"),
    MenuItem(label=in_both("真人客服", "Talk to a person"), kind="handoff"),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


async def create_demo_workspace(settings: Settings) -> list[DemoLogin] | None:
    """Create an admin, two agents, one team, a website inbox, the demo knowledge base
    (kb/demo/kb.json), a second website inbox where the FAQ bot answers, a few tags and
    (unless settings.demo_history is off) eight weeks of history for reports, unless users
    exist."""
    db = Database(settings.effective_database_url)
    try:
        async with db.write() as session:
            if await session.scalar(select(func.count()).select_from(User)):
                return None
            system = SystemPrincipal()
            logins: list[DemoLogin] = []
            users = []
            for role, email, name, locale in (
                ("admin", "admin@kefu.local", "管理員 Admin", "zh-TW"),
                ("agent", "mei@kefu.local", "王小美 Mei", "zh-TW"),
                ("agent", "alex@kefu.local", "Alex Chen", "en"),
            ):
                password = secrets.token_urlsafe(9)
                user = await do_create_user(
                    session,
                    actor=system,
                    email=email,
                    name=name,
                    password=password,
                    role=role,
                    locale=locale,
                )
                users.append(user)
                logins.append(DemoLogin(role=role, email=email, password=password))
            team = await do_create_team(
                session,
                actor=system,
                name="客服一組 Support",
                member_ids=[u.id for u in users[1:]],
            )
            website = partial(
                do_create_inbox,
                session,
                actor=system,
                locale="zh-TW",
                allowed_origins=[settings.base_url()],
                team_id=team.id,
                member_ids=[u.id for u in users],
            )
            website_inbox = await website(
                name="官網客服 Website",
                greeting="您好!有什麼可以幫您的嗎? Hi! How can we help?",
            )
            await load_demo_kb(session, actor=system)  # help centre, widget search, FAQ bot
            # A second website inbox where the FAQ bot answers first (/demo/bot).
            bot_inbox = await website(name="小幫手 FAQ bot")
            await do_update_bot_settings(
                session,
                actor=system,
                inbox=bot_inbox,
                settings=BotSettings(enabled=True, menu=DEMO_BOT_MENU),
                sealed_api_key=None,
                replace_key=False,
            )
            tags = [await do_create_tag(session, actor=system, name=n) for n in DEMO_TAGS]
            admin, mei, alex = users
            people = DemoPeople(
                website_inbox_id=website_inbox.id,
                bot_inbox_id=bot_inbox.id,
                team=HistoryTeam(team.id, team.name),
                agents=(
                    HistoryAgent(mei.id, mei.name, team.id),
                    HistoryAgent(alex.id, alex.name, team.id),
                    HistoryAgent(admin.id, admin.name, None, weight=0.2),  # helps at peaks
                ),
                tags=tuple(HistoryTag(t.id, t.name) for t in tags),
            )
        if settings.demo_history:
            await add_demo_history(db, people)
    finally:
        await db.dispose()
    path = settings.data_dir / LOGINS_FILE
    path.write_text("".join(f"{x.role}\t{x.email}\t{x.password}\n" for x in logins))
    path.chmod(0o600)
    return logins


def print_banner(settings: Settings, logins: list[DemoLogin] | None) -> None:
    base = settings.base_url()
    print(f"kefu is starting on {base}")
    print(f"  console:   {base}/console/")
    print(f"  demo site: {base}/demo  (carries the chat widget)")
    print(f"  FAQ bot:   {base}/demo/bot  (the widget of the inbox where the bot answers first)")
    print(f"  help:      {base}/help  (the help centre: published articles)")
    print(f"  API docs:  {base}/docs  (OpenAPI: {base}/openapi.json)")
    if logins:
        print("  demo logins (also saved in", settings.data_dir / LOGINS_FILE, "):")
        for login in logins:
            print(f"    {login.role:<6} {login.email:<20} {login.password}")
    elif (settings.data_dir / LOGINS_FILE).exists():
        print(f"  demo logins: see {settings.data_dir / LOGINS_FILE}")
