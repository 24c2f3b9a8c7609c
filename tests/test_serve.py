"""Smoke test of the real server: ``costbridge serve --demo`` in its own process, over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.leaks import check_response

STARTUP_SECONDS = 60
# every answer this test receives goes through the suite's check for coded, internals-free errors
http = httpx.Client(event_hooks={"response": [check_response]})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("costbridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


def test_serve_demo_over_real_http(tmp_path):
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("COSTBRIDGE_DATABASE_URL", None)  # the default: costbridge.db in the working directory
    stderr = (tmp_path / "stderr.log").open("w")
    proc = subprocess.Popen(
        [*_command(), "serve", "--demo", "--connector-every", "1"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, f"server exited: {(tmp_path / 'stderr.log').read_text()}"
            assert time.monotonic() < deadline, "server did not answer /healthz in time"
            try:
                if http.get(f"{base}/healthz", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        admin = [line.split() for line in list(lines) if "admin@pacificridge.example" in line]
        assert admin, "".join(lines)
        token = admin[0][-1]
        assert any(f"http://127.0.0.1:{port}/graphql" in line for line in lines)
        assert (tmp_path / "costbridge.db").exists()

        unauthenticated = http.post(f"{base}/graphql", json={"query": "{ projects { totalCount } }"})
        assert unauthenticated.status_code == 401
        response = http.post(
            f"{base}/graphql",
            json={"query": "{ projects { totalCount nodes { number name erpJobId sync { status } } } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        projects = response.json()["data"]["projects"]
        assert projects["totalCount"] == 3
        assert projects["nodes"] == [
            {
                "number": "2317",
                "name": "Mission Bay Lab Renovation",
                "erpJobId": "2317",
                "sync": {"status": "SYNCED"},
            },
            {
                "number": "24-101",
                "name": "Harbor Point Medical Office",
                "erpJobId": "2401",
                "sync": {"status": "SYNCED"},
            },
            {
                "number": "24-102",
                "name": "Riverside Commons Apartments",
                "erpJobId": None,
                "sync": {"status": "NOT_SENT"},
            },
        ]
        graphiql = http.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

        _send_and_accept_a_purchase_order(base, token)
        status, exported = _wait_for_connector(base, token, tmp_path / "erp-exports")
        assert status == "SYNCED"
        assert "PO-001" in exported
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        stderr.close()
        reader.join(timeout=5)
    assert proc.returncode in (0, -15), (tmp_path / "stderr.log").read_text()


def _graphql(base: str, token: str, query: str, variables: dict | None = None) -> dict:
    response = http.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


PO_QUERY = """{ projects(search: "24-101") { nodes { commitments { id number sync { status } } } } }"""


def _purchase_order(base: str, token: str) -> dict:
    commitments = _graphql(base, token, PO_QUERY)["projects"]["nodes"][0]["commitments"]
    return next(c for c in commitments if c["number"] == "PO-001")


def _send_and_accept_a_purchase_order(base: str, token: str) -> None:
    po = _purchase_order(base, token)
    ids = {"input": {"ids": [po["id"]]}}
    sent = _graphql(
        base, token, "mutation($input: SyncIdsInput!) { sendToErp(input: $input) { succeeded } }", ids
    )
    assert sent["sendToErp"]["succeeded"] == 1, sent
    accepted = _graphql(
        base,
        token,
        "mutation($input: AcceptErpExportInput!) { acceptErpExport(input: $input) { succeeded } }",
        {"input": {"items": [{"id": po["id"]}]}},
    )
    assert accepted["acceptErpExport"]["succeeded"] == 1, accepted


def _wait_for_connector(base: str, token: str, folder: Path) -> tuple[str, str]:
    """The server's scheduled file connector writes the export and acknowledges it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = _purchase_order(base, token)["sync"]["status"]
        files = sorted(folder.glob("*.csv")) if folder.exists() else []
        if status == "SYNCED" and files:
            return status, "".join(f.read_text() for f in files)
        time.sleep(0.3)
    return status, ""
