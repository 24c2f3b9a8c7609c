"""File download routes (exports). ``DOWNLOADS`` lists each route with the policy's read need of
what it downloads, the same as its GraphQL counterpart. Every route needs a valid bearer token
(401 without one) and that need (403 with PERMISSION_DENIED otherwise, before anything is read).

Each download is one job on the database worker pool: authenticate, ask the policy, build the file
into a spooled temporary file (kept in memory up to a few MB, on disk beyond: CSV row by row, XLSX
by xlsxwriter in constant-memory mode), close the session; then the file streams to the client
from the event loop without holding a database connection.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api.context import request_actor
from api.relay import decode_id
from api.serving.failures import error_response
from api.serving.session import AUTH_MESSAGE, Services, Unauthenticated, request_session
from api.serving.workers import ServerBusy
from exporters import accountant_report as accountant_export
from exporters import budget as budget_export
from exporters import job_cost_report as job_cost_export
from exporters import vendors as vendor_export
from exporters.tabular import iter_bytes
from models import accountant_report, reports
from models.enums import Tool
from models.errors import DomainError, ErrorCode
from models.policy import ACCOUNTANT_REPORT, COMPANY_JOB_COST_SUMMARY, JOB_COST_REPORT, Need, denied, reading

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_CHUNK = 64 * 1024
_SPOOL_BYTES = 4 * 1024 * 1024
_STATUS = {ErrorCode.PERMISSION_DENIED: 403, ErrorCode.NOT_FOUND: 404}


def _filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "export"


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _error(exc: DomainError) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": exc.message, "code": exc.code.value, "field": exc.field}]},
        status_code=_STATUS.get(exc.code, 400),
    )


def _csv(chunks: Iterator[str], filename: str) -> tuple[Callable[[IO[bytes]], object], str]:
    def write(spool: IO[bytes]) -> None:
        for chunk in iter_bytes(chunks):
            spool.write(chunk)

    return write, filename


def _stream_file(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()


def _format(request: Request) -> str:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise DomainError(
            ErrorCode.UNSUPPORTED_FILE_TYPE, f"Unknown format '{fmt}': use csv or xlsx", "format"
        )
    return fmt


def _project_id(request: Request) -> int:
    return decode_id(request.path_params["project_id"], "Project", "projectId")


Build = Callable[[Request], tuple[Callable[[IO[bytes]], object], str]]


@dataclass(frozen=True)
class Download:
    path: str
    build: Build
    need: Need
    what: str


def _prepare(services: Services, request: Request, download: Download) -> tuple[str, IO[bytes]]:
    """The worker job: authenticate, ask the policy for the route's need, then write the whole
    file while the session is open."""
    with request_session(services, request) as (session, user):
        request.state.session = session
        request.state.user = user
        if not download.need.allows(request_actor(request)):
            raise denied(download.what, download.need)
        write, filename = download.build(request)
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - closed by _stream_file
        try:
            write(spool)
        except BaseException:
            spool.close()
            raise
        return filename, spool


def _handler(download: Download):
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        rid = request.state.request_id
        try:
            filename, spool = await services.workers.run(_prepare, services, request, download)
        except DomainError as exc:
            return _error(exc)
        except Unauthenticated:
            return error_response(
                401, ErrorCode.UNAUTHENTICATED, AUTH_MESSAGE, rid, {"WWW-Authenticate": "Bearer"}
            )
        except ServerBusy:
            return error_response(
                503, ErrorCode.SERVER_BUSY, "The server is busy; retry.", rid, {"Retry-After": "1"}
            )
        media_type = CSV_TYPE if filename.endswith(".csv") else XLSX_TYPE
        return StreamingResponse(_stream_file(spool), media_type=media_type, headers=_disposition(filename))

    return endpoint


def _job_cost_report(request: Request):
    fmt = _format(request)
    report = reports.job_cost_report(request.state.session, request_actor(request), _project_id(request))
    filename = f"job-cost-report-{_filename_part(report.project_number)}.{fmt}"
    if fmt == "csv":
        return _csv(job_cost_export.report_csv(report), filename)
    return (lambda f: job_cost_export.write_report_xlsx(report, f)), filename


def _job_cost_summary(request: Request):
    fmt = _format(request)
    summary = reports.company_job_cost_summary(request.state.session, request_actor(request))
    filename = f"job-cost-summary.{fmt}"
    if fmt == "csv":
        return _csv(job_cost_export.summary_csv(summary), filename)
    return (lambda f: job_cost_export.write_summary_xlsx(summary, f)), filename


def _budget(request: Request):
    fmt = _format(request)
    session = request.state.session
    project_id = _project_id(request)
    lines = budget_export.budget_export_lines(session, request_actor(request), project_id)
    project = reports.get_project(session, project_id)
    filename = f"budget-{_filename_part(project.number)}.{fmt}"
    if fmt == "csv":
        return _csv(budget_export.budget_csv(lines), filename)
    info = budget_export.budget_book(session, request_actor(request), project)
    return (lambda f: budget_export.write_budget_xlsx(lines, f, info)), filename


def _budget_template(request: Request):
    fmt = _format(request)
    filename = f"budget-template.{fmt}"
    if fmt == "csv":
        return _csv(budget_export.template_csv(), filename)
    info = budget_export.budget_book(request.state.session, request_actor(request))
    return (lambda f: budget_export.write_template_xlsx(f, info)), filename


def _vendors(request: Request):
    fmt = _format(request)
    rows = vendor_export.vendor_export_rows(request.state.session, request_actor(request))
    filename = f"vendors.{fmt}"
    if fmt == "csv":
        return _csv(vendor_export.vendors_csv(rows), filename)
    return (lambda f: vendor_export.write_vendors_xlsx(rows, f)), filename


def _date(request: Request, name: str):
    import datetime as dt

    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_DATE, f"{name} '{text}' is not a date (YYYY-MM-DD)", name
        ) from None


def _enums(request: Request, name: str, enum_cls, field: str):
    values = []
    for text in request.query_params.getlist(name):
        try:
            values.append(enum_cls(text.strip().upper()))
        except ValueError:
            raise DomainError(ErrorCode.INVALID_VALUE, f"Unknown {field} '{text}'", field) from None
    return values


def _accountant_report(request: Request):
    """Query parameters as the GraphQL field's arguments: since, until (YYYY-MM-DD), projectId,
    recordType and status (each repeatable), actorId."""
    from api.queries.accountant_report import report_filters
    from models.enums import RecordType

    fmt = _format(request)
    session, actor = request.state.session, request_actor(request)
    params = request.query_params
    filters = report_filters(
        session,
        _date(request, "since"),
        _date(request, "until"),
        params.get("projectId"),
        _enums(request, "recordType", RecordType, "recordType"),
        _enums(request, "status", accountant_report.ReportStatus, "status"),
        params.get("actorId"),
    )
    totals = accountant_report.report_totals(session, actor, filters)
    rows = accountant_report.iter_report_rows(session, actor, filters)
    filename = f"accountant-report.{fmt}"
    if fmt == "csv":
        return _csv(accountant_export.report_csv(rows), filename)
    from models.base import utcnow
    from models.company import get_settings

    title = accountant_export.report_title(get_settings(session).name, filters.describe(session), utcnow())
    return (lambda f: accountant_export.write_report_xlsx(rows, totals, title, f)), filename


DOWNLOADS: tuple[Download, ...] = (
    Download(
        "/exports/projects/{project_id}/job-cost-report.{fmt}",
        _job_cost_report,
        JOB_COST_REPORT,
        "Downloading the job-cost report",
    ),
    Download(
        "/exports/projects/{project_id}/budget.{fmt}", _budget, reading(Tool.BUDGET), "Exporting a budget"
    ),
    Download(
        "/exports/budget-template.{fmt}",
        _budget_template,
        reading(Tool.BUDGET),
        "Downloading the budget template",
    ),
    Download("/exports/vendors.{fmt}", _vendors, reading(Tool.DIRECTORY), "Exporting the vendor list"),
    Download(
        "/exports/job-cost-summary.{fmt}",
        _job_cost_summary,
        COMPANY_JOB_COST_SUMMARY,
        "Downloading the company job-cost summary",
    ),
    Download(
        "/exports/accountant-report.{fmt}",
        _accountant_report,
        ACCOUNTANT_REPORT,
        "Downloading the accountant report",
    ),
)

routes: list[Route] = [Route(d.path, _handler(d), methods=["GET"]) for d in DOWNLOADS]
