"""docs/workflow.md tells the truth about the code: its ERP key table and its export tables are
the ones the record-type registry and the mapping tables make (regenerate them with
``python -m exporters.mapping_docs``)."""

from __future__ import annotations

import pytest

from exporters import mapping_docs, sage100, sage300


@pytest.mark.parametrize("section", mapping_docs.SECTIONS)
def test_the_docs_tables_are_the_codes_tables(section):
    doc = mapping_docs.DOC.read_text(encoding="utf-8")
    assert mapping_docs.section_of(doc, section) == mapping_docs.generated()[section], (
        f"docs/workflow.md's {section} differ from the code: run python -m exporters.mapping_docs"
    )


def test_every_mapping_table_and_column_is_in_the_docs():
    doc = mapping_docs.DOC.read_text(encoding="utf-8")
    tables = mapping_docs.section_of(doc, "export tables")
    for table in (*sage100.TABLES, *sage300.TABLES):
        assert f": {table.entity} (" in tables
        for field in (*table.header, *table.lines):
            assert f"| {field.erp} | {field.source.replace('|', chr(92) + '|')} |" in tables
    assert "not in the seed table: the line's amount" in tables
