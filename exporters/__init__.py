"""Everything that goes out: ERP export mappings and connectors, file exports and reports.

Importing the package registers preflight's file layout rule (``exporters.layouts.check_layout``)
with ``models.preflight``, which cannot import the mappings itself."""

from typing import Any

from models.preflight import register_payload_check


def _check_layout(session: Any, record: Any, settings: Any, result: Any) -> None:
    from exporters.layouts import check_layout

    check_layout(session, record, settings, result)


register_payload_check(_check_layout)
