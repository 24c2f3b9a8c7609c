"""Bearer tokens to signed-in users, remembered for a few seconds.

Most requests of a front end come in bursts with the same token; looking the token and its user's
permissions up every time cost two statements per request. ``TokenCache`` keeps what a token signed
in, keyed by the token's SHA-256 (the plain token is never kept), for ``ttl`` seconds
(``COSTBRIDGE_TOKEN_CACHE_SECONDS``, 5 by default; 0 turns the cache off), and never past the
token's own expiry.

It stays revocable: revoking a token, disabling a user or changing their permissions publishes a
notice (``models.events``) when it commits, and the cache drops that user's entries at once in the
process that made the change and in every process that listens for events (PostgreSQL LISTEN);
a process that does not listen forgets them within ``ttl`` seconds at most.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from sqlalchemy.orm import Session

from models import users
from models.base import utcnow
from models.events import Notice, NoticeKind
from models.users import SignedInUser

# far longer than any token ``costbridge users issue-token`` makes: not worth hashing
MAX_TOKEN_LENGTH = 512


class TokenCache:
    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, SignedInUser]] = OrderedDict()
        self._lock = threading.Lock()

    def sign_in(self, session: Session, token: str | None) -> SignedInUser | None:
        """The active user ``token`` signs in (``models.users.sign_in``), from the cache when it
        was looked up less than ``ttl`` seconds ago; None for no, a revoked or an expired token."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        if self.ttl <= 0:
            return users.sign_in(session, token)
        key = users.hash_token(token)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None:
            fresh_until, known = entry
            if now < fresh_until and (known.token_expires_at is None or known.token_expires_at > utcnow()):
                return known
        user = users.sign_in(session, token)
        with self._lock:
            if user is None or user.last_use_pending:
                self._entries.pop(key, None)
            else:
                self._entries[key] = (now + self.ttl, user)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return user

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            for key in [k for k, (_, user) in self._entries.items() if user.id == user_id]:
                del self._entries[key]

    def on_notices(self, notices: list[Notice]) -> None:
        """A listener of ``models.events``: forget the users whose tokens or permissions changed."""
        for notice in notices:
            if notice.kind is NoticeKind.USER:
                self.forget_user(notice.id)
