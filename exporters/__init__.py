"""Everything that goes out: ERP export mappings and connectors, file exports and reports.

Importing the package registers preflight's file layout rule (``exporters.layouts.check_layout``)
with the record-type registry, since ``models`` cannot import the mappings itself."""

from typing import Any

from models.registry import register_export_check


def _check_layout(context: Any, record: Any) -> None:
    from exporters.layouts import check_layout

    check_layout(context, record)


register_export_check(_check_layout)
