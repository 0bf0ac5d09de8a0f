"""Everything a running node holds: settings, database, broker, realtime hub, signers."""

from __future__ import annotations

from dataclasses import dataclass, field

from kefu.auth.ratelimit import SlidingWindowLimiter
from kefu.auth.tokens import TokenSigner
from kefu.config import Settings
from kefu.db import Database
from kefu.events.brokers import Broker, make_broker
from kefu.realtime.hub import Hub


@dataclass
class Runtime:
    settings: Settings
    db: Database
    broker: Broker
    hub: Hub
    signer: TokenSigner
    login_limiter: SlidingWindowLimiter
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        broker = make_broker(settings.redis_url)
        db = Database(settings.effective_database_url, publish=broker.publish)
        return cls(
            settings=settings,
            db=db,
            broker=broker,
            hub=Hub(),
            signer=TokenSigner(settings.effective_secret_key),
            login_limiter=SlidingWindowLimiter(
                settings.login_attempts_per_window, settings.login_window_seconds
            ),
        )

    async def start(self) -> None:
        await self.broker.start(self.hub.dispatch, self.hub.resync_all)

    async def stop(self) -> None:
        await self.hub.close_all()
        await self.broker.stop()
        await self.db.dispose()
