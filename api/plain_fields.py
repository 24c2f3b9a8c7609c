"""Direct resolvers for the fields of listed objects, installed on the built schema.

strawberry resolves every field through its own wrapper (extension runner, argument conversion, an
``Info`` object per call), which is worth it for root fields and fields with arguments or
permission classes, and costs more than the work itself on the thousands of plain fields of a
list: a page of 100 projects with their budget lines resolves about 4,500 fields. For an object
field that has

- no resolver: graphql-core reads the attribute directly (what strawberry would do, minus the
  wrapper);
- a synchronous resolver method taking only ``self`` and ``info``, and no field extensions or
  permission classes: graphql-core calls the method directly, with its own resolve info (our
  resolvers use ``info.context`` only, which is the same object).

Root types keep strawberry's path (permission classes, arguments), and so does every field with
arguments, extensions, an async resolver or any other signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter

ROOT_TYPES = {"Query", "Mutation", "Subscription"}

# each direct resolver -> (the attribute getter or the method, whether the method takes info)
_DIRECT: dict[Callable[..., Any], tuple[Callable[..., Any], bool]] = {}


def _attribute(python_name: str) -> Callable[..., Any]:
    get = attrgetter(python_name)

    def resolve(source: Any, _info: Any) -> Any:
        return get(source)

    _DIRECT[resolve] = (get, False)
    return resolve


def _method(func: Callable[..., Any], with_info: bool) -> Callable[..., Any]:
    if with_info:

        def resolve(source: Any, info: Any) -> Any:
            return func(source, info)

    else:

        def resolve(source: Any, info: Any) -> Any:
            return func(source)

    _DIRECT[resolve] = (func, with_info)
    return resolve


def direct_reader(resolve: Any, info: Any) -> Callable[[Any], Any] | None:
    """``source -> value`` for a field with a direct resolver (None for any other field); a method
    that takes info is given ``info``."""
    found = _DIRECT.get(resolve)
    if found is None:
        return None
    func, with_info = found
    if with_info:
        return lambda source: func(source, info)
    return func


def _direct(definition: Any) -> Callable[..., Any] | None:
    """The direct resolver for a strawberry field, or None when it must keep strawberry's path."""
    if definition.extensions or definition.is_subscription or definition.arguments:
        return None
    resolver = definition.base_resolver
    if resolver is None:
        return _attribute(definition.python_name)
    if resolver.is_async or resolver.root_parameter is not None or resolver.self_parameter is None:
        return None
    func = resolver._unbound_wrapped_func
    names = list(inspect.signature(func).parameters)
    info = resolver.info_parameter
    if names == [resolver.self_parameter.name]:
        return _method(func, with_info=False)
    if info is not None and names == [resolver.self_parameter.name, info.name]:
        return _method(func, with_info=True)
    return None


def install(schema: GraphQLSchema) -> int:
    """Give every eligible object field its direct resolver; returns how many were given one."""
    count = 0
    for type_ in schema.type_map.values():
        if (
            not isinstance(type_, GraphQLObjectType)
            or type_.name in ROOT_TYPES
            or type_.name.startswith("__")
        ):
            continue
        for field in type_.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None:
                continue
            resolve = _direct(definition)
            if resolve is not None:
                field.resolve = resolve
                count += 1
    return count
