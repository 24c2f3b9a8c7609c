"""The job-cost report as it prints: the demo project 24-101 rendered by LibreOffice headless to PDF
fits on at most two pages (the report, then the chart sheet). One conversion, on SQLite only (the
file does not depend on the database)."""

from __future__ import annotations

import pytest

from api.demo import load_demo_if_empty
from exporters.job_cost_report import write_report_xlsx
from models.reports import find_project, job_cost_report
from tests import libreoffice
from tests.actors import SETUP


@pytest.mark.only_backend("sqlite")
def test_demo_job_cost_report_prints_on_at_most_two_pages(session_factory, session, tmp_path):
    try:
        libreoffice.ensure_installed()
    except libreoffice.LibreOfficeUnavailable as exc:
        pytest.skip(str(exc))
    load_demo_if_empty(session_factory, lambda _line: None)
    report = job_cost_report(session, SETUP, find_project(session, "24-101").id)
    workbook = tmp_path / "job-cost-report-24-101.xlsx"
    with workbook.open("wb") as handle:
        write_report_xlsx(report, handle)

    pdf = libreoffice.to_pdf(workbook, tmp_path)
    pages = libreoffice.page_count(pdf)
    poppler = libreoffice.pdfinfo_pages(pdf)
    assert poppler in (None, pages)  # the two counts agree where poppler is installed
    # the report's 18 lines, 9 division subtotals and the total on one page, the chart on its own
    assert 1 <= pages <= 2, f"{pages} pages"
