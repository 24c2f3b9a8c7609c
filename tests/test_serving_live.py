"""The real server (``costbridge serve`` on a loopback port, in its own process) under clients that
misbehave and work that is heavy, on both databases:

- twenty clients that send headers and withhold the body do not stop a normal request from
  answering in under 3 s, and are dropped (408) when they stay silent;
- /healthz answers with a p95 under 500 ms during a 100,000-row job-cost import and during heavy
  job-cost reports over those rows;
- a 60 MiB chunked body is refused with 413 while the server's memory grows by under 100 MiB;
- on PostgreSQL, ``--workers 2`` runs two API processes over one database, without the connector.

Generous bounds on a shared 2-core machine: these are behaviour checks, not benchmarks (bench/
measures speed).
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert

from api.relay import to_global_id
from models.audit import sessions_acting_as
from models.db import make_sessionmaker
from models.enums import Origin, SyncStatus
from models.policy import ALL_ADMIN
from models.projects import Project
from models.users import create_user, issue_token
from models.wbs import CostCode, CostType
from tests.actors import SETUP
from tests.conftest import fresh_database
from tests.leaks import check_response

ROWS = 100_000
CODES = [f"{d:02d}-{c:03d}" for d in range(1, 11) for c in (100, 200, 300)]
TYPES = ["1", "2", "3", "4", "5"]
IDLE_TIMEOUT = 4
STARTUP_SECONDS = 60
MIB = 1024 * 1024


@dataclass
class Live:
    base: str
    port: int
    pid: int
    token: str
    project_id: str
    stderr: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base, event_hooks={"response": [check_response]}, **kwargs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(engine) -> tuple[str, str]:
    with sessions_acting_as(make_sessionmaker(engine), SETUP)() as s:
        s.execute(insert(CostCode), [{"code": c, "description": c, "division": c[:2]} for c in CODES])
        s.execute(insert(CostType), [{"code": t, "name": f"Type {t}"} for t in TYPES])
        project = Project(
            number="P-1000",
            name="Job 1000",
            origin_id="1000",
            origin=Origin.ERP,
            sync_status=SyncStatus.SYNCED,
        )
        s.add(project)
        user = create_user(s, SETUP, name="Ada Admin", email="ada@example.com", levels=ALL_ADMIN)
        token = issue_token(s, SETUP, user)
        s.commit()
        return token, to_global_id("Project", project.id)


@contextmanager
def _server(engine, directory: Path, *arguments: str) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """``costbridge serve`` on a free loopback port over ``engine``'s database, until /healthz
    answers; stopped (and its log checked for tracebacks) afterwards."""
    port = _free_port()
    script = Path(sys.executable).with_name("costbridge")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    env = {
        **os.environ,
        "COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "COSTBRIDGE_BODY_IDLE_TIMEOUT_SECONDS": str(IDLE_TIMEOUT),
        "PYTHONUNBUFFERED": "1",
    }
    output = directory / f"server-{port}.log"
    with output.open("w") as log:
        proc = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--no-access-log", *arguments],
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, output.read_text()
            assert time.monotonic() < deadline, "the server did not answer /healthz in time"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield proc, base, output
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    text = output.read_text()
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def live(backend, request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"live-{backend}")
    with fresh_database(backend, request, directory) as engine:
        token, project_id = _seed(engine)
        with _server(engine, directory, "--connector-every", "0") as (proc, base, output):
            yield Live(base, int(base.rsplit(":", 1)[1]), proc.pid, token, project_id, output)


def _withhold(live: Live) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
    head = (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {live.token}\r\nContent-Length: 1000\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"query": "{ vie')  # and nothing more
    return sock


def test_clients_withholding_their_body_do_not_stop_others(live):
    sockets = [_withhold(live) for _ in range(20)]
    try:
        time.sleep(0.5)
        with live.client(timeout=10) as client:
            started = time.monotonic()
            answer = client.post(
                "/graphql", json={"query": "{ projects { totalCount } }"}, headers=live.headers
            )
            assert time.monotonic() - started < 3
            assert answer.json() == {"data": {"projects": {"totalCount": 1}}}
            started = time.monotonic()
            wrong = client.post(
                "/graphql",
                json={"query": "{ projects { totalCount } }"},
                headers={"Authorization": "Bearer x"},
            )
            assert wrong.status_code == 401 and time.monotonic() - started < 3
        # a client silent mid-body is answered 408 and let go
        sockets[0].settimeout(IDLE_TIMEOUT + 10)
        reply = b""
        while chunk := sockets[0].recv(4096):  # until the server closes the connection
            reply += chunk
        reply = reply.decode("latin-1")
        assert reply.startswith("HTTP/1.1 408"), reply
        assert "REQUEST_TIMEOUT" in reply
    finally:
        for sock in sockets:
            sock.close()


def _job_cost_file() -> tuple[bytes, Decimal]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Job", "Phase/Extra", "Cost Code", "Cost Type", "Source", "Transaction Date", "Description"]
        + ["Vendor", "Invoice", "Amount", "Transaction ID"]
    )
    total = Decimal("0")
    for i in range(ROWS):
        amount = Decimal(f"{(i * 37) % 9973}.{i % 100:02d}")
        total += amount
        writer.writerow(
            ["1000", "", CODES[i % len(CODES)], TYPES[i % len(TYPES)], "JC Cost", f"2026-01-{1 + i % 28:02d}"]
            + [f"Cost {i}", "", "", str(amount), f"JC{i:07d}"]
        )
    return buffer.getvalue().encode(), total


class HealthProbe:
    """Polls /healthz on its own connection while heavy work runs; records each answer's time."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.live.client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                assert client.get("/healthz").text == "ok"
                self.latencies.append(time.monotonic() - started)
                self._stop.wait(0.02)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(60)

    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[-1]


IMPORT = (
    "mutation($f: Upload!) { importJobCosts(input: {file: $f}) "
    "{ importRun { status counts { create } } errors { code } } }"
)
REPORT = "query($id: ID!) { jobCostReport(projectId: $id) { totals { jtdCost directCosts } } }"


def test_health_stays_fast_during_a_large_import_and_heavy_reports(live):
    data, total = _job_cost_file()
    with live.client(timeout=600) as client:
        with HealthProbe(live) as probe:
            response = client.post(
                "/graphql",
                data={
                    "operations": json.dumps({"query": IMPORT, "variables": {"f": None}}),
                    "map": json.dumps({"0": ["variables.f"]}),
                },
                files={"0": ("job-costs.csv", data, "text/csv")},
                headers=live.headers,
            )
        assert "data" in response.json(), response.text[:2000]
        payload = response.json()["data"]["importJobCosts"]
        assert payload["errors"] == [] and payload["importRun"]["counts"]["create"] == ROWS, payload
        assert len(probe.latencies) >= 20, probe.latencies
        assert probe.p95() < 0.5, sorted(probe.latencies)[-10:]

        results: list[dict] = []

        def report() -> None:
            answer = client.post(
                "/graphql", json={"query": REPORT, "variables": {"id": live.project_id}}, headers=live.headers
            )
            results.append(answer.json())

        with HealthProbe(live) as probe:
            reports = [threading.Thread(target=report) for _ in range(4)]
            for thread in reports:
                thread.start()
            for thread in reports:
                thread.join(600)
        assert len(results) == 4
        for body in results:
            assert body["data"]["jobCostReport"]["totals"] == {
                "jtdCost": str(total),
                "directCosts": str(total),
            }
        assert len(probe.latencies) >= 5, probe.latencies
        assert probe.p95() < 0.5, sorted(probe.latencies)[-10:]


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _send_chunked(live: Live, content_type: str, total: int) -> tuple[str, int]:
    """Stream ``total`` bytes as a chunked body; return the server's answer and the bytes sent
    before it stopped listening."""
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=30)
    answer = bytearray()

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent = 0
    try:
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Authorization: Bearer {live.token}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(head.encode())
        block = b" " * (256 * 1024)
        frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        while sent < total and not answer:
            sock.sendall(frame)
            sent += len(block)
        if sent >= total:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed the connection mid-body
    reader.join(30)
    sock.close()
    return answer.decode("latin-1"), sent


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x"])
def test_a_60_mib_chunked_body_gets_413_with_flat_memory(live, content_type):
    before = _rss(live.pid)
    peak = [before]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss(live.pid))
            stop.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        answer, sent = _send_chunked(live, content_type, 60 * MIB)
    finally:
        stop.set()
        watcher.join(10)
    assert answer.startswith("HTTP/1.1 413"), answer[:300]
    assert "REQUEST_TOO_LARGE" in answer
    assert sent < 60 * MIB  # refused as soon as the cap was passed
    assert peak[0] - before < 100 * MIB, (before, peak[0])
    with live.client(timeout=10) as client:
        assert client.get("/healthz").text == "ok"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.only_backend("postgresql")
def test_two_workers_serve_one_postgresql_database(backend, request, tmp_path):
    with fresh_database(backend, request, tmp_path) as engine:
        token, _project_id = _seed(engine)
        with _server(engine, tmp_path, "--workers", "2") as (proc, base, output):
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(
                base_url=base, timeout=30, event_hooks={"response": [check_response]}
            ) as client:
                create = "mutation($i: CreateProjectInput!) { createProject(input: $i) { errors { code } } }"
                for i in range(10):
                    made = client.post(
                        "/graphql",
                        json={"query": create, "variables": {"i": {"number": f"W-{i}", "name": "W"}}},
                        headers=headers,
                    )
                    assert made.json() == {"data": {"createProject": {"errors": []}}}
                count = client.post(
                    "/graphql", json={"query": "{ projects { totalCount } }"}, headers=headers
                )
                assert count.json() == {"data": {"projects": {"totalCount": 11}}}
            # uvicorn's supervisor and its worker processes (multiprocessing adds a resource tracker)
            assert len(_children(proc.pid)) >= 2
        text = output.read_text()
        assert "file connector: not run by a multi-worker server" in text
        assert "2 workers" in text
