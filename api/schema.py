"""The strawberry schema: Query and Mutation composed from one mixin per area, Subscription
(``api.subscriptions``), plus the limits
(tokens, fields, aliases, depth, cost, string lengths: ``api.serving.limits``) that keep a public
GraphQL endpoint safe."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ValidationCache
from strawberry.schema.config import StrawberryConfig

from api import plain_fields
from api.completion import CompilingExecutor
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
from api.serving.limits import OperationLimits
from api.subscriptions.fields import Subscription


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


class CostBridgeSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # errors are coded and the unexpected ones logged, under the request id, by the HTTP layer
        # (api.serving.failures); strawberry's own logging would repeat them without the id
        return None


VALIDATION_CACHE_SIZE = 256

schema = CostBridgeSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=_node_types(),
    config=StrawberryConfig(auto_camel_case=True),
    # lists of plain objects are completed through plans (api.completion)
    execution_context_class=CompilingExecutor,
    # limits first: a refused document is never validated; then validation, cached by document
    extensions=[OperationLimits, lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE)],
)


# the fields of listed objects resolve without strawberry's per-field wrapper (api.plain_fields)
plain_fields.install(schema._schema)


def schema_sdl() -> str:
    """The schema as SDL with types sorted by name, so diffs of schema.graphql stay readable."""
    from graphql import lexicographic_sort_schema, print_schema

    return print_schema(lexicographic_sort_schema(schema._schema)) + "\n"
