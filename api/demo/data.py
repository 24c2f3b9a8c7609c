"""The demo company's data: Pacific Ridge Builders, a Sage 100 Contractor builder in California;
its users, standard cost codes and types, vendors and the budgets of its three projects."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import PermissionLevel, Tool
from models.policy import ALL_ADMIN

COMPANY_NAME = "Pacific Ridge Builders"
TOKEN_LABEL = "demo"

# --- the demo users ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    role: str
    name: str
    email: str
    levels: dict[Tool, PermissionLevel]
    approver: bool
    connector: bool = False


_R, _S, _A = PermissionLevel.READ_ONLY, PermissionLevel.STANDARD, PermissionLevel.ADMIN

DEMO_USERS = (
    DemoUser("admin", "Alex Morgan", "admin@pacificridge.example", dict(ALL_ADMIN), approver=True),
    DemoUser(
        "project manager",
        "Priya Shah",
        "pm@pacificridge.example",
        {
            Tool.PROJECT_ADMIN: _A,
            Tool.BUDGET: _A,
            Tool.COMMITMENTS: _A,
            Tool.INVOICES: _A,
            Tool.DIRECTORY: _A,
            Tool.PRIME_CONTRACTS: _A,
            Tool.ERP_INTEGRATIONS: _R,
            Tool.REPORTS: _R,
        },
        approver=False,
    ),
    DemoUser(
        "accounting approver",
        "Dana Whitfield",
        "accounting@pacificridge.example",
        # ADMIN on Prime Contract: the owner contracts are accounting's, and with READ_ONLY on Reports it
        # opens the project job-cost reports (the seeds: Reports AND Budget or Prime Contract ADMIN)
        {
            **{tool: _R for tool in Tool},
            Tool.ERP_INTEGRATIONS: _S,
            Tool.REPORTS: _A,
            Tool.PRIME_CONTRACTS: _A,
        },
        approver=True,
    ),
    # the account the sync agent on the Sage server signs in with: it pulls the outbox and reports
    # back (acknowledgeErpExport, failErpExport), and nothing else
    DemoUser(
        "sync agent",
        "Sage sync agent",
        "agent@pacificridge.example",
        {Tool.ERP_INTEGRATIONS: _A},
        approver=False,
        connector=True,
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    token: str


# --- the company's standard lists ---------------------------------------------------------------

COST_TYPES = (("1", "Material"), ("2", "Labor"), ("3", "Equipment"), ("4", "Subcontract"), ("5", "Other"))

# Sage 100 Contractor style standard cost codes, as imported from the ERP.
STANDARD_COST_CODES = (
    ("1000.000", "General Conditions"),
    ("1100.000", "Project Supervision"),
    ("1200.000", "Temporary Facilities"),
    ("1300.000", "Permits & Fees"),
    ("2000.000", "Site Work"),
    ("2120.000", "Site Clearing"),
    ("2200.000", "Earthwork & Grading"),
    ("2500.000", "Paving & Surfacing"),
    ("2900.000", "Landscaping"),
    ("3000.000", "Concrete"),
    ("3100.000", "Concrete Forming"),
    ("3200.000", "Concrete Reinforcement"),
    ("3300.000", "Cast-in-Place Concrete"),
    ("4200.000", "Unit Masonry"),
    ("5100.000", "Structural Steel"),
    ("6100.000", "Rough Carpentry"),
    ("6200.000", "Finish Carpentry"),
    ("7200.000", "Insulation"),
    ("7500.000", "Roofing"),
    ("8100.000", "Doors & Frames"),
    ("8500.000", "Windows & Glazing"),
    ("9250.000", "Gypsum Board"),
    ("9650.000", "Resilient Flooring"),
    ("9900.000", "Painting"),
    ("15400.000", "Plumbing"),
    ("15500.000", "HVAC"),
    ("16000.000", "Electrical"),
)
# Added in CostBridge and not yet in the ERP: a budget using it shows COST_CODE_NOT_IN_ERP.
COSTBRIDGE_COST_CODES = (("9950.000", "Final Cleaning"),)

# (Vendor Record Number or None, name, address, city, zip); a number means it came from Sage.
ERP_VENDORS = (
    ("101", "Bay Area Concrete, Inc.", "4120 Adeline St", "Oakland", "94608"),
    ("102", "Golden State Electric Co.", "955 Commercial St", "San Jose", "95112"),
    ("103", "Sierra Plumbing & Mechanical", "7300 Folsom Blvd", "Sacramento", "95826"),
    ("104", "Coastal Steel Fabricators LLC", "2801 E Spring St", "Long Beach", "90806"),
    ("105", "Redwood Lumber Supply", "1340 Sebastopol Rd", "Santa Rosa", "95407"),
    ("106", "Valley Equipment Rentals", "3900 Coronado Ave", "Stockton", "95204"),
    ("107", "Pacific Drywall & Paint", "24701 Clawiter Rd", "Hayward", "94545"),
    ("108", "Summit Roofing Corp.", "61 Woodland Ave", "San Rafael", "94901"),
)
COSTBRIDGE_VENDORS = (
    ("Mission Glass & Glazing", "1855 Folsom St", "San Francisco", "94103"),
    ("Delta Fire Protection", "1601 Botelho Dr", "Walnut Creek", "94596"),
    ("Ironwood Earthworks", "5200 Old Redwood Hwy", "Petaluma", "94954"),
    ("Central Valley Landscaping", "1120 Kansas Ave", "Modesto", "95351"),
)

# --- the projects ---------------------------------------------------------------------------------

# budget line: (sub job number or None, cost code, cost type, description, amount)
HARBOR_POINT_BUDGET = (
    (None, "1000.000", "5", "Owner contingency", "75000.00"),
    (None, "1100.000", "2", "Superintendent and project manager", "186400.00"),
    (None, "1200.000", "3", "Site trailer, fencing and toilets", "42750.00"),
    (None, "1300.000", "5", "Building permit and plan check", "18925.50"),
    (None, "2120.000", "3", "Clearing and grubbing", "24600.00"),
    (None, "2200.000", "4", "Mass excavation and grading", "96300.00"),
    (None, "3100.000", "4", "Foundation and slab forming", "185000.00"),
    (None, "3200.000", "1", "Rebar, #4 and #5", "61840.25"),
    (None, "3300.000", "4", "Footings, slab on grade, elevated deck", "242500.00"),
    (None, "5100.000", "4", "Structural steel frame", "318000.00"),
    (None, "6100.000", "1", "Framing lumber and sheathing", "54275.80"),
    (None, "6100.000", "2", "Framing labor", "47900.00"),
    (None, "9250.000", "4", "Gypsum board and taping", "128450.00"),
    (None, "8500.000", "4", "Storefront and windows", "41200.00"),
    (None, "9650.000", "4", "Resilient flooring allowance (owner selection pending)", "0.00"),
    (None, "9900.000", "4", "Interior and exterior painting", "39880.00"),
    (None, "15400.000", "4", "Plumbing", "164200.00"),
    (None, "16000.000", "4", "Electrical", "212650.00"),
)
RIVERSIDE_BUDGET = (
    (None, "1100.000", "2", "Project supervision", "142000.00"),
    (None, "1200.000", "3", "Temporary facilities", "28500.00"),
    (None, "2200.000", "4", "Site grading", "74250.00"),
    (None, "3300.000", "4", "Podium concrete", "388900.00"),
    (None, "6100.000", "1", "Framing lumber package", "412675.35"),
    (None, "6100.000", "2", "Framing labor", "296400.00"),
    (None, "7500.000", "4", "TPO roofing", "131200.00"),
    (None, "9250.000", "4", "Drywall", "254800.00"),
    (None, "9950.000", "2", "Final cleaning", "18600.00"),
)
MISSION_BAY_BUDGET = (
    ("1", "1100.000", "2", "Supervision, demolition phase", "22000.00"),
    ("1", "2120.000", "3", "Demolition equipment", "12400.00"),
    ("1", "2120.000", "4", "Selective demolition and abatement", "38500.00"),
    ("2", "8100.000", "1", "Doors, frames and hardware", "41275.00"),
    ("2", "9250.000", "4", "Partitions and ceilings", "146300.00"),
    ("2", "16000.000", "4", "Lighting and power", "98640.00"),
    ("3", "6200.000", "1", "Lab casework", "33910.40"),
    ("3", "15400.000", "4", "Lab waste and RO water", "121800.00"),
    ("3", "15500.000", "4", "Fume hood exhaust and HVAC", "265400.00"),
)
