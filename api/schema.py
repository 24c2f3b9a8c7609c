"""The strawberry schema: Query and Mutation composed from one mixin per area, plus the limits
(depth, aliases, tokens) that keep a public GraphQL endpoint safe."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from api.mutations.imports import ImportMutations
from api.mutations.prime_contracts import PrimeContractMutations
from api.mutations.records import RecordMutations
from api.mutations.workflow import WorkflowMutations
from api.queries.accountant_report import AccountantReportQueries
from api.queries.audit import AuditQueries
from api.queries.core import CoreQueries
from api.queries.imports import ImportQueries
from api.queries.records import RecordQueries
from api.queries.reports import ReportQueries
from api.queries.workflow import WorkflowQueries
from api.relay import NODE_REGISTRY

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 6000


@strawberry.type
class Query(
    CoreQueries,
    RecordQueries,
    WorkflowQueries,
    ImportQueries,
    ReportQueries,
    AccountantReportQueries,
    AuditQueries,
):
    pass


@strawberry.type
class Mutation(RecordMutations, WorkflowMutations, ImportMutations, PrimeContractMutations):
    pass


def _node_types() -> list[type]:
    # Node types registered by the modules the mixins import; listed so that types reachable
    # only through node(id:) are in the schema too.
    return sorted({entry.strawberry_type for entry in NODE_REGISTRY.values()}, key=lambda c: c.__name__)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    types=_node_types(),
    config=StrawberryConfig(auto_camel_case=True),
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ],
)


def schema_sdl() -> str:
    """The schema as SDL with types sorted by name, so diffs of schema.graphql stay readable."""
    from graphql import lexicographic_sort_schema, print_schema

    return print_schema(lexicographic_sort_schema(schema._schema)) + "\n"
