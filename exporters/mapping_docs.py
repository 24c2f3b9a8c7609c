"""The tables of ``docs/workflow.md`` that must match the code, written from the code: the ERP key
of each record type (from the record-type registry) and every export mapping table (from
``exporters/sage100.py`` and ``exporters/sage300.py``). A test compares the document with them;
``python -m exporters.mapping_docs`` rewrites the sections between their markers.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from exporters import sage100, sage300
from exporters.mapping import Field, Table
from models import registry
from models.erp import ERP_NAMES
from models.workflow.keys import KeySource, key_source

DOC = Path(__file__).resolve().parents[1] / "docs" / "workflow.md"
SECTIONS = ("erp keys", "export tables")

_SOURCES = {
    KeySource.APPROVER: "typed by the approver when accepting",
    KeySource.RECORD: "the record's own number, as the export carries it",
    KeySource.ERP: "the ERP's record number (the export proposes the record's number)",
}
_SCOPES = {
    None: "the company",
    "project_id": "the project",
    "budget_id": "the budget",
    "commitment_id": "the commitment",
    "prime_contract_id": "the prime contract",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def keys_markdown() -> str:
    rows = [
        "| Record | ERP key | Comes from | Unique within | Acknowledgement may give another |",
        "|---|---|---|---|---|",
    ]
    keys = _origin_keys()
    for spec in registry.REGISTRY:
        source = key_source(spec)
        key = spec.origin_id.label if spec.origin_id is not None else keys.get(spec.record_type, "")
        comes_from = _SOURCES[source]
        changeable = (
            "yes (the ERP assigns it)" if source == KeySource.ERP else "no: refused (ORIGIN_ID_MISMATCH)"
        )
        if not any(support.export_supported for support in spec.erp.values()):
            # import only (prime contracts): the key is the one the ERP's record comes in with
            comes_from, changeable = (
                "the ERP's own key, as the record comes in (import only)",
                "never exported",
            )
        rows.append(
            f"| {spec.noun} | {_cell(key)} | {comes_from} | {_SCOPES[spec.key_scope]} | {changeable} |"
        )
    return "\n".join(rows)


def _origin_keys() -> dict[object, str]:
    """Per record type, the ERP columns holding its key, e.g. "Subcontract # / Order # (Sage 100);
    Commitment (Sage 300)"."""
    found: dict[object, dict[str, list[str]]] = {}
    for system, tables in _systems():
        for table in tables:
            if table.origin_key:
                by_erp = found.setdefault(table.record_type, {})
                keys = by_erp.setdefault(_short(system), [])
                if table.origin_key not in keys:
                    keys.append(table.origin_key)
    out: dict[object, str] = {}
    for record_type, by_erp in found.items():
        # one entry per key wording, naming the ERPs that use it
        wordings: dict[str, list[str]] = {}
        for erp, keys in by_erp.items():
            wordings.setdefault(" / ".join(keys), []).append(erp)
        out[record_type] = "; ".join(f"{key} ({', '.join(erps)})" for key, erps in wordings.items())
    return out


def _systems() -> tuple[tuple[str, Iterable[Table]], ...]:
    return (
        ("SAGE_100_CONTRACTOR", sage100.TABLES),
        ("SAGE_300_CRE", sage300.TABLES),
    )


def _short(system: str) -> str:
    return "Sage 100" if system == "SAGE_100_CONTRACTOR" else "Sage 300"


def _note(field: Field, table: Table) -> str:
    parts = []
    if field.reference:
        parts.append("reference: which ERP record it belongs to (not a row of the seed table)")
    if field.added:
        parts.append(f"not in the seed table: {field.added}")
    if field.erp == table.total:
        parts.append(f"the sum of the lines' {table.line_amount}, to the cent")
    if field.erp == table.origin_key:
        parts.append("the record's ERP key")
    return "; ".join(parts)


def tables_markdown() -> str:
    out: list[str] = []
    for _system, tables in _systems():
        for table in tables:
            name = ERP_NAMES[table.erp_system]
            out.append(f"#### {name}: {table.entity} ({_cell(table.where)})")
            out.append("")
            out.append("| ERP column | CostBridge | Per | Note |")
            out.append("|---|---|---|---|")
            header = {f.erp for f in table.header}
            for per, fields in (("record", table.header), ("line", table.lines)):
                for field in fields:
                    if per == "line" and field.erp in header:
                        continue
                    note = _cell(_note(field, table))
                    out.append(f"| {_cell(field.erp)} | {_cell(field.source)} | {per} | {note} |")
            for note in table.notes:
                out.append("")
                out.append(f"_{_cell(note)}_")
            out.append("")
    return "\n".join(out).rstrip()


def generated() -> dict[str, str]:
    return {"erp keys": keys_markdown(), "export tables": tables_markdown()}


def _markers(section: str) -> tuple[str, str]:
    return (
        f"<!-- {section}: generated by `python -m exporters.mapping_docs`, do not edit by hand -->",
        f"<!-- end of {section} -->",
    )


def section_of(text: str, section: str) -> str | None:
    start, end = _markers(section)
    found = re.search(re.escape(start) + r"\n(.*?)\n?" + re.escape(end), text, flags=re.S)
    return found.group(1) if found else None


def rewrite(text: str) -> str:
    for section, body in generated().items():
        start, end = _markers(section)
        if section_of(text, section) is None:
            raise ValueError(f"{DOC.name} has no '{start}' ... '{end}' section")
        replacement = f"{start}\n{body}\n{end}"
        pattern = re.compile(re.escape(start) + r"\n.*?\n?" + re.escape(end), flags=re.S)
        found = pattern.search(text)
        assert found is not None
        text = text[: found.start()] + replacement + text[found.end() :]
    return text


def main() -> None:
    DOC.write_text(rewrite(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the generated sections of {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
