"""The system actors tests act as when they set data up or play a connector (users are made with
``conftest.make_actor`` or the factories)."""

from __future__ import annotations

from models.policy import connector, system_actor

SETUP = system_actor("test set-up")
FILE_CONNECTOR = connector("file")
