"""File download routes (exports): every route needs a valid bearer token (the middleware checks)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
