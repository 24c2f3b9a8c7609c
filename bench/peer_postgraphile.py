"""Benchmark: CostBridge against a peer on the same PostgreSQL data, PostGraphile 4.

One throwaway PostgreSQL (tests/pgserver.py) holds 100 projects with their budgets and 663 budget
lines (cost code, cost type, some on a sub job). Both servers read the same page of 100 projects
with each budget's lines: CostBridge (`costbridge serve`, one worker, a bearer token) and
PostGraphile 4 (installed from the npm registry into bench/.data/, run with node). The bench
checks that both answers hold the same values, to the cent, then drives each server in turn with
the same number of requests from a few concurrent clients and prints, from /proc, the CPU each
spends per request: the server's processes plus PostgreSQL's. The budget (DESIGN.md section 8):
CostBridge <= 2x PostGraphile's CPU per request.

Skipped, with the reason, where node or npm is missing or the npm registry cannot be reached.

    .venv/bin/python bench/peer_postgraphile.py [--requests 300] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from serve_load import TICK, free_port, postmaster_pid, start_server, stop_server, tree_ticks  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from models.audit import sessions_acting_as  # noqa: E402
from models.budgets import Budget, BudgetLine  # noqa: E402
from models.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from models.enums import Origin, SyncStatus  # noqa: E402
from models.policy import ALL_ADMIN, COMMAND_LINE  # noqa: E402
from models.projects import Project, SubJob  # noqa: E402
from models.users import create_user, issue_token  # noqa: E402
from models.wbs import CostCode, CostType  # noqa: E402
from tests import pgserver  # noqa: E402

LIMIT = 2.0
PROJECTS = 100
DATA = ROOT / "bench" / ".data"
POSTGRAPHILE_VERSION = "4"

OURS = """
query($first: Int!) {
  projects(first: $first) {
    nodes {
      number name
      sync { status originId }
      budget {
        locked
        lines { description originalAmount costCode { code } costType { code } subJob { number } }
      }
    }
  }
}
"""
THEIRS = """
query($first: Int!) {
  allProjects(first: $first, orderBy: NUMBER_ASC) {
    nodes {
      number name syncStatus originId
      budgetByProjectId {
        locked
        budgetLinesByBudgetId {
          nodes {
            description originalAmount
            costCodeByCostCodeId { code }
            costTypeByCostTypeId { code }
            subJobBySubJobId { number }
          }
        }
      }
    }
  }
}
"""


# --- the data ---------------------------------------------------------------------------------------


def seed(url: str) -> tuple[str, int]:
    """100 projects, 663 budget lines; returns an admin token and the line count."""
    engine = make_engine(url)
    migrate(engine)
    factory = sessions_acting_as(make_sessionmaker(engine), COMMAND_LINE)
    with factory() as s:
        s.execute(insert(CostCode), [{"code": f"{d:02d}-{c}00", "description": "", "division": f"{d:02d}"}
                                     for d in range(1, 6) for c in range(1, 5)])  # fmt: skip
        s.execute(insert(CostType), [{"code": str(n), "name": f"Type {n}"} for n in range(1, 6)])
        codes = s.scalars(text("SELECT id FROM cost_codes ORDER BY id")).all()
        types = s.scalars(text("SELECT id FROM cost_types ORDER BY id")).all()
        lines = 0
        for p in range(PROJECTS):
            synced = p % 3 == 0
            project = Project(
                number=f"B-{p:03d}",
                name=f"Bench project {p}",
                origin=Origin.COSTBRIDGE,
                origin_id=f"J{p:04d}" if synced else None,
                sync_status=SyncStatus.SYNCED if synced else SyncStatus.NOT_SENT,
            )
            s.add(project)
            s.flush()
            sub_job = SubJob(project_id=project.id, number="01", name="Phase 1")
            budget = Budget(project_id=project.id, locked=p % 2 == 0)
            s.add_all([sub_job, budget])
            s.flush()
            count = 7 if p < 63 else 6
            for i in range(count):
                on_sub_job = i % 3 == 0
                s.add(
                    BudgetLine(
                        budget_id=budget.id,
                        cost_code_id=codes[(p + i) % len(codes)],
                        cost_type_id=types[i % len(types)],
                        sub_job_id=sub_job.id if on_sub_job else None,
                        sub_job_key=sub_job.id if on_sub_job else 0,
                        description=f"Line {i} of {p}",
                        original_amount=Decimal(f"{1000 + 37 * i + p}.{(p * 7 + i) % 100:02d}"),
                    )
                )
                lines += 1
        user = create_user(s, COMMAND_LINE, name="Bench", email="bench@example.com", levels=ALL_ADMIN)
        token = issue_token(s, COMMAND_LINE, user)
        s.commit()
    engine.dispose()
    return token, lines


def canonical_ours(body: dict) -> list:
    out = []
    for node in body["data"]["projects"]["nodes"]:
        budget = node["budget"]
        lines = sorted(
            (
                line["description"],
                Decimal(line["originalAmount"]),
                line["costCode"]["code"],
                line["costType"]["code"],
                (line["subJob"] or {}).get("number"),
            )
            for line in budget["lines"]
        )
        out.append((node["number"], node["name"], node["sync"]["status"], node["sync"]["originId"],
                    budget["locked"], lines))  # fmt: skip
    return out


def canonical_theirs(body: dict) -> list:
    out = []
    for node in body["data"]["allProjects"]["nodes"]:
        budget = node["budgetByProjectId"]
        lines = sorted(
            (
                line["description"],
                Decimal(line["originalAmount"]),
                line["costCodeByCostCodeId"]["code"],
                line["costTypeByCostTypeId"]["code"],
                (line["subJobBySubJobId"] or {}).get("number"),
            )
            for line in budget["budgetLinesByBudgetId"]["nodes"]
        )
        out.append(
            (node["number"], node["name"], node["syncStatus"], node["originId"], budget["locked"], lines)
        )
    return out


# --- PostGraphile -----------------------------------------------------------------------------------


def postgraphile_script() -> Path | str:
    """The installed PostGraphile CLI, or why there is none."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node and npm are not on this machine"
    target = DATA / "postgraphile"
    script = target / "node_modules" / "postgraphile" / "cli.js"
    if not script.exists():
        target.mkdir(parents=True, exist_ok=True)
        print(f"installing postgraphile@{POSTGRAPHILE_VERSION} into {target} ...", flush=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(target),
                f"postgraphile@{POSTGRAPHILE_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0 or not script.exists():
            return f"npm could not install postgraphile: {done.stderr.strip()[-300:]}"
    return script


def start_postgraphile(script: Path, url: str, port: int, cwd: Path) -> subprocess.Popen:
    log = (cwd / f"postgraphile-{port}.log").open("w")
    proc = subprocess.Popen(
        ["node", str(script), "--connection", url, "--schema", "public", "--host", "127.0.0.1",
         "--port", str(port), "--disable-query-log", "--disable-graphiql"],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NODE_ENV": "production"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"PostGraphile exited: {(cwd / f'postgraphile-{port}.log').read_text()[-2000:]}")
        try:
            if post(port, None, THEIRS, "/graphql").get("data"):
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("PostGraphile did not start")


# --- requests ---------------------------------------------------------------------------------------


def request_bytes(port: int, token: str | None, query: str, path: str) -> bytes:
    body = json.dumps({"query": query, "variables": {"first": PROJECTS}}).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _exchange(reader, writer, request: bytes) -> bytes:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line[15:]) for line in head.split(b"\r\n") if line[:15].lower() == b"content-length:")
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"answer {head[:40]!r}: {body[:300]!r}")
    return body


def post(port: int, token: str | None, query: str, path: str) -> dict:
    async def once() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await _exchange(reader, writer, request_bytes(port, token, query, path))
        finally:
            writer.close()

    return json.loads(asyncio.run(once()))


def drive(port: int, token: str | None, query: str, requests: int, clients: int) -> list[float]:
    """``requests`` answers from ``clients`` keep-alive connections; their latencies."""
    request = request_bytes(port, token, query, "/graphql")
    latencies: list[float] = []

    async def client(share: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(share):
                started = time.perf_counter()
                await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    async def main() -> None:
        await asyncio.gather(*(client(requests // clients) for _ in range(clients)))

    asyncio.run(main())
    return latencies


def cpu_per_request(server: int, database: int, port: int, token, query: str, requests: int, clients: int):
    drive(port, token, query, max(requests // 5, clients), clients)  # warm up
    before = tree_ticks(server) + tree_ticks(database)
    started = time.perf_counter()
    latencies = drive(port, token, query, requests, clients)
    elapsed = time.perf_counter() - started
    used = (tree_ticks(server) + tree_ticks(database) - before) / TICK
    return used / len(latencies) * 1000, len(latencies) / elapsed, statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="measured requests per server")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=3, help="turns each server takes")
    args = parser.parse_args()
    script = postgraphile_script()
    if not isinstance(script, Path):
        print(f"SKIPPED: PostGraphile is not available ({script})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pg = pgserver.start_server()
        servers = []
        try:
            admin = make_engine(pg.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench_peer"))
            admin.dispose()
            url = pg.url("bench_peer")
            token, lines = seed(url)
            database = postmaster_pid(pg)
            ours_port, theirs_port = free_port(), free_port()
            ours = start_server(url, 1, ours_port, work)
            servers.append(ours)
            theirs = start_postgraphile(
                script, url.replace("postgresql+psycopg://", "postgres://"), theirs_port, work
            )
            servers.append(theirs)

            ours_answer = canonical_ours(post(ours_port, token, OURS, "/graphql"))
            theirs_answer = canonical_theirs(post(theirs_port, None, THEIRS, "/graphql"))
            same = ours_answer == theirs_answer
            print(f"{PROJECTS} projects, {lines} budget lines; same answers: {same}", flush=True)
            if not same:
                raise SystemExit("the two servers answer differently")

            figures: dict[str, list[tuple[float, float, float]]] = {"costbridge": [], "postgraphile": []}
            per_round = args.requests // args.rounds
            for _ in range(args.rounds):  # in turns: other load on the machine weighs on both alike
                figures["costbridge"].append(
                    cpu_per_request(ours.pid, database, ours_port, token, OURS, per_round, args.clients)
                )
                figures["postgraphile"].append(
                    cpu_per_request(theirs.pid, database, theirs_port, None, THEIRS, per_round, args.clients)
                )
        finally:
            for proc in servers:
                stop_server(proc)
            pg.stop()
    summary = {}
    for name, rows in figures.items():
        cpu = statistics.median(r[0] for r in rows)
        rps = statistics.median(r[1] for r in rows)
        p50 = statistics.median(r[2] for r in rows)
        summary[name] = cpu
        print(f"{name:<13} CPU/request (server + PostgreSQL) {cpu:6.1f} ms   {rps:6.1f} req/s at "
              f"{args.clients} clients   median latency {p50:6.1f} ms")  # fmt: skip
    ratio = summary["costbridge"] / summary["postgraphile"]
    print(f"ratio {ratio:.2f} (limit {LIMIT}) CPU per request, CostBridge / PostGraphile")


if __name__ == "__main__":
    main()
