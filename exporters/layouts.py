"""The file layouts in use: every layout (``exporters/sage100_layouts.py``,
``exporters/sage300_layouts.py``), which one lays out each ERP entity for this company, and the
checks preflight and the file connector run with it.

The company chooses per ERP system a default layout and, per ERP entity, an override
(``updateErpSettings``: ``fileLayout``, ``fileLayouts``). An entity's layout is its override, else
the default when the default has a layout for the entity whose columns are all published
(``Layout.confirmed``), else ``named``: the mapping's own columns, one CSV per entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from exporters import sage100_layouts, sage300_layouts
from exporters.layout import Layout, Problem
from exporters.mapping import build_payload, table_for, tables_of
from models import erp as erp_settings
from models import registry
from models.company import CompanySettings
from models.enums import ErpSystem, FileLayout
from models.policy import Actor
from models.preflight_checks import CheckContext

LAYOUTS: tuple[Layout, ...] = (*sage100_layouts.LAYOUTS, *sage300_layouts.LAYOUTS)
NAMED_ONLY: dict[ErpSystem, dict[str, str]] = {
    ErpSystem.SAGE_100_CONTRACTOR: sage100_layouts.NAMED_ONLY,
    ErpSystem.SAGE_300_CRE: sage300_layouts.NAMED_ONLY,
}


def find(profile: FileLayout, system: ErpSystem, entity: str) -> Layout | None:
    for layout in LAYOUTS:
        if (layout.profile, layout.erp_system, layout.entity) == (profile, ErpSystem(system), entity):
            return layout
    return None


def available(system: ErpSystem) -> dict[str, set[FileLayout]]:
    """Per ERP entity of ``system``, the layouts a company may choose (``named`` for every one)."""
    out: dict[str, set[FileLayout]] = {}
    for table in tables_of(system):
        out.setdefault(table.entity, {FileLayout.NAMED})
    for layout in LAYOUTS:
        if layout.erp_system == ErpSystem(system):
            out[layout.entity].add(layout.profile)
    return out


@dataclass(frozen=True)
class EntityLayout:
    entity: str
    layout: FileLayout  # the one in use
    chosen: bool  # chosen for this entity (not the company default)
    available: tuple[FileLayout, ...]


def layout_for(settings: CompanySettings, system: ErpSystem, entity: str) -> Layout | None:
    """The layout ``entity`` files are written in, or None for ``named``."""
    choices = erp_settings.file_layout_choices(settings, system)
    explicit = entity in choices
    profile = choices[entity] if explicit else choices.get(erp_settings.DEFAULT_LAYOUT, FileLayout.NAMED)
    if profile == FileLayout.NAMED:
        return None
    layout = find(profile, system, entity)
    if layout is None or (not explicit and not layout.confirmed):
        return None
    return layout


def default_layout(settings: CompanySettings, system: ErpSystem | None = None) -> FileLayout:
    system = ErpSystem(system or settings.erp_system)
    return erp_settings.file_layout_choices(settings, system).get(
        erp_settings.DEFAULT_LAYOUT, FileLayout.NAMED
    )


def entity_layouts(settings: CompanySettings) -> list[EntityLayout]:
    """Every ERP entity of the configured system with the layout in use and the ones on offer."""
    system = ErpSystem(settings.erp_system)
    choices = erp_settings.file_layout_choices(settings, system)
    out = []
    for entity, options in available(system).items():
        layout = layout_for(settings, system, entity)
        out.append(
            EntityLayout(
                entity=entity,
                layout=layout.profile if layout is not None else FileLayout.NAMED,
                chosen=entity in choices,
                available=tuple(sorted(options, key=lambda o: (o != FileLayout.NAMED, o.value))),
            )
        )
    return out


def update_erp_settings(session: Session, actor: Actor, **values: Any) -> CompanySettings:
    """``models.erp.update_erp_settings`` with the layouts checked against this catalogue."""
    return erp_settings.update_erp_settings(session, actor, layouts=available, **values)


# --- checks ------------------------------------------------------------------------------------------


def _pending(record: Any, key: str | None) -> tuple[str, ...]:
    """The columns whose value comes later: the ERP key the approver types when accepting."""
    typed = registry.spec_of(record).origin_id
    if key and typed is not None and not record.origin_id:
        return (key,)
    return ()


def check_layout(context: CheckContext, record: Any) -> None:
    """Preflight's layout rule, registered for every record type: what the record's export would be
    must fit the layout its entity is written in (lengths, numbers, codes, columns the layout has no
    place for)."""
    session, settings, result = context.session, context.settings, context.result
    system = ErpSystem(settings.erp_system)
    try:
        table = table_for(system, record)
    except LookupError:
        return
    layout = layout_for(settings, system, table.entity)
    if layout is None:
        return
    _entity, payload = build_payload(session, record, settings)
    for problem in layout.problems(payload, pending=_pending(record, table.origin_key)):
        if problem.warning:
            result.warn(problem.code, problem.message, problem.fix)
        else:
            result.block(problem.code, problem.message, problem.fix, problem.field, limit=problem.limit)


def export_problems(layout: Layout, payload: Mapping[str, Any]) -> list[Problem]:
    """What keeps an accepted export from its file (the connector fails it instead of writing it)."""
    return [p for p in layout.problems(payload) if not p.warning]
