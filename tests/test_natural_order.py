"""Cost codes in natural order everywhere a list shows them: numeric sections compare as numbers, for
Sage 100 Contractor codes (``2120.000`` before ``15400.000``) and Sage 300 CRE sectioned codes
(``01-100`` before ``01-1000``, 2- and 3-tier, '-' or '.' delimiters): the ``costCodes`` list page
after page, a project's cost codes, a budget's lines and a project's sub jobs."""

from __future__ import annotations

import random

from models import budgets, projects, wbs
from models.natural_sort import natural_sort_key
from tests.actors import SETUP

SAGE_100 = ["100.000", "1000.000", "2000.000", "2120.000", "2120.100", "15400.000", "90000.000"]
SAGE_300 = [
    "01-100",
    "01-100-3",
    "01-100-20",
    "01-100-100",
    "1-200",
    "01-1000",
    "02-050",
    "2-100",
    "10-100",
    "1.20.300",
    "1.100.300",
]


def shuffled(codes: list[str]) -> list[str]:
    out = list(codes)
    random.Random(7).shuffle(out)
    return out


def test_the_key_orders_both_erps_codes_as_an_accountant_reads_them():
    assert sorted(shuffled(SAGE_100), key=natural_sort_key) == SAGE_100
    expected = [c for c in SAGE_300 if "." not in c]
    assert sorted(shuffled(expected), key=natural_sort_key) == expected
    assert sorted(["1.100.300", "1.20.300"], key=natural_sort_key) == ["1.20.300", "1.100.300"]
    # text sorts as text, case aside, and a shorter code first
    assert sorted(["01-ABC", "01-abd", "01-ab"], key=natural_sort_key) == ["01-ab", "01-ABC", "01-abd"]


def test_lists_show_cost_codes_and_sub_jobs_in_natural_order(gql, session_factory):
    codes = SAGE_100 + [c for c in SAGE_300 if "." not in c]
    with session_factory() as s:
        rows = {c: wbs.create_cost_code(s, SETUP, code=c, description=f"Code {c}") for c in shuffled(codes)}
        labor = wbs.create_cost_type(s, SETUP, code="L", name="Labor")
        project = projects.create_project(s, SETUP, number="24-001", name="Harbor Clinic")
        projects.add_project_cost_codes(s, SETUP, project, [rows[c].id for c in shuffled(codes)])
        for number in ("10", "2", "1", "01A"):
            projects.create_sub_job(s, SETUP, project, number=number, name=f"Sub {number}")
        budget = budgets.budget_for_project(s, project)
        for code in shuffled(SAGE_100):
            budgets.add_budget_line(
                s, SETUP, budget, cost_code_id=rows[code].id, cost_type_id=labor.id, original_amount="1.00"
            )
        s.commit()
        project_id = project.id
    expected = sorted(codes, key=lambda c: (natural_sort_key(c), c))

    paged, after = [], None
    while True:
        page = gql.data(
            "query($after: String) { costCodes(first: 4, after: $after) { nodes { code } "
            "pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["costCodes"]
        paged += [n["code"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == expected

    from api.relay import to_global_id

    node = gql.data(
        "query($id: ID!) { node(id: $id) { ... on Project { costCodes { code } subJobs { number } "
        "budget { lines { costCode { code } } } } } }",
        {"id": to_global_id("Project", project_id)},
    )["node"]
    assert [c["code"] for c in node["costCodes"]] == expected
    assert [line["costCode"]["code"] for line in node["budget"]["lines"]] == SAGE_100
    assert [s["number"] for s in node["subJobs"]] == ["1", "01A", "2", "10"]
