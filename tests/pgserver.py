"""A throwaway PostgreSQL server for the test suite.

Uses Debian's postgresql (installed with apt when missing), runs ``initdb`` and ``pg_ctl`` as the
``postgres`` user when we are root, on a private port and socket directory, with durability off
(tests never need it). ``COSTBRIDGE_TEST_PG_URL`` points the suite at an existing server instead.
If PostgreSQL cannot be started the suite fails: it never silently skips the PostgreSQL half.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _install_with_apt() -> None:
    if os.geteuid() != 0:
        raise PostgresUnavailable("PostgreSQL is not installed and we are not root to apt-get install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    root: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True)

    def start(self) -> None:
        data = self.root / "data"
        sock = self.root / "sock"
        sock.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(sock, "postgres")
        init = self._run(
            "initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {init.stderr or init.stdout}")
        opts = (
            f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(
            "pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.root / "log"), "-w", "start"
        )
        if started.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr}{started.stdout}\n{log}")
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise PostgresUnavailable("PostgreSQL did not accept connections within 30 s")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    bin_dir = _bin_dir()
    if bin_dir is None:
        _install_with_apt()
        bin_dir = _bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("initdb not found after installing postgresql")
    root = Path(tempfile.mkdtemp(prefix="costbridge-pg-"))
    os.chmod(root, 0o755)
    server = PgServer(root=root, port=_free_port(), bin_dir=bin_dir, as_postgres=os.geteuid() == 0)
    server.start()
    return server
