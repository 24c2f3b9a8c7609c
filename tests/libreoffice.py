"""LibreOffice for the print tests: Debian's ``libreoffice-calc`` (installed with apt when missing,
as tests/pgserver.py installs PostgreSQL: as root, one installer at a time under a lock), converting
a workbook to PDF headless, and counting the pages of the PDF.

``LibreOfficeUnavailable`` says why it cannot be had (not root, apt failed); the tests skip with
that message. ``fonts-liberation2`` comes along so Arial prints with its metric-compatible twin.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PACKAGES = ("libreoffice-calc", "fonts-liberation2")
INSTALL_LOCK = Path(tempfile.gettempdir()) / "costbridge-libreoffice-install.lock"
CONVERT_TIMEOUT = 180


class LibreOfficeUnavailable(RuntimeError):
    pass


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def ensure_installed() -> str:
    """The soffice executable, installing LibreOffice Calc first when it is missing."""
    found = _soffice()
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LibreOfficeUnavailable(
            "LibreOffice is not installed and cannot be installed here (needs root and apt-get): "
            "install Debian's libreoffice-calc to run the print tests"
        )
    INSTALL_LOCK.touch(exist_ok=True)
    with INSTALL_LOCK.open() as lock:
        # parallel test processes: one installs, the others wait and then find it installed
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _soffice()
        if found:
            return found
        install = ["install", "-y", "-q", "--no-install-recommends", *PACKAGES]
        result = _apt(*install)
        if result.returncode != 0:
            update = _apt("update", "-q")
            result = _apt(*install)
            if result.returncode != 0:
                raise LibreOfficeUnavailable(
                    "apt-get install libreoffice-calc failed:\n"
                    f"{update.stderr[-1500:]}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
                )
    found = _soffice()
    if not found:
        raise LibreOfficeUnavailable("soffice not found after installing libreoffice-calc")
    return found


def to_pdf(workbook: Path, out_dir: Path) -> Path:
    """Convert ``workbook`` to PDF with a private profile (parallel runs do not share one)."""
    soffice = ensure_installed()
    profile = out_dir / "lo-profile"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=CONVERT_TIMEOUT,
    )
    pdf = out_dir / (workbook.stem + ".pdf")
    if result.returncode != 0 or not pdf.exists():
        raise AssertionError(f"LibreOffice did not convert {workbook.name}: {result.stdout}{result.stderr}")
    return pdf


_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def page_count(pdf: Path) -> int:
    """The number of page objects: LibreOffice writes each page's dictionary uncompressed."""
    return len(_PAGE.findall(pdf.read_bytes()))


def pdfinfo_pages(pdf: Path) -> int | None:
    """The page count poppler's pdfinfo reports, when it is installed."""
    tool = shutil.which("pdfinfo")
    if tool is None:
        return None
    out = subprocess.run([tool, str(pdf)], capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
    return int(match.group(1)) if match else None
