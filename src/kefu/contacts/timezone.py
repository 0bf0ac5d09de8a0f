"""The customer's timezone, as their browser reports it (Intl), kept on the contact."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.auth.principals import VisitorPrincipal
from kefu.contacts.models import Contact
from kefu.errors import InvalidInput

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name such as "Asia/Taipei"; InvalidInput for anything else (no
    paths, no POSIX TZ strings, only names the tz database knows)."""
    if len(name) > 64 or not _ZONE_NAME.match(name) or name not in _known_zones():
        raise InvalidInput(f"Unknown timezone {name[:64]!r}.", code="bad_timezone")
    return ZoneInfo(name)


async def do_record_contact_timezone(
    session: AsyncSession, *, actor: VisitorPrincipal, timezone: str
) -> None:
    """Store the timezone the visitor's browser reported (the widget sends it when it changes)."""
    check_timezone(timezone)
    await session.execute(
        update(Contact)
        .where(Contact.id == actor.contact_id)
        .values(timezone=timezone)
        .execution_options(synchronize_session=False)
    )
