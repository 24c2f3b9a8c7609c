"""This process's end of the change notices (``models.events``) of one database: who subscribed,
and how notices reach them.

- Notices published in this process arrive on whatever thread committed (a worker, the file
  connector's thread) and are handed to the event loop; from there each subscriber whose filter
  takes a notice gets it in its own bounded queue. Filters are cheap (kind, ids, tools): anything
  needing the database happens later, in the worker pool, for the notices a subscriber takes.
- On PostgreSQL one connection per process LISTENs on the channel (started with the application,
  reconnecting with backoff when it drops) and hands other processes' notices to the same
  subscribers, and user changes to the token cache. Live notices (an import's progress) are sent
  to the other processes on one more connection of this process, opened when first needed.
- On SQLite (one process) the local hand-off is all there is.

No broker: PostgreSQL is the only thing the processes share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine

from models import events
from models.events import CHANNEL, ORIGIN, Notice

log = logging.getLogger("costbridge.events")

# a subscriber that falls this far behind is told so and dropped (bounded memory per subscriber)
DEFAULT_QUEUE_SIZE = 1000
LISTEN_READY_SECONDS = 5.0


def _connect_params(engine: Engine) -> dict[str, Any]:
    _args, params = engine.dialect.create_connect_args(engine.url)
    params.pop("context", None)
    return dict(params)


class Overflow(Exception):
    """The subscriber fell too far behind; its queue was dropped."""


class Subscriber:
    """One subscription's queue of notices (filled on the event loop, read by its generator)."""

    def __init__(self, hub: EventHub, wants: Callable[[Notice], bool], size: int) -> None:
        self.hub = hub
        self.wants = wants
        self.queue: asyncio.Queue[Notice | None] = asyncio.Queue(size)
        self.overflowed = False

    def offer(self, notice: Notice) -> None:
        if self.overflowed:
            return
        try:
            if self.wants(notice):
                self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.stop()
        except Exception:  # a filter that fails drops the notice, never the hub
            log.exception("subscription filter failed on %s", notice)

    def stop(self) -> None:
        """Drop what is queued and wake the reader, which raises Overflow."""
        self.overflowed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def next(self) -> Notice:
        if self.overflowed:
            raise Overflow()
        notice = await self.queue.get()
        if notice is None or self.overflowed:
            raise Overflow()
        return notice

    def close(self) -> None:
        self.hub.unsubscribe(self)


class LiveSender:
    """Sends live notices to the other processes: one autocommit connection, opened when first
    needed, shared by the threads that publish (they wait for each other: a NOTIFY takes well
    under a millisecond)."""

    def __init__(self, engine: Engine) -> None:
        self.params = _connect_params(engine)
        self._lock = threading.Lock()
        self._conn: Any = None

    def send(self, notices: list[Notice]) -> None:
        import psycopg

        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(**self.params, autocommit=True, connect_timeout=5)
                for notice in notices:
                    self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notice.encode()))
            except psycopg.Error as exc:  # the local subscribers have them; the others miss these
                log.warning("could not send live notices to other processes: %s", type(exc).__name__)
                self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


class EventHub:
    def __init__(self, engine: Engine, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.engine = engine
        self.queue_size = queue_size
        self.postgres = engine.dialect.name == "postgresql"
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._on_remote: list[Callable[[list[Notice]], None]] = []
        self._sender = LiveSender(engine) if self.postgres else None
        # this process's publishers reach the hub through models.events; weakly, so a hub that
        # is never closed (an application made and dropped) does not stay alive for it
        self._remove_listener = events.add_listener(engine, weakly(self._from_thread))

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind to the running loop; on PostgreSQL start listening (waiting briefly until LISTEN
        is in place, so a server that answers also hears)."""
        self._loop = asyncio.get_running_loop()
        if self.postgres and self._listener is None:
            self._listening = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(), name="costbridge-listen")
            try:
                await asyncio.wait_for(self._listening.wait(), LISTEN_READY_SECONDS)
            except TimeoutError:
                log.warning("not yet listening for other processes' notices; retrying in the background")

    async def close(self) -> None:
        self._remove_listener()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._sender is not None:
            self._sender.close()
        for subscriber in list(self._subscribers):
            subscriber.stop()
        self._subscribers.clear()

    def on_remote(self, callback: Callable[[list[Notice]], None]) -> None:
        """Also hand notices heard from other processes to ``callback`` (the token cache)."""
        self._on_remote.append(callback)

    # --- subscribers -------------------------------------------------------------------------

    def subscribe(self, wants: Callable[[Notice], bool]) -> Subscriber:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        subscriber = Subscriber(self, wants, self.queue_size)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    # --- notices in -----------------------------------------------------------------------------

    def publish_live(self, notices: Iterable[Notice]) -> None:
        """Publish notices that are not database state (thread-safe): to this process's
        subscribers now and, on PostgreSQL, to the other processes'."""
        batch = events.publish_live(self.engine, notices)
        if self._sender is not None and batch:
            self._sender.send(batch)

    def _from_thread(self, notices: list[Notice]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or not self._subscribers:
            return
        # the loop may close meanwhile: then nobody is left to tell
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._dispatch, notices)

    def _dispatch(self, notices: list[Notice]) -> None:
        for subscriber in list(self._subscribers):
            for notice in notices:
                subscriber.offer(notice)

    async def _listen(self) -> None:
        import psycopg

        params = _connect_params(self.engine)
        delay = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(**params, autocommit=True, connect_timeout=5)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    delay = 0.5
                    async for message in conn.notifies():
                        notice = Notice.decode(message.payload)
                        if notice is None or notice.origin == ORIGIN:
                            continue  # ours were delivered when they were published
                        self._dispatch([notice])
                        for callback in self._on_remote:
                            callback([notice])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._listening.clear()
                log.warning("event listener connection lost (%s); reconnecting", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)


def weakly(method: Callable[[list[Notice]], None]) -> Callable[[list[Notice]], None]:
    """A listener that calls ``method`` while its object lives, and does nothing after."""
    ref = weakref.WeakMethod(method)

    def call(notices: list[Notice]) -> None:
        live = ref()
        if live is not None:
            live(notices)

    return call
