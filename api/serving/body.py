"""Reading a request body before anything else happens: capped, spooled, and replayed.

The body is read whole (chunked or not) before any database session or worker is taken, so a
client that sends headers and then stalls costs one waiting coroutine, nothing more. Past the cap
the read stops and the client gets 413 (REQUEST_TOO_LARGE) at once; a client silent for too long
mid-body gets 408. Up to ``SPOOL_MEMORY_BYTES`` stays in memory, the rest goes to a temporary
file, so a large upload does not grow the process.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from typing import IO

from starlette.types import Message, Receive

SPOOL_MEMORY_BYTES = 1024 * 1024
REPLAY_CHUNK_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class BodyTimeout(Exception):
    pass


class ClientGone(Exception):
    pass


def body_limit(headers: list[tuple[bytes, bytes]], json_limit: int, upload_limit: int) -> int:
    for name, value in headers:
        if name == b"content-type":
            return upload_limit if value.lower().startswith(b"multipart/form-data") else json_limit
    return json_limit


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


@dataclass
class Body:
    size: int
    spool: IO[bytes]

    def close(self) -> None:
        self.spool.close()

    def replay(self, receive: Receive) -> Receive:
        """A ``receive`` that hands the stored body to the application, then passes through (to
        report the client's disconnect)."""
        self.spool.seek(0)
        done = False

        async def replayed() -> Message:
            nonlocal done
            if done:
                return await receive()
            chunk = self.spool.read(REPLAY_CHUNK_BYTES)
            more = self.spool.tell() < self.size
            if not more:
                done = True
            return {"type": "http.request", "body": chunk, "more_body": more}

        return replayed


async def read_body(receive: Receive, limit: int, idle_timeout: float) -> Body:
    """Read the whole body; raise BodyTooLarge past ``limit`` bytes, BodyTimeout when a chunk takes
    longer than ``idle_timeout`` seconds, ClientGone if the client disconnects first."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - Body closes it
    size = 0
    try:
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=idle_timeout)
            except TimeoutError:
                raise BodyTimeout() from None
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                spool.write(chunk)
            if not message.get("more_body", False):
                return Body(size=size, spool=spool)
    except BaseException:
        spool.close()
        raise
