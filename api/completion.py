"""Completing lists of objects without graphql-core's per-field machinery.

graphql-core completes every field of every object the same way: build a resolve info, call the
resolver, check for awaitables, complete the value by its type, record errors at the field's path.
For a page of 100 projects with their budget lines that is about 6,000 fields, and that general
path, not the data, becomes most of the request.

``CompilingExecutor`` completes an object through a **plan** when every field selected on it is
plain: a direct resolver from ``api.plain_fields`` (an attribute, or a method taking ``self`` and
``info``), no arguments, no directives but ``@skip``/``@include`` (already applied when the fields
were collected), and a type that is a leaf, a concrete object type with a plan of its own, or a
list or non-null of those. The plan reads each field and serializes it as graphql-core would
(same scalars, same enums, same response keys and order) into the finished dictionary.

Any surprise while following a plan (a resolver that raises, such as a permission check; a null
where the schema says non-null) abandons the plan for that object, which is then completed by
graphql-core's own path from the start: the error is reported at its path exactly as before, and
nothing was written (resolvers only read). Plans are made per request, from the fields graphql-core
collected for that request (variables and ``@skip``/``@include`` included).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.plain_fields import direct_reader

Completer = Callable[[Any], Any]
_ALLOWED_DIRECTIVES = {"skip", "include"}


class _Abandon(Exception):
    """A plan met something only graphql-core's path can report."""


class Plan:
    __slots__ = ("broken", "emit", "steps")

    def __init__(self, steps: list[tuple[str, Callable[[Any], Any], Completer]]) -> None:
        self.steps = steps
        self.broken = False
        self.emit = _emitter(steps)


def _emitter(steps: list[tuple[str, Callable[[Any], Any], Completer]]) -> Callable[[Any], dict[str, Any]]:
    """``source -> {key: complete(read(source)), ...}`` as one function with a dictionary display:
    the steps in order, without a loop and a tuple unpacking per field of every object. The keys are
    GraphQL response keys (names: letters, digits, underscores), written as string literals."""
    scope: dict[str, Any] = {}
    items = []
    for i, (key, read, complete) in enumerate(steps):
        if not key.replace("_", "a").isalnum() or not key.isascii():
            raise ValueError(f"not a GraphQL name: {key!r}")
        scope[f"r{i}"], scope[f"c{i}"] = read, complete
        items.append(f"{key!r}: c{i}(r{i}(source))")
    exec(f"def emit(source):\n    return {{{', '.join(items)}}}\n", scope)  # the text built above
    return scope["emit"]


def _nullable(inner: Completer, nullable: bool) -> Completer:
    """``inner`` for values that are not None; None answers None, or abandons where the schema
    says non-null."""
    if nullable:
        return lambda value: None if value is None else inner(value)

    def complete(value: Any) -> Any:
        if value is None:
            raise _Abandon()
        return inner(value)

    return complete


def _list(inner: Completer, nullable: bool) -> Completer:
    return _nullable(lambda values: [inner(v) for v in values], nullable)


def _leaf(serialize: Callable[[Any], Any], nullable: bool) -> Completer:
    # one call per leaf value: the null check and the serialization together (most fields are leaves)
    def complete(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise _Abandon()
        serialized = serialize(value)
        if serialized is Undefined or serialized is None:
            raise _Abandon()
        return serialized

    return complete


class CompilingExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, completing objects through plans where it can (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[Any, int], tuple[Any, Plan | None]] = {}
        # what a direct resolver reads of its info: the request context, and nothing else
        self._info = SimpleNamespace(context=self.context_value)

    def complete_object_value(self, return_type, field_details_list, info, path, result, position_context):
        plan = self._plan(return_type, field_details_list)
        if plan is not None and not plan.broken:
            try:
                return plan.emit(result)
            except Exception:
                plan.broken = True  # graphql-core's path reports it, here and for the rest of the request
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        key = (object_type, id(field_details_list))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        self._plans[key] = (field_details_list, None)
        plan = self._make_plan(object_type, field_details_list)
        self._plans[key] = (field_details_list, plan)
        return plan

    def _make_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        if object_type.name.startswith("__"):
            return None
        grouped, defer_usages, *_ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return None
        steps: list[tuple[str, Callable[[Any], Any], Completer]] = []
        for response_key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                steps.append((response_key, _constant(object_type.name), _identity))
                continue
            if any(d.node.arguments or not _plain_directives(d.node) for d in details):
                return None
            field = object_type.fields.get(name)
            read = direct_reader(field.resolve, self._info) if field is not None else None
            if read is None:
                return None
            complete = self._completer(field.type, details)
            if complete is None:
                return None
            steps.append((response_key, read, complete))
        return Plan(steps)

    def _completer(self, type_: Any, details: Any, nullable: bool = True) -> Completer | None:
        if isinstance(type_, GraphQLNonNull):
            return self._completer(type_.of_type, details, nullable=False)
        if isinstance(type_, GraphQLList):
            inner = self._completer(type_.of_type, details)
            return None if inner is None else _list(inner, nullable)
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return _leaf(type_.serialize, nullable)
        if isinstance(type_, GraphQLObjectType):
            plan = self._plan(type_, details)
            if plan is None:
                return None
            return _nullable(plan.emit, nullable)
        return None  # interfaces and unions: graphql-core resolves the runtime type


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _source: value


def _plain_directives(node: Any) -> bool:
    return all(d.name.value in _ALLOWED_DIRECTIVES for d in node.directives or ())


def _identity(value: Any) -> Any:
    return value
