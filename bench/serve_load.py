"""Benchmark: the real server under concurrent clients on loopback.

Three set-ups, each `costbridge serve` in its own process(es) over a database seeded with the demo
company plus 50 projects of 10 budget lines each:

- SQLite, one worker (the embedded default);
- PostgreSQL (a throwaway server, tests/pgserver.py), --workers 1;
- PostgreSQL, --workers 2.

Each is driven by 20 and then 50 concurrent keep-alive clients for a fixed time (the two
PostgreSQL servers run side by side and are measured in alternating turns, so that other load on
the machine weighs on both alike): 90% run the
50-project nested query (projects with their budget, totals and lines with cost code, cost type
and sub job), 10% rename a project (a write). Printed per run: requests per second, latency
p50/p95/p99, non-200 answers and uncoded errors (both must be 0: the bench exits 1 otherwise),
and CPU per request of the server processes plus the database processes (read from /proc).

The machine this runs on has 2 cores shared by the server, PostgreSQL and the load client, so the
client is kept light (asyncio over raw sockets, prepared requests, no JSON decoding unless an
answer carries errors) and its own CPU is printed too; CPU per request is the figure that does not
depend on who else uses the cores. The target: PostgreSQL with 2 workers serves >= 1.5x the
requests per second of 1 worker.

    .venv/bin/python bench/serve_load.py [--seconds 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from api.demo import load_demo_if_empty  # noqa: E402
from api.relay import to_global_id  # noqa: E402
from models import budgets, projects, wbs  # noqa: E402
from models.audit import sessions_acting_as  # noqa: E402
from models.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from models.policy import COMMAND_LINE  # noqa: E402
from models.wbs import CostType  # noqa: E402
from tests import pgserver  # noqa: E402

TARGET = 1.5
PROJECTS = 50
LINES = 10
WRITE_SHARE = 0.10
CONCURRENCY = (20, 50)
RECONNECT_EVERY = 10
TICK = os.sysconf("SC_CLK_TCK")
QUERY = """
query($first: Int!) {
  projects(first: $first) {
    totalCount
    nodes {
      id number name
      sync { status originId }
      budget {
        locked
        totals { originalAmount revisedAmount }
        lines { id description originalAmount modificationsAmount revisedAmount
                costCode { code } costType { code } subJob { number } }
      }
    }
  }
}
"""
RENAME = "mutation($i: UpdateProjectInput!) { updateProject(input: $i) { project { name } errors { code } } }"


# --- the database -------------------------------------------------------------------------------


def seed(url: str) -> tuple[str, list[str]]:
    """Demo company + 50 projects with 10 budget lines; returns the admin token and project ids."""
    engine = make_engine(url)
    migrate(engine)
    factory = sessions_acting_as(make_sessionmaker(engine), COMMAND_LINE)
    logins = load_demo_if_empty(factory, lambda _line: None)
    token = next(login.token for login in logins if login.role == "admin")
    ids = []
    with factory() as s:
        cost_type = s.scalars(select(CostType).order_by(CostType.code)).first()
        codes = [
            wbs.create_cost_code(s, COMMAND_LINE, code=f"90-{i:03d}", description=f"Bench code {i}")
            for i in range(LINES)
        ]
        for p in range(PROJECTS):
            project = projects.create_project(s, COMMAND_LINE, number=f"B-{p:03d}", name=f"Bench project {p}")
            projects.add_project_cost_codes(s, COMMAND_LINE, project, [c.id for c in codes])
            budget = budgets.budget_for_project(s, project)
            for i, code in enumerate(codes):
                budgets.add_budget_line(
                    s,
                    COMMAND_LINE,
                    budget,
                    cost_code_id=code.id,
                    cost_type_id=cost_type.id,
                    description=f"Line {i}",
                    original_amount=f"{1000 + 37 * i + p}.25",
                )
            ids.append(to_global_id("Project", project.id))
        s.commit()
    engine.dispose()
    return token, ids


# --- CPU from /proc -------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, user+system ticks incl. waited-for children) of a process, None if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(f) for f in fields[11:15])


def tree_ticks(root: int) -> int:
    """CPU ticks of a process and all its descendants."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                parents[int(entry)], ticks[int(entry)] = stat
    members, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        members.update(children)
        frontier.extend(children)
    return sum(ticks.get(p, 0) for p in members)


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, port: int, cwd: Path) -> subprocess.Popen:
    script = Path(sys.executable).with_name("costbridge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    env = {**os.environ, "COSTBRIDGE_DATABASE_URL": url}
    proc = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--workers", str(workers)]
        + ["--connector-every", "0", "--no-access-log"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(cwd / f"server-{port}.log").open("w"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(cwd / f'server-{port}.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if b"200" in s.recv(1024):
                    # with several workers, wait until each has started
                    time.sleep(1.0 * workers)
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- the load client ------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    non_200: int = 0
    uncoded: int = 0
    coded: dict[str, int] = field(default_factory=dict)


def http_post(port: int, token: str, body: bytes) -> bytes:
    return (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def check_errors(body: bytes, stats: Stats) -> None:
    """Count errors by code: top-level errors and mutation payload errors."""
    document = json.loads(body)
    found = list(document.get("errors") or [])
    for payload in (document.get("data") or {}).values():
        if isinstance(payload, dict):
            found.extend(payload.get("errors") or [])
    for error in found:
        code = error.get("code") or (error.get("extensions") or {}).get("code")
        if code:
            stats.coded[code] = stats.coded.get(code, 0) + 1
        else:
            stats.uncoded += 1


async def client(port: int, token: str, ids: list[str], window: tuple[float, float], stats: Stats, seed: int):
    rng = random.Random(seed)
    read = http_post(port, token, json.dumps({"query": QUERY, "variables": {"first": PROJECTS}}).encode())
    # connections open one by one and are renewed now and then, as browsers and proxies do: with
    # several workers sharing one listening socket, a burst of connections opened at once would
    # all be accepted by whichever worker woke first
    await asyncio.sleep(seed * 0.02)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start, stop = window
    sent = 0
    try:
        while time.monotonic() < stop:
            sent += 1
            if sent % RECONNECT_EVERY == 0:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            is_write = rng.random() < WRITE_SHARE
            if is_write:
                variables = {"i": {"id": rng.choice(ids), "name": f"Bench project {rng.randrange(10**6)}"}}
                request = http_post(
                    port, token, json.dumps({"query": RENAME, "variables": variables}).encode()
                )
            else:
                request = read
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            elapsed = time.perf_counter() - started
            if not start <= time.monotonic() < stop:
                continue  # warm-up, or finished after the measured window
            stats.requests += 1
            stats.writes += is_write
            stats.latencies.append(elapsed)
            if status != 200:
                stats.non_200 += 1
            if b'"errors":[{' in body or b'"errors": [{' in body:
                check_errors(body, stats)
    finally:
        writer.close()


def snapshot(server: int, database: int | None) -> tuple[int, int, float]:
    """CPU so far: server process tree, database process tree (ticks), this load client (s)."""
    return tree_ticks(server), tree_ticks(database) if database else 0, time.process_time()


def run_load(port, token, ids, concurrency, seconds, warmup, server: int, database: int | None):
    """Warm up, then measure for ``seconds``: the requests completed inside the window and the CPU
    used between its two ends."""
    stats = Stats()
    marks: list[tuple[int, int, float]] = []
    start = time.monotonic() + warmup
    window = (start, start + seconds)

    async def mark_window() -> None:
        await asyncio.sleep(max(window[0] - time.monotonic(), 0))
        marks.append(snapshot(server, database))
        await asyncio.sleep(max(window[1] - time.monotonic(), 0))
        marks.append(snapshot(server, database))

    async def main() -> None:
        await asyncio.gather(
            mark_window(), *(client(port, token, ids, window, stats, n) for n in range(concurrency))
        )

    asyncio.run(main())
    (s0, d0, c0), (s1, d1, c1) = marks
    return stats, (s1 - s0 + d1 - d0) / TICK, c1 - c0


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


@dataclass
class Result:
    label: str
    concurrency: int
    rps: float
    p50: float
    p95: float
    p99: float
    non_200: int
    uncoded: int
    coded: dict[str, int]
    cpu_ms: float
    client_cpu_ms: float


@dataclass
class Server:
    label: str
    proc: subprocess.Popen
    port: int
    token: str
    ids: list[str]
    database: int | None  # the PostgreSQL postmaster, whose processes' CPU counts too


def measure(
    servers: list[Server], concurrency: int, rounds: int, seconds: float, warmup: float
) -> list[Result]:
    """Measure each server ``rounds`` times, taking turns, so that whatever else the machine does
    weighs on all of them alike; the rounds add up into one result per server."""
    totals = {s.label: (Stats(), [0.0], [0.0]) for s in servers}
    for _ in range(rounds):
        for server in servers:
            stats, cpu, client_cpu = run_load(
                server.port,
                server.token,
                server.ids,
                concurrency,
                seconds,
                warmup,
                server.proc.pid,
                server.database,
            )
            total, cpu_sum, client_sum = totals[server.label]
            total.requests += stats.requests
            total.writes += stats.writes
            total.latencies += stats.latencies
            total.non_200 += stats.non_200
            total.uncoded += stats.uncoded
            for code, count in stats.coded.items():
                total.coded[code] = total.coded.get(code, 0) + count
            cpu_sum[0] += cpu
            client_sum[0] += client_cpu
    results = []
    for server in servers:
        stats, cpu, client_cpu = totals[server.label]
        done = max(stats.requests, 1)
        results.append(
            Result(
                server.label,
                concurrency,
                stats.requests / (rounds * seconds),
                percentile(stats.latencies, 50) * 1000,
                percentile(stats.latencies, 95) * 1000,
                percentile(stats.latencies, 99) * 1000,
                stats.non_200,
                stats.uncoded,
                stats.coded,
                cpu[0] / done * 1000,
                client_cpu[0] / done * 1000,
            )
        )
    return results


def print_result(r: Result) -> None:
    coded = ", ".join(f"{k} {v}" for k, v in sorted(r.coded.items())) or "none"
    print(
        f"{r.label:<22} {r.concurrency:>3} clients  {r.rps:7.1f} req/s  p50 {r.p50:7.1f} ms  "
        f"p95 {r.p95:7.1f} ms  p99 {r.p99:7.1f} ms  non-200 {r.non_200}  uncoded {r.uncoded}  "
        f"coded errors: {coded}  CPU/request (server+db) {r.cpu_ms:6.1f} ms  "
        f"(load client {r.client_cpu_ms:4.1f} ms)",
        flush=True,
    )


def postmaster_pid(server) -> int | None:
    pid_file = getattr(server, "root", None)
    if pid_file is None:
        return None
    return int((server.root / "data" / "postmaster.pid").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per run")
    parser.add_argument(
        "--warmup", type=float, default=4.0, help="warm-up seconds before each measured window"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="PostgreSQL: turns each server takes (splitting --seconds)"
    )
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs; {PROJECTS} projects x {LINES} budget lines; {WRITE_SHARE:.0%} writes",
        flush=True,
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sqlite_url = f"sqlite:///{work / 'bench.db'}"
        token, ids = seed(sqlite_url)
        port = free_port()
        sqlite = Server("SQLite, 1 worker", start_server(sqlite_url, 1, port, work), port, token, ids, None)
        try:
            for concurrency in CONCURRENCY:
                for result in measure([sqlite], concurrency, 1, args.seconds, args.warmup):
                    print_result(result)
                    results.append(result)
        finally:
            stop_server(sqlite.proc)
        pg = pgserver.start_server()
        servers: list[Server] = []
        try:
            admin = make_engine(pg.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench_serve"))
            admin.dispose()
            pg_url = pg.url("bench_serve")
            token, ids = seed(pg_url)
            database = postmaster_pid(pg)
            # both stay up (an idle server costs nothing) and are measured in turns
            for label, workers in (("PostgreSQL, 1 worker", 1), ("PostgreSQL, 2 workers", 2)):
                port = free_port()
                servers.append(
                    Server(label, start_server(pg_url, workers, port, work), port, token, ids, database)
                )
            for concurrency in CONCURRENCY:
                for result in measure(
                    servers, concurrency, args.rounds, args.seconds / args.rounds, args.warmup
                ):
                    print_result(result)
                    results.append(result)
        finally:
            for server in servers:
                stop_server(server.proc)
            pg.stop()
    failures = sum(r.non_200 + r.uncoded for r in results)
    by = {(r.label, r.concurrency): r for r in results}
    for concurrency in CONCURRENCY:
        one = by[("PostgreSQL, 1 worker", concurrency)]
        two = by[("PostgreSQL, 2 workers", concurrency)]
        print(
            f"{concurrency} clients: PostgreSQL 2 workers / 1 worker: ratio {two.rps / one.rps:.2f} req/s "
            f"(target >= {TARGET}); CPU per request {two.cpu_ms:.1f} vs {one.cpu_ms:.1f} ms"
        )
        print(
            f"{concurrency} clients: cores used (server + database): "
            f"1 worker {one.rps * one.cpu_ms / 1000:.2f}, 2 workers {two.rps * two.cpu_ms / 1000:.2f}"
        )
    print(f"errors: {failures} non-200 or uncoded answers (must be 0)")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
