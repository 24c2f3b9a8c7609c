"""The access policy: the one place that decides whether an actor may read or do something.

Vocabulary (shared with the command line, ``costbridge users set-permission``): a permission level
per tool, NONE < READ_ONLY < STANDARD < ADMIN, on the tools of ``models.enums.Tool``; plus the
"can push to accounting" privilege (CAN_PUSH_TO_ACCOUNTING), and the ERP connector privilege
(ERP_CONNECTOR). On each tool, READ_ONLY reads its records, STANDARD creates and edits them, ADMIN
locks, configures and sends them to the ERP. An accounting approver has STANDARD or ADMIN on ERP
Integrations and the approver privilege. A connector (the file connector, or the account a sync agent
on the ERP server signs in with) has ADMIN on ERP Integrations and the connector privilege: only it
reports what the ERP did with an export (acknowledge, fail). The two privileges are apart on purpose:
whoever decides what goes to the books is not who vouches that it arrived.

An actor is explicit, never None: a ``User``, or a named ``SystemActor`` (the command line, the
demo loader, a connector) with its own grants. Every domain function takes one and asks this
module; the GraphQL fields, ``node(id:)`` and the download routes ask it too, through the same
``Need`` values, so what a user may read through one door they may read through every other.

A ``Need`` is what an action asks of the actor: levels on tools (all of them, or one of them) and
perhaps the approver or connector privilege. The named needs below are the policy; record-level needs come
from the record's tool (``reading``, ``editing``, ``administering``, ``deciding``, ``unlinking``), which
the record-type registry supplies.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from models.enums import PermissionLevel, Tool
from models.errors import DomainError, ErrorCode

NONE = PermissionLevel.NONE
READ_ONLY = PermissionLevel.READ_ONLY
STANDARD = PermissionLevel.STANDARD
ADMIN = PermissionLevel.ADMIN

# --- vocabulary ----------------------------------------------------------------------------------

TOOL_LABELS: dict[Tool, str] = {
    Tool.ERP_INTEGRATIONS: "ERP Integrations",
    Tool.PROJECT_ADMIN: "Project Admin",
    Tool.BUDGET: "Budget",
    Tool.COMMITMENTS: "Commitments",
    Tool.DIRECTORY: "Directory",
    Tool.INVOICES: "Invoices",
    Tool.REPORTS: "Reports",
    Tool.PRIME_CONTRACTS: "Prime Contract",
}
APPROVER_PRIVILEGE = "CAN_PUSH_TO_ACCOUNTING"
CONNECTOR_PRIVILEGE = "ERP_CONNECTOR"
TOOL_NAMES: tuple[str, ...] = tuple(t.value for t in Tool)
LEVEL_NAMES: tuple[str, ...] = tuple(level.name for level in PermissionLevel)


def parse_tool(text: str) -> Tool:
    """A tool by its name (``BUDGET``, ``erp-integrations``, ``Project Admin``); INVALID_VALUE
    otherwise."""
    key = text.strip().upper().replace("-", "_").replace(" ", "_")
    try:
        return Tool(key)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"Unknown tool '{text}': use one of {', '.join(TOOL_NAMES)}", "tool"
        ) from None


def parse_level(text: str) -> PermissionLevel:
    """A level by its name (``READ_ONLY``, ``read-only``, ``admin``); INVALID_VALUE otherwise."""
    key = text.strip().upper().replace("-", "_").replace(" ", "_")
    try:
        return PermissionLevel[key]
    except KeyError:
        raise DomainError(
            ErrorCode.INVALID_VALUE,
            f"Unknown permission level '{text}': use one of {', '.join(LEVEL_NAMES)}",
            "level",
        ) from None


def parse_grants(grants: Iterable[str]) -> dict[Tool, PermissionLevel]:
    """``["ALL=READ_ONLY", "BUDGET=ADMIN"]`` -> a level per tool. ``ALL`` names every tool and is
    applied first, so the named tools override it."""
    pairs: list[tuple[str, PermissionLevel]] = []
    for grant in grants:
        name, sep, level_name = grant.partition("=")
        if not sep:
            raise DomainError(ErrorCode.INVALID_VALUE, f"'{grant}' is not TOOL=LEVEL", "grant")
        pairs.append((name.strip(), parse_level(level_name)))
    levels: dict[Tool, PermissionLevel] = {}
    for name, level in sorted(pairs, key=lambda pair: pair[0].upper() != "ALL"):
        for each in Tool if name.upper() == "ALL" else (parse_tool(name),):
            levels[each] = level
    return levels


def describe_grants(levels: Mapping[Tool, PermissionLevel]) -> str:
    """Levels as ``parse_grants`` reads them: TOOL=LEVEL for every tool above NONE."""
    grants = [
        f"{tool.value}={PermissionLevel(levels[tool]).name}" for tool in Tool if levels.get(tool, NONE) > NONE
    ]
    return " ".join(grants) if grants else "no permissions"


# --- actors --------------------------------------------------------------------------------------


class Actor(Protocol):
    """Who acts: a ``models.users.User`` or a ``SystemActor``."""

    @property
    def name(self) -> str: ...

    @property
    def user_id(self) -> int | None: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def can_push_to_accounting(self) -> bool: ...

    @property
    def acts_as_connector(self) -> bool: ...

    def level(self, tool: Tool) -> PermissionLevel: ...


@dataclass(frozen=True, eq=False)
class SystemActor:
    """A named actor that is not a person: the command line, the demo loader, a connector. Its
    name is what the sync history shows; its grants are what it may do."""

    name: str
    grants: Mapping[Tool, PermissionLevel] = field(default_factory=dict)
    can_push_to_accounting: bool = False
    active: bool = True
    acts_as_connector: bool = False

    @property
    def user_id(self) -> int | None:
        return None

    @property
    def is_active(self) -> bool:
        return self.active

    def level(self, tool: Tool) -> PermissionLevel:
        return self.grants.get(tool, NONE)


ALL_ADMIN: dict[Tool, PermissionLevel] = {tool: ADMIN for tool in Tool}


def system_actor(name: str) -> SystemActor:
    """An actor with every permission, for trusted callers that hold the database itself (the
    command line, set-up scripts)."""
    return SystemActor(name, dict(ALL_ADMIN), can_push_to_accounting=True, acts_as_connector=True)


def connector(name: str) -> SystemActor:
    """A connector delivering the outbox: ADMIN on ERP Integrations and the connector privilege,
    nothing else."""
    return SystemActor(name, {Tool.ERP_INTEGRATIONS: ADMIN}, acts_as_connector=True)


COMMAND_LINE = system_actor("command line")
DEMO_LOADER = system_actor("demo loader")
# what a request without a valid token acts as: refused everything
ANONYMOUS = SystemActor("anonymous", active=False)


def level_of(actor: Actor, tool: Tool) -> PermissionLevel:
    """The actor's level on ``tool``; NONE for a disabled user."""
    if actor is None:  # a programming error, not a permission question
        raise TypeError("an actor is required: a user or a named system actor")
    if not actor.is_active:
        return NONE
    return PermissionLevel(actor.level(tool))


def is_accounting_approver(actor: Actor) -> bool:
    """STANDARD or ADMIN on ERP Integrations AND the 'can push to accounting' privilege."""
    return actor.can_push_to_accounting and level_of(actor, Tool.ERP_INTEGRATIONS) >= STANDARD


def is_connector(actor: Actor) -> bool:
    """ADMIN on ERP Integrations AND the ERP connector privilege."""
    return actor.acts_as_connector and level_of(actor, Tool.ERP_INTEGRATIONS) >= ADMIN


# --- needs ---------------------------------------------------------------------------------------

Grant = tuple[Tool, PermissionLevel]


def _grant_text(grant: Grant) -> str:
    tool, level = grant
    return f"{level.name} on {TOOL_LABELS[tool]}"


@dataclass(frozen=True)
class Need:
    """What an action asks of the actor: every level of ``all_of``, at least one of ``any_of``
    (when given), the approver privilege when ``approver``, the connector privilege when
    ``connector``."""

    all_of: tuple[Grant, ...] = ()
    any_of: tuple[Grant, ...] = ()
    approver: bool = False
    connector: bool = False

    def allows(self, actor: Actor) -> bool:
        if actor is None:  # a programming error, not a permission question
            raise TypeError("an actor is required: a user or a named system actor")
        if not actor.is_active:  # a disabled user, or no user at all
            return False
        if any(level_of(actor, tool) < level for tool, level in self.all_of):
            return False
        if self.any_of and not any(level_of(actor, tool) >= level for tool, level in self.any_of):
            return False
        if self.connector and not is_connector(actor):
            return False
        return not self.approver or is_accounting_approver(actor)

    def __and__(self, other: Need) -> Need:
        if self.any_of and other.any_of:
            raise ValueError("cannot combine two 'one of' needs")
        return Need(
            all_of=tuple(dict.fromkeys(self.all_of + other.all_of)),
            any_of=self.any_of or other.any_of,
            approver=self.approver or other.approver,
            connector=self.connector or other.connector,
        )

    @property
    def tools(self) -> tuple[Tool, ...]:
        """The tools this need looks at, in order (ERP Integrations too for the approver and the
        connector)."""
        tools = [t for t, _ in self.all_of + self.any_of]
        if self.approver or self.connector:
            tools.insert(0, Tool.ERP_INTEGRATIONS)
        return tuple(dict.fromkeys(tools))

    def describe(self) -> str:
        """The need in words, as refusals and the permission matrix say it."""
        privileged = self.approver or self.connector
        parts = [_grant_text(g) for g in self.all_of if not (privileged and g[0] == Tool.ERP_INTEGRATIONS)]
        if self.any_of:
            levels = {level for _, level in self.any_of}
            if len(levels) == 1:
                tools = ", ".join(TOOL_LABELS[t] for t, _ in self.any_of)
                parts.append(f"{levels.pop().name} on one of {tools}")
            else:
                parts.append("one of " + ", ".join(_grant_text(g) for g in self.any_of))
        if self.approver:
            parts.insert(
                0,
                "an accounting approver (STANDARD or ADMIN on ERP Integrations and the "
                "'can push to accounting' privilege)",
            )
        if self.connector:
            parts.insert(
                0,
                f"an ERP connector (ADMIN on ERP Integrations and the {CONNECTOR_PRIVILEGE} privilege)",
            )
        return " and ".join(parts) if parts else "a signed-in, active user"


def at_least(tool: Tool, level: PermissionLevel) -> Need:
    return Need(all_of=((tool, level),))


def one_of(tools: Iterable[Tool], level: PermissionLevel) -> Need:
    return Need(any_of=tuple((tool, level) for tool in tools))


@functools.cache
def reading(tool: Tool) -> Need:
    """Reading a tool's records: its fields, node(id:), its lists and downloads."""
    return at_least(tool, READ_ONLY)


@functools.cache
def editing(tool: Tool) -> Need:
    """Creating and changing a tool's records."""
    return at_least(tool, STANDARD)


@functools.cache
def administering(tool: Tool) -> Need:
    """Send, retrieve and resend a tool's records to ERP Integrations; lock a budget."""
    return at_least(tool, ADMIN)


SIGNED_IN = Need()
APPROVER = Need(all_of=((Tool.ERP_INTEGRATIONS, STANDARD),), approver=True)


@functools.cache
def deciding(tool: Tool) -> Need:
    """Accept or reject a record: an accounting approver who can see the record."""
    return APPROVER & reading(tool)


# Unlinking a synced record from its ERP record.
UNLINK_NEED = at_least(Tool.ERP_INTEGRATIONS, STANDARD)


@functools.cache
def unlinking(tool: Tool) -> Need:
    return UNLINK_NEED & reading(tool)


# --- the named needs: what each area asks ------------------------------------------------------

# Cost codes and cost types are the labels every line carries: any project-side reader sees them.
WBS_READ = one_of(
    (
        Tool.PROJECT_ADMIN,
        Tool.BUDGET,
        Tool.COMMITMENTS,
        Tool.INVOICES,
        Tool.PRIME_CONTRACTS,
        Tool.ERP_INTEGRATIONS,
        Tool.REPORTS,
    ),
    READ_ONLY,
)
WBS_EDIT = editing(Tool.PROJECT_ADMIN)

# Job-cost transactions from the ERP are read with the budget (they are its Direct Costs column).
DIRECT_COSTS_READ = reading(Tool.BUDGET)

# The approver's queue and digest (each record type shown only to its tool's readers).
QUEUE = reading(Tool.ERP_INTEGRATIONS)
# Watching sync status change live (the syncStatusChanged subscription): readers of any tool that
# owns syncable records; each change reaches only the readers of its record's tool.
SYNC_STATUS_EVENTS = one_of(
    (Tool.PROJECT_ADMIN, Tool.DIRECTORY, Tool.BUDGET, Tool.COMMITMENTS, Tool.INVOICES, Tool.PRIME_CONTRACTS),
    READ_ONLY,
)
# The outbox (erpExports, ErpExport nodes with their ERP payloads): accounting staff and agents.
OUTBOX = at_least(Tool.ERP_INTEGRATIONS, STANDARD)
# Delivering the outbox and reporting what the ERP did with it (mark delivered, acknowledge, fail,
# requeue): the file connector, or a sync agent signed in with the connector privilege. ADMIN on
# ERP Integrations alone is not enough: an administrator cannot vouch that the ERP took a record.
CONNECTOR = Need(all_of=((Tool.ERP_INTEGRATIONS, ADMIN),), connector=True)
# The ERP settings, including the file connector's folder and schedule.
ERP_SETTINGS = at_least(Tool.ERP_INTEGRATIONS, ADMIN)
# ERP jobs (and their phases/extras) coming in.
RECEIVE_ERP_JOBS = at_least(Tool.ERP_INTEGRATIONS, ADMIN)
# The rest of the ERP's set-up coming in: its cost code list and categories, and its estimates (budgets).
RECEIVE_ERP_COST_CODES = at_least(Tool.ERP_INTEGRATIONS, ADMIN)
RECEIVE_ERP_ESTIMATES = at_least(Tool.ERP_INTEGRATIONS, ADMIN)
# Job-cost transactions coming in, and placing the rows that could not be placed.
IMPORT_JOB_COSTS = at_least(Tool.ERP_INTEGRATIONS, STANDARD)
PLACE_JOB_COSTS = at_least(Tool.ERP_INTEGRATIONS, STANDARD)

# Prime contracts come in from the ERP (Sage 300 CRE Contracts): the seeds give "Import a Prime
# Contract from an Integrated ERP System" to STANDARD and ADMIN on ERP Integrations; the importer also
# reads the prime contracts it loads (nobody loads what they cannot see).
IMPORT_PRIME_CONTRACTS = at_least(Tool.ERP_INTEGRATIONS, STANDARD) & reading(Tool.PRIME_CONTRACTS)

# Reports. The project-level ERP job costs report and the unsyncable direct costs report, as the
# seeds scope them: READ_ONLY on Reports AND (ADMIN on Budget OR ADMIN on Prime Contract).
BUDGET_OR_PRIME_CONTRACT_ADMIN = one_of((Tool.BUDGET, Tool.PRIME_CONTRACTS), ADMIN)
JOB_COST_REPORT = reading(Tool.REPORTS) & BUDGET_OR_PRIME_CONTRACT_ADMIN
UNSYNCABLE_DIRECT_COSTS = reading(Tool.REPORTS) & BUDGET_OR_PRIME_CONTRACT_ADMIN
# The company-level job-cost summary spans every project: ADMIN on ERP Integrations (as the seeds).
COMPANY_JOB_COST_SUMMARY = at_least(Tool.ERP_INTEGRATIONS, ADMIN)
# "View an Accountant Report for ERP": ADMIN on ERP Integrations (each record type also only for
# readers of its tool, as in the approver's queue).
ACCOUNTANT_REPORT = at_least(Tool.ERP_INTEGRATIONS, ADMIN)
# The digest e-mail settings, sending the digest now: the ERP settings' need.
DIGEST_DELIVERY = at_least(Tool.ERP_INTEGRATIONS, ADMIN)

# Users and tokens: the company administrator (ADMIN on every tool) or the command line.
MANAGE_USERS = Need(all_of=tuple((tool, ADMIN) for tool in Tool))

# Reading the schema itself (introspection) where the server runs in production mode: those who
# configure the ERP integration; elsewhere the schema is open to every signed-in user.
INTROSPECT_IN_PRODUCTION = at_least(Tool.ERP_INTEGRATIONS, ADMIN)


# --- asking --------------------------------------------------------------------------------------


def allows(actor: Actor, need: Need) -> bool:
    return need.allows(actor)


def denied(action: str, need: Need) -> DomainError:
    return DomainError(ErrorCode.PERMISSION_DENIED, f"{action} needs {need.describe()}")


def require(actor: Actor, need: Need, action: str) -> None:
    """Raise PERMISSION_DENIED (naming what is needed) unless ``actor`` meets ``need``.

    ``action`` names what was attempted, as a sentence starts: "Sending a budget"."""
    if not need.allows(actor):
        raise denied(action, need)


def readable_tools(actor: Actor) -> frozenset[Tool]:
    return frozenset(tool for tool in Tool if level_of(actor, tool) >= READ_ONLY)


def can_read(actor: Actor, tool: Tool) -> bool:
    return level_of(actor, tool) >= READ_ONLY
