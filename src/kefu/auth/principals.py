"""Who is asking: an agent (console session or API token), a widget visitor, or the system."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.users.models import User


@dataclass(frozen=True)
class AgentPrincipal:
    user: User
    via: str  # "session" or "token"

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"

    @property
    def sender_key(self) -> str:
        return f"u:{self.user.id}"


@dataclass(frozen=True, slots=True)  # slots: one lives as long as each widget socket
class VisitorPrincipal:
    contact_id: int
    inbox_id: int

    @property
    def sender_key(self) -> str:
        return f"c:{self.contact_id}"


@dataclass(frozen=True)
class SystemPrincipal:
    """kefu itself: automatic replies, jobs, and (named "bot") the FAQ bot, whose messages carry
    their own sender key so that agents and customers can tell them apart."""

    name: str = "system"

    @property
    def sender_key(self) -> str:
        return BOT_SENDER_KEY if self.name == "bot" else "s:0"


BOT_SENDER_KEY = "b:0"
BOT = SystemPrincipal(name="bot")
Principal = AgentPrincipal | VisitorPrincipal | SystemPrincipal
