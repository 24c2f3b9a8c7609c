"""Shared bench plumbing: the clock, the databases to run on (SQLite files, and a PostgreSQL the
test harness's pgserver starts), the PostgreSQL backend's own CPU, and peak memory."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from models.db import make_engine, migrate  # noqa: E402


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--wall", action="store_true", help="wall time instead of process CPU time")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side; the best of each counts")
    parser.add_argument("--peak", action="store_true", help="(internal) one import, print its peak memory")
    return parser.parse_args()


def clock(wall: bool):
    # Process CPU time by default: on a shared machine wall time measures the neighbours.
    return time.perf_counter if wall else time.process_time


class Databases:
    """Fresh, migrated databases on demand: SQLite files, or databases on one PostgreSQL server."""

    def __init__(self, backend: str):
        self.backend = backend
        self.tmp = Path(tempfile.mkdtemp(prefix="costbridge-bench-"))
        self.server = None
        self.count = 0

    def __enter__(self) -> Databases:
        if self.backend == "postgresql":
            from tests import pgserver

            self.server = pgserver.start_server()
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.stop()

    def fresh(self):
        self.count += 1
        if self.backend == "sqlite":
            engine = make_engine(f"sqlite:///{self.tmp / f'bench{self.count}.db'}")
        else:
            name = f"bench_{os.getpid()}_{self.count}"
            admin = make_engine(self.server.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            engine = make_engine(self.server.url(name))
        migrate(engine)
        return engine


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server_cpu(session) -> Iterator[list[float]]:
    """The CPU the PostgreSQL backend serving ``session`` spends inside the block (0 on SQLite)."""
    spent = [0.0]
    if session.bind.dialect.name != "postgresql":
        yield spent
        return
    pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    before = backend_cpu(pid)
    yield spent
    spent[0] = backend_cpu(pid) - before


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(
    name: str, baseline_label: str, base: float, full: float, limit: float, server: float = 0.0
) -> bool:
    """Print one backend's line; with a server, the ratio counts its CPU too. True when within limit."""
    ratio = (full + server) / base
    extra = f" + PostgreSQL backend {server:.3f}s" if server else ""
    print(f"  {name}: {baseline_label} {base:.3f}s   whole import {full:.3f}s{extra}")
    print(f"  {name}: ratio {ratio:.2f} (limit {limit})")
    return ratio <= limit
