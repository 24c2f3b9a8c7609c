"""The read path's shortcuts answer exactly what strawberry and graphql-core answer without them:
direct resolvers (``api.plain_fields``) and plans (``api.completion``) against a reference schema
built from the same types with neither. Asked with aliases, fragments, ``__typename``,
``@skip``/``@include`` driven by variables, nested lists, and a refusal inside a list (a nested
field the viewer may not read: null at its path, the error, the rest of the page)."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.context import Context
from api.schema import CostBridgeSchema, Mutation, Query, Subscription, _node_types, schema
from models.enums import PermissionLevel, Tool
from models.policy import SystemActor
from tests.test_no_n_plus_one import build

QUERY = """
query($withLines: Boolean!, $skipSync: Boolean!) {
  projects(first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id } }
    nodes {
      __typename
      id number title: name
      ...Sync
      sync @skip(if: $skipSync) { originId }
      subJobs { number }
      budget {
        __typename locked
        totals { originalAmount revisedAmount }
        lines @include(if: $withLines) {
          id originalAmount modificationsAmount revisedAmount
          code: costCode { code description } costType { code } subJob { number name }
        }
        modifications { amount fromLine { revisedAmount } toLine { costCode { code } } }
      }
      commitments {
        number status vendor { name } lines { amount costCode { code } } totals { revisedAmount }
      }
    }
  }
}
fragment Sync on Project { sync { status history { action toStatus } } }
"""


@pytest.fixture(scope="module")
def reference():
    """The same types, resolved by strawberry and completed by graphql-core alone."""
    return CostBridgeSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=_node_types(),
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )


def run(target, session_factory, actor, variables: dict) -> dict:
    session = session_factory()
    try:
        request = Request({"type": "http", "method": "POST", "path": "/graphql", "headers": []})
        context = Context(request=request, response=None, session=session, actor=actor)
        result = asyncio.run(target.execute(QUERY, variable_values=variables, context_value=context))
        return {
            "data": result.data,
            "errors": sorted(
                (e.path, e.message, (e.extensions or {}).get("code")) for e in result.errors or []
            ),
        }
    finally:
        session.close()


def test_the_shortcuts_answer_what_graphql_core_answers(session_factory, reference):
    build(session_factory, 0, 6)
    everyone = SystemActor("reader", {tool: PermissionLevel.READ_ONLY for tool in Tool})
    # reads projects and commitments, not budgets: each project's budget is refused
    no_budget = SystemActor(
        "no budget", {Tool.PROJECT_ADMIN: PermissionLevel.READ_ONLY, Tool.COMMITMENTS: PermissionLevel.ADMIN}
    )
    for actor in (everyone, no_budget):
        for variables in ({"withLines": True, "skipSync": False}, {"withLines": False, "skipSync": True}):
            ours = run(schema, session_factory, actor, variables)
            theirs = run(reference, session_factory, actor, variables)
            assert ours == theirs, (actor.name, variables)
            assert ours["data"]["projects"]["totalCount"] == 6
    refused = run(schema, session_factory, no_budget, {"withLines": True, "skipSync": False})
    assert {e[2] for e in refused["errors"]} == {"PERMISSION_DENIED"}
    assert len([e for e in refused["errors"] if e[0][-1] == "budget"]) == 6
    assert all(node["budget"] is None for node in refused["data"]["projects"]["nodes"])
    assert all(node["commitments"] for node in refused["data"]["projects"]["nodes"])
