"""The accountant report query (``accountantReport``): ADMIN on ERP Integrations, as the seeds say."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from graphql import GraphQLError

from api.context import Info
from api.permissions import Requires
from api.relay import decode_id
from api.types.accountant_report import AccountantReport, AccountantReportStatus, AccountantReportTotals
from api.types.enums import RecordType
from models import accountant_report as m
from models.errors import DomainError
from models.policy import ACCOUNTANT_REPORT
from models.reports import get_project


def report_filters(
    session,
    since: dt.date | None,
    until: dt.date | None,
    project_id: str | None,
    record_types,
    statuses,
    actor_id: str | None,
) -> m.AccountantFilters:
    """The filters from their API form (global IDs decoded, the project looked up); DomainError on a
    bad one."""
    pid = decode_id(project_id, "Project", "projectId") if project_id else None
    if pid is not None:
        get_project(session, pid)
    filters = m.AccountantFilters(
        since=since,
        until=until,
        project_id=pid,
        record_types=tuple(record_types or ()),
        statuses=tuple(m.ReportStatus(s) for s in statuses or ()),
        actor_id=decode_id(actor_id, "User", "actorId") if actor_id else None,
    )
    filters.check()
    return filters


@strawberry.type
class AccountantReportQueries:
    @strawberry.field(
        permission_classes=[Requires(ACCOUNTANT_REPORT, "Viewing the accountant report")],
        description="Every record sent, accepted, rejected, exported or failed in the period (days in "
        "UTC, both included), per project or company-wide, with who, when, amounts and reasons, and "
        "totals by record type and status. Needs ADMIN on ERP Integrations; each record type only for "
        "readers of its tool. Download: /exports/accountant-report.csv or .xlsx with the same filters.",
    )
    def accountant_report(
        self,
        info: Info,
        since: dt.date | None = None,
        until: dt.date | None = None,
        project_id: strawberry.ID | None = None,
        record_types: list[RecordType] | None = None,
        statuses: list[AccountantReportStatus] | None = None,
        actor_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A user's ID (UserSummary.id).")
        ] = None,
    ) -> AccountantReport | None:
        ctx = info.context
        try:
            filters = report_filters(ctx.session, since, until, project_id, record_types, statuses, actor_id)
            totals = m.report_totals(ctx.session, ctx.actor, filters)
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": exc.code.value, "field": exc.field}) from None
        return AccountantReport(
            since=since, until=until, totals=AccountantReportTotals.from_domain(totals), _filters=filters
        )
