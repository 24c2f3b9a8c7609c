"""Projects over HTTP: create, update, list with paging and filters, node lookup, auth."""

from __future__ import annotations

from models.enums import PermissionLevel, Tool

CREATE = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) {
    project { id number name city sync { status origin history { action } } }
    errors { code message field }
  }
}
"""


def test_create_and_fetch_project(gql):
    data = gql.data(CREATE, {"input": {"number": "24-001", "name": "Harbor Clinic", "city": "Irvine"}})
    payload = data["createProject"]
    assert payload["errors"] == []
    project = payload["project"]
    assert project["number"] == "24-001"
    assert project["sync"] == {"status": "NOT_SENT", "origin": "COSTBRIDGE", "history": []}

    node = gql.data("query($id: ID!) { node(id: $id) { id ... on Project { name } } }", {"id": project["id"]})
    assert node["node"] == {"id": project["id"], "name": "Harbor Clinic"}


def test_duplicate_project_number_is_refused_and_writes_nothing(gql):
    gql.data(CREATE, {"input": {"number": "24-001", "name": "First"}})
    again = gql.data(CREATE, {"input": {"number": "24-001", "name": "Second"}})["createProject"]
    assert again["project"] is None
    assert again["errors"][0]["code"] == "DUPLICATE_PROJECT_NUMBER"
    assert again["errors"][0]["field"] == "number"
    listed = gql.data("{ projects { totalCount nodes { name } } }")["projects"]
    assert listed == {"totalCount": 1, "nodes": [{"name": "First"}]}


def test_projects_paging_and_page_cap(gql):
    for i in range(5):
        gql.data(CREATE, {"input": {"number": f"P-{i}", "name": f"Project {i}"}})
    first = gql.data(
        "{ projects(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { number } } }"
    )
    page = first["projects"]
    assert page["totalCount"] == 5
    assert [n["number"] for n in page["nodes"]] == ["P-0", "P-1"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = gql.data(
        "query($after: String) "
        "{ projects(first: 10, after: $after) { nodes { number } pageInfo { hasNextPage } } }",
        {"after": page["pageInfo"]["endCursor"]},
    )["projects"]
    assert [n["number"] for n in second["nodes"]] == ["P-2", "P-3", "P-4"]
    assert second["pageInfo"]["hasNextPage"] is False

    over = gql.execute("{ projects(first: 1000) { totalCount } }")
    assert over["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"


def test_requests_without_a_valid_token_get_401(client):
    assert client.post("/graphql", json={"query": "{ viewer { user { name } } }"}).status_code == 401
    bad = client.post(
        "/graphql", json={"query": "{ viewer { user { name } } }"}, headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_permission_denied_without_project_admin_level(gql, make_actor):
    reader = make_actor("Rita Reader", {Tool.PROJECT_ADMIN: PermissionLevel.READ_ONLY})
    out = gql.as_(reader).data(CREATE, {"input": {"number": "X-1", "name": "Nope"}})["createProject"]
    assert out["errors"][0]["code"] == "PERMISSION_DENIED"
    assert gql.data("{ projects { totalCount } }")["projects"]["totalCount"] == 0


def test_malformed_id_is_a_user_error(gql):
    out = gql.data(
        'mutation { updateProject(input: {id: "not-an-id", name: "x"}) '
        "{ project { id } errors { code field } } }"
    )["updateProject"]
    assert out["errors"] == [{"code": "INVALID_ID", "field": "id"}]


def test_the_total_is_counted_only_when_asked(gql, engine):
    from sqlalchemy import event

    for i in range(3):
        gql.data(CREATE, {"input": {"number": f"P-{i}", "name": f"Project {i}"}})
    gql.data("{ viewer { user { name } } }")  # the token's first use is stamped (once a minute)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        plain = gql.data("{ projects(first: 2) { nodes { number } } }")["projects"]
        counted_without = sum("count(" in s.lower() for s in statements)
        statements.clear()
        # asked through a fragment and an inline fragment, under an alias
        asked = gql.data(
            "fragment Total on ProjectConnection { n: totalCount } "
            "{ a: projects(first: 2) { ...Total } "
            "b: projects(first: 1) { ... on ProjectConnection { totalCount } } }"
        )
        counted_with = sum("count(" in s.lower() for s in statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert plain == {"nodes": [{"number": "P-0"}, {"number": "P-1"}]}
    assert (counted_without, counted_with) == (0, 2)
    assert asked == {"a": {"n": 3}, "b": {"totalCount": 3}}
