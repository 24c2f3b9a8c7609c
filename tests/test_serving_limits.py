"""Hostile GraphQL operations are refused before they run: aliases of a report, pages of nested
lists, duplicated fields, deep nesting, long strings; each refusal is coded and states its count
and limit. Out-of-range ids and cursors are INVALID_ID / INVALID_CURSOR, on GraphQL and on the
download routes."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import event
from strawberry.extensions.validation_cache import _get_validate_cache

from api.relay import to_global_id
from api.schema import VALIDATION_CACHE_SIZE
from models import projects as m
from tests.actors import SETUP

PROJECTS = """query($first: Int) { projects(first: $first) { totalCount nodes { number budget {
  lines { id originalAmount costCode { code } costType { code } subJob { number } } } } } }"""


def _raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.fixture
def statements(engine):
    """The SQL each request sends: a refused operation sends only the token lookup."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _only_authentication(statements: list[str]) -> bool:
    return all("api_tokens" in s or "user_permissions" in s or "statement_timeout" in s for s in statements)


def _refused(gql, query: str, variables: dict | None = None) -> dict:
    body = gql.execute(query, variables)
    assert body["data"] is None, body
    (error,) = body["errors"]
    return error


def test_thirty_report_aliases_are_refused_with_cost_and_limit(gql, session, statements):
    project = m.create_project(session, SETUP, number="24-001", name="Harbor Clinic")
    session.commit()
    statements.clear()
    pid = to_global_id("Project", project.id)
    aliases = " ".join(
        f'r{i}: jobCostReport(projectId: "{pid}") {{ totals {{ jtdCost }} }}' for i in range(30)
    )
    error = _refused(gql, f"{{ {aliases} }}")
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    cost, limit = error["extensions"]["cost"], error["extensions"]["limit"]
    assert cost >= 30 * 25_000 and limit == 100_000
    assert f"{cost:,}" in error["message"] and f"{limit:,}" in error["message"]
    assert _only_authentication(statements), statements
    one = gql.data(f'{{ jobCostReport(projectId: "{pid}") {{ totals {{ jtdCost }} }} }}')
    assert one["jobCostReport"]["totals"]["jtdCost"] == "0.00"


def test_nested_pages_multiply_and_a_large_page_is_refused(gql, statements):
    nested = """{ projects(first: 200) { nodes { number
        budget { lines { id } }
        commitments { number lines { amount } changeOrders { number lines { amount } } } } } }"""
    error = _refused(gql, nested)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # 200 projects x 20 commitments x 20 change orders x 20 lines, and the rest
    assert error["extensions"]["cost"] > 200 * 20 * 20 * 20
    assert _only_authentication(statements), statements
    # the plain page of 200 projects with their budget lines is within the limit
    assert gql.data(PROJECTS, {"first": 200})["projects"]["totalCount"] == 0
    error = _refused(gql, PROJECTS, {"first": 10**6})
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def _validations() -> tuple[int, int]:
    """How often the schema's validation has been asked (answered or cached) in this process."""
    info = _get_validate_cache(VALIDATION_CACHE_SIZE).cache_info()
    return info.hits, info.misses


def test_a_duplicated_field_document_is_refused_before_validation(gql, statements):
    # about 14 KB: the pairwise field comparison of validation would take seconds
    query = "{ projects { nodes { " + " name" * 2800 + " } } }"
    assert 14_000 <= len(query) <= 16_000
    validations = _validations()
    error = _refused(gql, query)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["limit"] == 300 and error["extensions"]["count"] == 2802
    assert _only_authentication(statements), statements
    assert _validations() == validations  # never validated: validation of it took seconds

    same = "{ projects { nodes { " + " ".join(f"number(x: {i})" for i in range(13)) + " } } }"
    error = _refused(gql, same)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["count"] == 13
    assert "'number' is selected 13 times" in error["message"]

    spreads = " ".join(f"...F{i}" for i in range(13))
    fragments = " ".join(f"fragment F{i} on Project {{ name }}" for i in range(13))
    error = _refused(gql, f"{{ projects {{ nodes {{ {spreads} }} }} }} {fragments}")
    assert "'name' is selected 13 times" in error["message"]


def test_tokens_depth_and_aliases_are_limited(gql):
    error = _refused(gql, "{ " + "projects { totalCount } " * 2000 + "}")
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "tokens" in error["message"]

    deep = "{ projects { nodes { commitments { project { commitments { project { commitments { project {"
    deep += " commitments { project { commitments { project { name } } } } } } } } } } } } }"
    error = _refused(gql, deep)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["limit"] == 12

    aliases = " ".join(f"a{i}: viewer {{ isAccountingApprover }}" for i in range(31))
    error = _refused(gql, f"{{ {aliases} }}")
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "count": 31, "limit": 30}

    nested = "{ projects { nodes { name } } }".replace("{ name }", "{" * 300 + "}" * 300)
    error = _refused(gql, nested)
    assert error["extensions"]["code"] in ("QUERY_TOO_COMPLEX", "GRAPHQL_PARSE_FAILED")


def test_long_strings_are_refused(gql, statements):
    long_search = "x" * 1_000_000
    validations = _validations()
    error = _refused(gql, "query($s: String) { projects(search: $s) { totalCount } }", {"s": long_search})
    assert _only_authentication(statements) and _validations() == validations, statements
    assert error["extensions"]["code"] == "VALUE_TOO_LONG"
    assert "1,000,000 characters" in error["message"] and "variables.s" in error["message"]

    search = "%_" * 150  # within the string limit, over the search limit: refused on its field
    body = gql.execute("query($s: String) { projects(search: $s) { totalCount } }", {"s": search})
    assert body["data"] == {"projects": None}, body
    (error,) = body["errors"]
    assert error["path"] == ["projects"]
    assert error["extensions"] == {"code": "VALUE_TOO_LONG", "field": "search", "limit": 200}
    assert gql.data('{ projects(search: "%_harbor") { totalCount } }')["projects"]["totalCount"] == 0


def test_out_of_range_ids_and_cursors_are_coded(gql, client, admin):
    huge = _raw_id(f"Project:{2**64}")
    node = gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": huge})
    assert node["data"] == {"node": None} and node["errors"][0]["extensions"]["code"] == "INVALID_ID"
    report = gql.execute("query($id: ID!) { jobCostReport(projectId: $id) { projectNumber } }", {"id": huge})
    assert report["errors"][0]["extensions"]["code"] == "INVALID_ID"
    for cursor in (_raw_id(f"offset:{2**64}"), _raw_id("offset:-5"), "not base64!", _raw_id("page:1")):
        page = gql.execute("query($c: String) { projects(after: $c) { totalCount } }", {"c": cursor})
        assert page["errors"][0]["extensions"]["code"] == "INVALID_CURSOR", (cursor, page)

    for raw in (huge, "12345678901234567890123", _raw_id("Project:-1")):
        response = client.get(f"/exports/projects/{raw}/budget.csv", headers=admin.headers)
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["code"] == "INVALID_ID"
    missing = client.get(
        f"/exports/projects/{to_global_id('Project', 2**31 - 1)}/budget.csv", headers=admin.headers
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"
