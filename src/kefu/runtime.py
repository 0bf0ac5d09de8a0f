"""Everything a running node holds: settings, database, broker, realtime hub, signers."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from kefu.auth.ratelimit import SlidingWindowLimiter
from kefu.auth.tokens import TokenSigner
from kefu.bot.runner import BotRunner
from kefu.config import Settings
from kefu.db import Database
from kefu.events.brokers import Broker, make_broker
from kefu.events.types import Event
from kefu.inboxes.cache import InboxCache
from kefu.kb.index_cache import IndexCache
from kefu.realtime.batching import VisitorSendBatcher
from kefu.realtime.hub import Hub
from kefu.routing.dispatcher import Dispatcher
from kefu.storage import LocalStorage, Storage
from kefu.worker.jobs import Worker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    broker: Broker
    hub: Hub
    signer: TokenSigner
    login_limiter: SlidingWindowLimiter
    inboxes: InboxCache
    visitor_sends: VisitorSendBatcher
    # Bounds the widget sockets' connect-time lookups (see realtime/endpoints.py).
    connect_lookups: asyncio.Semaphore
    dispatcher: Dispatcher
    worker: Worker
    # Uploaded files (kefu/storage: local disk by default; an S3-compatible store can implement it).
    storage: Storage
    # The knowledge base's search index, rebuilt when the KB changes (kefu/kb/index_cache.py).
    kb_index: IndexCache
    # The FAQ bot's turns on this node (kefu/bot/runner.py).
    bot: BotRunner

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        broker = make_broker(settings.redis_url)

        async def publish(events: list[Event]) -> None:
            # The data is committed: a broker outage must not turn the request into an error.
            # Clients catch up by resuming from their last seq (the broker asks them to resync).
            try:
                await broker.publish(events)
            except Exception:
                log.exception("publishing %d events failed", len(events))

        db = Database(settings.effective_database_url, publish=publish)
        dispatcher = Dispatcher(db, publish, shared=bool(settings.redis_url))
        db.kick_routing = dispatcher.kick
        kb_index = IndexCache(db)
        bot = BotRunner(settings, db, kb_index)
        db.kick_bot = bot.kick
        hub = Hub()
        storage = LocalStorage(settings.attachments_dir or settings.data_dir / "attachments")
        return cls(
            settings=settings,
            db=db,
            broker=broker,
            hub=hub,
            signer=TokenSigner(settings.effective_secret_key),
            login_limiter=SlidingWindowLimiter(
                settings.login_attempts_per_window, settings.login_window_seconds
            ),
            inboxes=InboxCache(db),
            visitor_sends=VisitorSendBatcher(db),
            connect_lookups=asyncio.Semaphore(16),
            dispatcher=dispatcher,
            worker=Worker(settings, db, hub, dispatcher, storage, bot=bot),
            storage=storage,
            kb_index=kb_index,
            bot=bot,
        )

    async def start(self) -> None:
        await self.broker.start(self.hub.dispatch, self.hub.resync_all)
        if self.settings.worker:
            self.worker.start()
            # Load the segmenter's dictionary and build the KB index now, not on the first
            # customer's question (about a second of CPU, in a thread).
            self.bot.warm_up()

    async def stop(self) -> None:
        await self.worker.stop()
        await self.bot.stop()
        await self.dispatcher.stop()
        await self.hub.close_all()
        await self.broker.stop()
        await self.db.dispose()
