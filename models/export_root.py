"""Where the file connector may write: the company's export folder setting resolves inside the
export root, ``COSTBRIDGE_EXPORT_ROOT`` (default: the working directory). A relative folder is
relative to the root; a folder that resolves outside it (``../../..``, an absolute path elsewhere,
a symbolic link leading out) is refused with PATH_OUTSIDE_ROOT."""

from __future__ import annotations

import os
from pathlib import Path

from models.errors import DomainError, ErrorCode


def export_root() -> Path:
    return Path(os.environ.get("COSTBRIDGE_EXPORT_ROOT", "").strip() or os.getcwd()).resolve()


def resolve_export_folder(folder: str | Path) -> Path:
    root = export_root()
    try:
        path = (root / folder).resolve()
    except (ValueError, OSError):  # a NUL byte, a name too long, a symbolic link loop
        raise DomainError(
            ErrorCode.INVALID_VALUE, "The export folder is not a usable path", "exportFolder"
        ) from None
    if not path.is_relative_to(root):
        raise DomainError(
            ErrorCode.PATH_OUTSIDE_ROOT,
            f"The export folder '{folder}' is outside the export root (COSTBRIDGE_EXPORT_ROOT)",
            "exportFolder",
        )
    return path
