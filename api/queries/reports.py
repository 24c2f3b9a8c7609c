"""Queries for reports (filled in by the reports issue)."""

from __future__ import annotations

import strawberry


@strawberry.type
class ReportQueries:
    pass
