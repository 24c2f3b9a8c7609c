"""What a GraphQL operation may ask for, decided after parsing and before validation and execution.

Validation itself is the expensive part of a hostile document (the rule that fields can merge
compares every pair of same-named fields), so everything that bounds it is counted first, in one
linear pass over the parsed document:

- tokens (the parser stops at the limit), selections (fields and fragments), how often one
  response name is selected in one selection set, aliases, depth;
- string literals and variables (each string at most ``max_string_length`` characters);
- introspection (``__schema``/``__type``): in production, only for actors the policy allows
  (``INTROSPECT_IN_PRODUCTION``);
- the cost: the number of objects the operation may fetch, as GitHub counts nodes. A connection
  fetches ``first`` items (its page size when omitted), an unpaged list is assumed to hold
  ``query_list_size`` items, and nested lists multiply. Report fields (``jobCostReport``,
  ``companyJobCostSummary``) add a fixed weight each.

A refusal is a GraphQL error with a code (QUERY_TOO_COMPLEX, VALUE_TOO_LONG,
INTROSPECTION_DISABLED) and, for counted limits, the count and the limit in its extensions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
)
from graphql.language import Visitor, visit
from strawberry.extensions import SchemaExtension

from api.relay import DEFAULT_PAGE_SIZE
from api.settings import Settings, current_settings
from models.errors import ErrorCode
from models.policy import ANONYMOUS, INTROSPECT_IN_PRODUCTION, Actor

# (parent type, field) -> the fixed cost of one such field: reports aggregate a project's whole
# job-cost history however few rows they return
REPORT_FIELDS = {("Query", "jobCostReport"), ("Query", "companyJobCostSummary")}
INTROSPECTION_FIELDS = {"__schema", "__type"}
_CONNECTION_LISTS = {"nodes", "edges"}


# text no database here can store (PostgreSQL refuses NUL in text; a lone surrogate is not UTF-8),
# refused before any resolver runs so no driver ever sees it
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "contains a NUL character or a lone surrogate, which text cannot hold"


def refusal(code: ErrorCode, message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **extensions})


# front ends send the same few documents over and over: parse each once (thread-safe, bounded)
_parse = lru_cache(maxsize=256)(parse)


def parse_document(query: str, settings: Settings):
    """Parse with the token limit; a refusal or syntax error comes back coded."""
    try:
        return _parse(query, max_tokens=settings.query_max_tokens)
    except GraphQLError as exc:
        if "tokens" in exc.message and "aborted" in exc.message:
            raise refusal(
                ErrorCode.QUERY_TOO_COMPLEX,
                f"The document has more than {settings.query_max_tokens:,} tokens",
                limit=settings.query_max_tokens,
            ) from None
        raise GraphQLError(
            exc.message,
            source=exc.source,
            positions=exc.positions,
            extensions={"code": "GRAPHQL_PARSE_FAILED"},
        ) from None
    except RecursionError:
        raise refusal(ErrorCode.QUERY_TOO_COMPLEX, "The document is nested too deeply") from None


class _Counter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.selections = 0
        self.aliases = 0
        self.introspection = False
        self.longest_string = 0
        self.unstorable_string = False
        self.selection_sets: list[SelectionSetNode] = []

    def enter_field(self, node: FieldNode, *_args) -> None:
        self.selections += 1
        if node.alias is not None:
            self.aliases += 1
        if node.name.value in INTROSPECTION_FIELDS:
            self.introspection = True

    def enter_fragment_spread(self, _node, *_args) -> None:
        self.selections += 1

    def enter_inline_fragment(self, _node, *_args) -> None:
        self.selections += 1

    def enter_selection_set(self, node: SelectionSetNode, *_args) -> None:
        self.selection_sets.append(node)

    def enter_string_value(self, node: StringValueNode, *_args) -> None:
        self.longest_string = max(self.longest_string, len(node.value))
        self.unstorable_string = self.unstorable_string or bool(UNSTORABLE.search(node.value))


class _SameNames:
    """How many fields answer to one response name in one selection set, through inline fragments
    and fragment spreads: the figure validation's pairwise field comparison grows with."""

    def __init__(self, fragments: dict) -> None:
        self.fragments = fragments
        self.memo: dict[str, Counter[str]] = {}
        self.active: set[str] = set()

    def collect(self, node: SelectionSetNode) -> Counter[str]:
        counts: Counter[str] = Counter()
        spread: set[str] = set()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                counts[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                counts.update(self.collect(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in spread:
                spread.add(selection.name.value)  # repeating a spread adds nothing to compare
                counts.update(self.fragment(selection.name.value))
        return counts

    def fragment(self, name: str) -> Counter[str]:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return Counter()
        self.active.add(name)
        counts = self.collect(definition.selection_set)
        self.active.discard(name)
        self.memo[name] = counts
        return counts


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, Mapping):
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))


class _Cost:
    """Depth and cost of one operation, each fragment computed once (cost is linear in the
    multiplier, so a fragment's cost at multiplier 1 scales to every place it is spread)."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict, variables: Mapping[str, Any], settings: Settings
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.settings = settings
        self.memo: dict[str, tuple[int, int]] = {}
        self.active: set[str] = set()

    def selection(self, node: SelectionSetNode | None, parent: Any) -> tuple[int, int]:
        """(cost, depth) of a selection set at multiplier 1."""
        if node is None:
            return 0, 0
        cost = depth = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                c, d = self.field(selection, parent)
                cost, depth = cost + c, max(depth, d + 1)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                c, d = self.selection(selection.selection_set, target or parent)
                cost, depth = cost + c, max(depth, d)
            elif isinstance(selection, FragmentSpreadNode):
                c, d = self.fragment(selection.name.value)
                cost, depth = cost + c, max(depth, d)
        return cost, depth

    def fragment(self, name: str) -> tuple[int, int]:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return 0, 0  # unknown or cyclic: validation reports it
        self.active.add(name)
        result = self.selection(
            definition.selection_set, self.schema.get_type(definition.type_condition.name.value)
        )
        self.active.discard(name)
        self.memo[name] = result
        return result

    def field(self, node: FieldNode, parent: Any) -> tuple[int, int]:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        definition = fields.get(name) if fields and not name.startswith("__") else None
        if definition is None:
            return 0, 0
        named = get_named_type(definition.type)
        own = self.settings.query_report_cost if (parent.name, name) in REPORT_FIELDS else 0
        if not is_composite_type(named):
            return own, 0
        if named.name.endswith("Connection"):
            size, fetched = self.first(node), True
        elif parent.name.endswith("Connection") and name in _CONNECTION_LISTS:
            size, fetched = 1, False  # the page was counted on the connection field itself
        elif is_list_type(get_nullable_type(definition.type)):
            size, fetched = self.settings.query_list_size, True
        else:
            size, fetched = 1, False
        below, depth = self.selection(node.selection_set, named)
        return own + (size if fetched else 0) + size * below, depth

    def first(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(given, 0)
        return DEFAULT_PAGE_SIZE


def check_operation(
    document,
    schema: GraphQLSchema,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    settings: Settings,
    actor: Actor,
) -> int:
    """Refuse an operation over any limit (raises a coded GraphQLError); returns its cost."""
    counter = _Counter()
    visit(document, counter)
    if counter.selections > settings.query_max_fields:
        raise refusal(
            ErrorCode.QUERY_TOO_COMPLEX,
            f"The document has {counter.selections:,} selections (fields and fragments); "
            f"the limit is {settings.query_max_fields:,}",
            count=counter.selections,
            limit=settings.query_max_fields,
        )
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    same = _SameNames(fragments)
    for selection_set in counter.selection_sets:
        name, count = max(same.collect(selection_set).items(), key=lambda item: item[1], default=("", 0))
        if count > settings.query_max_same_name:
            raise refusal(
                ErrorCode.QUERY_TOO_COMPLEX,
                f"'{name[:100]}' is selected {count:,} times in one selection set; "
                f"the limit is {settings.query_max_same_name}",
                count=count,
                limit=settings.query_max_same_name,
            )
    if counter.aliases > settings.query_max_aliases:
        raise refusal(
            ErrorCode.QUERY_TOO_COMPLEX,
            f"The document uses {counter.aliases:,} aliases; the limit is {settings.query_max_aliases:,}",
            count=counter.aliases,
            limit=settings.query_max_aliases,
        )
    if counter.longest_string > settings.max_string_length:
        raise refusal(
            ErrorCode.VALUE_TOO_LONG,
            f"A string in the document has {counter.longest_string:,} characters; "
            f"the limit is {settings.max_string_length:,}",
            limit=settings.max_string_length,
        )
    if counter.unstorable_string:
        raise refusal(ErrorCode.INVALID_VALUE, f"A string in the document {UNSTORABLE_MESSAGE}")
    for where, text in _strings(variables or {}, "variables"):
        if len(text) > settings.max_string_length:
            raise refusal(
                ErrorCode.VALUE_TOO_LONG,
                f"{where} has {len(text):,} characters; the limit is {settings.max_string_length:,}",
                limit=settings.max_string_length,
                field=where,
            )
        if UNSTORABLE.search(text):
            raise refusal(ErrorCode.INVALID_VALUE, f"{where} {UNSTORABLE_MESSAGE}", field=where)
    if counter.introspection and settings.production and not INTROSPECT_IN_PRODUCTION.allows(actor):
        raise refusal(
            ErrorCode.INTROSPECTION_DISABLED,
            f"Introspection needs {INTROSPECT_IN_PRODUCTION.describe()} in production",
        )

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1:
        return 0  # no operation to run: validation or execution says why
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    cost, depth = _Cost(schema, fragments, variables or {}, settings).selection(operation.selection_set, root)
    if depth > settings.query_max_depth:
        raise refusal(
            ErrorCode.QUERY_TOO_COMPLEX,
            f"The operation is nested {depth} fields deep; the limit is {settings.query_max_depth}",
            count=depth,
            limit=settings.query_max_depth,
        )
    if cost > settings.query_max_cost:
        raise refusal(
            ErrorCode.QUERY_TOO_COMPLEX,
            f"The operation's estimated cost is {cost:,}, over the limit of {settings.query_max_cost:,}: "
            "ask for smaller pages (first), fewer nested lists or fewer reports at a time",
            cost=cost,
            limit=settings.query_max_cost,
        )
    return cost


def settings_of(context: Any) -> Settings:
    state = getattr(getattr(context, "request", None), "state", None)
    return getattr(state, "settings", None) or current_settings()


class OperationLimits(SchemaExtension):
    """Runs the checks above between parsing and validation; a refused operation is never
    validated or executed."""

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is None and ec.query:
            ec.graphql_document = parse_document(ec.query, settings_of(ec.context))
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        check_operation(
            ec.graphql_document,
            ec.schema._schema,
            ec.variables,
            ec.operation_name,
            settings_of(ec.context),
            getattr(ec.context, "actor", ANONYMOUS),
        )
        yield
