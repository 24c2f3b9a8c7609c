"""What every record mutation shares: loading the record a global ID names, running the domain
action in the request's transaction, and turning line inputs into domain values."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from api.context import Info
from api.errors import UserError, run_in_transaction
from api.relay import decode_id, decode_optional_id
from models.errors import DomainError, ErrorCode
from models.policy import Actor

T = TypeVar("T")

UPDATE_SEMANTICS = (
    "Fields left out are unchanged. A field given as null is cleared where it may be empty (an "
    "address, a description, a vendor, a sub job, a date); one that may not (a name, a number, a "
    "cost code) is refused with REQUIRED."
)


def _label(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).capitalize()


def get_or_fail(session, model, gid: strawberry.ID | str, type_name: str, field: str = "id"):
    """The row a global ID names: INVALID_ID when malformed or of another type, NOT_FOUND when gone."""
    row = session.get(model, decode_id(gid, type_name, field))
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{_label(type_name)} not found", field)
    return row


def get_by_pk_or_fail(session, model, pk: int, type_name: str, field: str = "id"):
    row = session.get(model, pk)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{_label(type_name)} not found", field)
    return row


def execute(
    info: Info, action: Callable[[Any, Actor], T], convert: Callable[[T], Any]
) -> tuple[Any, list[UserError]]:
    """Run ``action(session, actor)`` in one transaction; return (converted result or None, errors)."""
    actor = info.context.actor
    row, errors = run_in_transaction(info.context.session, lambda s: action(s, actor))
    return (convert(row) if row is not None and not errors else None), errors


def values_of(input_obj, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The input's plain (non-ID, non-list) fields by their Python names, leaving out those not
    given (UNSET): an update changes what it names, and a field given as null is cleared."""
    return {
        key: value
        for key, value in vars(input_obj).items()
        if key not in skip
        and not key.endswith("_id")
        and key != "id"
        and key != "lines"
        and value is not strawberry.UNSET
    }


def given_ids(input_obj, refs: dict[str, str]) -> dict[str, Any]:
    """The ID fields of ``refs`` (attribute -> type name) that the input gives, decoded; null stays
    null (clears the reference), fields not given are left out."""
    result = {}
    for attr, type_name in refs.items():
        value = getattr(input_obj, attr)
        if value is not strawberry.UNSET:
            result[attr] = decode_optional_id(value, type_name, _camel(attr))
    return result


def line_values(lines, id_fields: dict[str, str]) -> list[dict[str, Any]]:
    """Line inputs as dicts for the domain, global IDs decoded with the field named per line."""
    result = []
    for index, line in enumerate(lines):
        values = values_of(line)
        for attr, type_name in id_fields.items():
            field = f"lines[{index}].{_camel(attr)}"
            values[attr] = decode_optional_id(getattr(line, attr), type_name, field)
        result.append(values)
    return result


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


LINE_REFS = {"sub_job_id": "SubJob", "cost_code_id": "CostCode", "cost_type_id": "CostType"}
