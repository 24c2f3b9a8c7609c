"""Mutations for the imports area (filled in by its issue)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ImportMutations:
    pass
