"""A throwaway PostgreSQL server for the test suite.

Uses Debian's postgresql (installed with apt when missing), runs ``initdb`` and ``pg_ctl`` as the
``postgres`` user when we are root, on a private port and socket directory, with durability off
(tests never need it). Each test process gets its own server.
Servers left behind by a killed run are stopped and removed by the next one.
``COSTBRIDGE_TEST_PG_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``: a superuser on
a server nobody else uses, without a ``cb_template`` database; one test process at a time) points
the suite at an existing server instead.
If PostgreSQL cannot be started the suite fails: it never silently skips the PostgreSQL half.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from models.db import normalize_url

ROOT_PREFIX = "costbridge-pg-"
OWNER_FILE = "owner.pid"
INSTALL_LOCK = Path(tempfile.gettempdir()) / "costbridge-pg-install.lock"


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path | None:
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in Path(path).parts[-3].split(".") if part.isdigit())

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # wait for a dpkg lock held by another apt run instead of failing at once
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def _install_with_apt() -> None:
    if os.geteuid() != 0:
        raise PostgresUnavailable(
            "PostgreSQL is not installed and we are not root to apt-get install it: "
            "install Debian's postgresql package, or set COSTBRIDGE_TEST_PG_URL"
        )
    INSTALL_LOCK.touch(exist_ok=True)
    with INSTALL_LOCK.open() as lock:
        # parallel test workers: one installs, the others wait and then find it installed
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _bin_dir() is not None:
            return
        install = ["install", "-y", "-q", "--no-install-recommends", "postgresql"]
        result = _apt(*install)
        if result.returncode != 0:
            # the package lists may be missing or stale; a failing mirror must not stop a
            # retry with whatever lists the update did fetch
            update = _apt("update", "-q")
            result = _apt(*install)
            if result.returncode != 0:
                raise PostgresUnavailable(
                    "apt-get install postgresql failed:\n"
                    f"{update.stderr[-2000:]}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
                )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class PgServer:
    root: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # C locale: identical on every machine, whatever LANG says, and sorts like SQLite
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        try:
            return subprocess.run(
                cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailable(f"{args[0]} did not finish within {timeout:.0f} s") from exc

    def init(self) -> None:
        data = self.root / "data"
        sock = self.root / "sock"
        sock.mkdir(parents=True, exist_ok=True)
        (self.root / OWNER_FILE).write_text(str(os.getpid()))
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(sock, "postgres")
        init = self._run(
            "initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {init.stderr or init.stdout}")

    def start(self) -> None:
        data = self.root / "data"
        log = self.root / "log"
        opts = (
            f"-p {self.port} -k {self.root / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start")
        if started.returncode != 0:
            text = log.read_text() if log.exists() else ""
            raise PostgresUnavailable(
                f"pg_ctl start failed: {started.stderr}{started.stdout}\n{text[-4000:]}"
            )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise PostgresUnavailable("PostgreSQL did not accept connections within 30 s")

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class ExternalPgServer:
    """An existing server named by COSTBRIDGE_TEST_PG_URL; never started or stopped here."""

    base_url: str

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        return (
            make_url(normalize_url(self.base_url)).set(database=dbname).render_as_string(hide_password=False)
        )

    def stop(self) -> None:
        pass


def _parent_dir(as_postgres: bool) -> Path:
    # /tmp, not $TMPDIR, when initdb runs as postgres: that user must reach the data directory
    return Path("/tmp") if as_postgres else Path(tempfile.gettempdir())


def _remove_stale_servers(bin_dir: Path, as_postgres: bool) -> None:
    """Stop and delete the servers of test runs that were killed before their teardown."""
    for root in _parent_dir(as_postgres).glob(ROOT_PREFIX + "*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
        except (OSError, ValueError):
            owner = None
        if owner is None:
            # an old layout or a half-made directory: leave it unless clearly abandoned
            if time.time() - root.stat().st_mtime < 24 * 3600:
                continue
        elif _pid_alive(owner):
            continue
        PgServer(root=root, port=0, bin_dir=bin_dir, as_postgres=as_postgres).stop()


def start_server() -> PgServer | ExternalPgServer:
    external = os.environ.get("COSTBRIDGE_TEST_PG_URL")
    if external:
        return ExternalPgServer(external)
    bin_dir = _bin_dir()
    if bin_dir is None:
        _install_with_apt()
        bin_dir = _bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("initdb not found after installing postgresql")
    as_postgres = os.geteuid() == 0
    if as_postgres:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable(
                "running as root, but there is no 'postgres' user to run initdb"
            ) from exc
    _remove_stale_servers(bin_dir, as_postgres)
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX, dir=_parent_dir(as_postgres)))
    os.chmod(root, 0o755)
    server = PgServer(root=root, port=_free_port(), bin_dir=bin_dir, as_postgres=as_postgres)
    try:
        server.init()
        for attempt in range(3):
            try:
                server.start()
                return server
            except PostgresUnavailable:
                # most likely the port was taken between choosing and binding it: try another
                if attempt == 2:
                    raise
                server.port = _free_port()
    except BaseException:
        server.stop()
        raise
    raise AssertionError("unreachable")
