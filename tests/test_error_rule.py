"""The one rule for where errors appear, asked of every mutation the schema has (README, "Where
errors appear"):

- every mutation returns a payload with ``errors: [UserError!]!``; a batch mutation (one that
  takes many records) also returns ``results``, each with its own ``errors``;
- an input that names a record by a malformed ID is an expected failure: ``INVALID_ID`` in the
  payload's ``errors`` (single mutations) or in the item's ``results[].errors`` (batch mutations),
  never a top-level GraphQL error, and nothing changes;
- ``node(id:)`` answers a malformed ID with a top-level ``INVALID_ID`` error at its path (a read,
  not a mutation) and a well-formed ID of nothing with null.

The inputs are generated from the schema: required fields get a plain value of their type, and
every ID field, required or not, gets a malformed ID.
"""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)

from api.relay import to_global_id
from api.schema import schema

GRAPHQL = schema._schema
BAD_ID = "garbage!"
SCALARS = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Decimal": "1.00",
    "Date": "2026-01-15",
    "DateTime": "2026-01-15T10:00:00+00:00",
    "JSON": {},
}


def _value(type_, with_ids: bool):
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, with_ids)
    if isinstance(type_, GraphQLList):
        return [_value(type_.of_type, with_ids)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        out = {}
        for name, field in type_.fields.items():
            required = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
            if required or (with_ids and get_named_type(field.type).name == "ID"):
                out[name] = _value(field.type, with_ids)
        return out
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        return BAD_ID
    return SCALARS[type_.name]


def _has_ids(type_) -> bool:
    seen, stack = set(), [type_]
    while stack:
        named = get_named_type(stack.pop())
        if named.name == "ID":
            return True
        if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
            seen.add(named.name)
            stack.extend(f.type for f in named.fields.values())
    return False


def _uploads(type_) -> bool:
    named = get_named_type(type_)
    return named.name == "Upload" or (
        isinstance(named, GraphQLInputObjectType) and any(_uploads(f.type) for f in named.fields.values())
    )


def test_every_mutation_payload_carries_errors_and_batches_carry_them_per_item():
    for name, field in GRAPHQL.mutation_type.fields.items():
        payload = get_named_type(field.type)
        assert isinstance(payload, GraphQLObjectType), name
        errors = payload.fields.get("errors")
        assert errors is not None and str(errors.type) == "[UserError!]!", f"{name}: no payload errors"
        if "results" in payload.fields:
            item = get_named_type(payload.fields["results"].type)
            assert str(item.fields["errors"].type) == "[UserError!]!", f"{name}: results without errors"


def test_a_malformed_id_in_any_mutation_is_a_payload_error(gql):
    asked = 0
    for name, field in GRAPHQL.mutation_type.fields.items():
        if not field.args or _uploads(field.args["input"].type) or not _has_ids(field.args["input"].type):
            continue
        payload = get_named_type(field.type)
        batch = "results" in payload.fields
        selection = "errors { code field } " + ("results { errors { code field } }" if batch else "")
        input_type = field.args["input"].type
        query = f"mutation($input: {input_type}) {{ {name}(input: $input) {{ {selection} }} }}"
        body = gql.execute(query, {"input": _value(input_type, with_ids=True)})
        assert not body.get("errors"), f"{name}: top-level errors {body.get('errors')}"
        answer = body["data"][name]
        codes = [e["code"] for e in answer["errors"]]
        for result in answer.get("results") or []:
            codes += [e["code"] for e in result["errors"]]
        assert "INVALID_ID" in codes, f"{name}: {answer}"
        asked += 1
    assert asked >= 30


def test_node_answers_a_malformed_id_with_invalid_id_and_an_unknown_one_with_null(gql):
    query = "query($a: ID!, $b: ID!) { bad: node(id: $a) { id } unknown: node(id: $b) { id } }"
    body = gql.execute(query, {"a": "garbage!", "b": to_global_id("Project", 999_999)})
    assert body["data"] == {"bad": None, "unknown": None}
    (error,) = body["errors"]
    assert error["path"] == ["bad"] and error["extensions"]["code"] == "INVALID_ID"
    node = "query($id: ID!) { node(id: $id) { id } }"
    out_of_range = gql.execute(node, {"id": to_global_id("Project", 2**40)})
    assert out_of_range["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert gql.execute(node, {"id": to_global_id("NoSuchType", 1)}) == {"data": {"node": None}}
