"""Zip packages (XLSX, XLSB, ODS): the directory checked before anything is inflated, and each part
inflated from its own compressed bytes through a counting stream that stops at a cap.

The sizes a zip directory declares are never trusted: a part is as big as what its deflate stream
really produces, and every byte inflated for any part counts against one budget for the file."""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator

from importers.errors import FileError
from importers.limits import ImportLimits
from models.errors import ErrorCode

CHUNK = 1 << 20
# compressed bytes handed to the inflater at a time (the output of each call stays capped at CHUNK)
_INPUT_STEP = 1 << 16
# a workbook has a few dozen parts; the central directory of a hostile zip can list millions
MAX_DIRECTORY_BYTES = 2 * 1024 * 1024
_EOCD = b"PK\x05\x06"
_LOCAL = b"PK\x03\x04"


def corrupt(detail: str = "") -> FileError:
    if detail:
        message = f"The workbook is damaged or was not written by a spreadsheet program ({detail})"
    else:
        message = (
            "The workbook is damaged or incomplete (it may have been cut off while uploading or copying)"
        )
    return FileError(ErrorCode.FILE_CORRUPT, f"{message}. Save it again from Excel and retry.")


def too_big_unpacked(limits: ImportLimits) -> FileError:
    return FileError(
        ErrorCode.DECOMPRESSED_TOO_LARGE,
        f"The workbook unpacks to more than {limits.max_decompressed_bytes:,} bytes; it is refused "
        "(split it, or save it as CSV)",
    )


class Package:
    """The members of one zip file, looked up case-insensitively (as spreadsheet readers do)."""

    def __init__(self, data: bytes, limits: ImportLimits):
        self.data = data
        self.limits = limits
        self.budget = limits.max_decompressed_bytes
        _check_directory(data)
        try:
            infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError):
            raise corrupt() from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = info.filename.lower()
            if key in self.members:
                raise corrupt(f"the part {info.filename} appears twice")
            self.members[key] = info

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(posixpath.normpath(name.lstrip("/")).lower())

    def names_under(self, folder: str, suffix: str) -> list[str]:
        folder, suffix = folder.lower(), suffix.lower()
        return sorted(
            i.filename for k, i in self.members.items() if k.startswith(folder) and k.endswith(suffix)
        )

    def chunks(self, info: zipfile.ZipInfo, cap: int, too_big: FileError) -> Iterator[bytes]:
        """The part's bytes as a reader would inflate them, in chunks; ``too_big`` is raised past
        ``cap`` bytes, DECOMPRESSED_TOO_LARGE past what is left of the file's budget."""
        raw = self._compressed(info)
        produced = 0
        if info.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (bytes(raw[i : i + CHUNK]) for i in range(0, len(raw), CHUNK))
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            pieces = _inflate(raw)
        else:
            raise corrupt(f"the part {info.filename} uses an unsupported compression")
        for piece in pieces:
            produced += len(piece)
            self.budget -= len(piece)
            if produced > cap:
                raise too_big
            if self.budget < 0:
                raise too_big_unpacked(self.limits)
            yield piece

    def read(self, info: zipfile.ZipInfo, cap: int, too_big: FileError) -> bytes:
        return b"".join(self.chunks(info, cap, too_big))

    def _compressed(self, info: zipfile.ZipInfo) -> memoryview:
        start = info.header_offset
        header = self.data[start : start + 30]
        if len(header) < 30 or header[:4] != _LOCAL or info.flag_bits & 0x1:
            raise corrupt(f"the part {info.filename} cannot be read")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        begin = start + 30 + name_len + extra_len
        end = begin + info.compress_size
        if end > len(self.data):
            raise corrupt(f"the part {info.filename} is cut off")
        return memoryview(self.data)[begin:end]


def _inflate(raw: memoryview) -> Iterator[bytes]:
    # the input goes in small steps: what a capped call leaves unconsumed is copied, so handing
    # over the whole rest each time would copy it again and again
    inflater = zlib.decompressobj(-15)
    pending: bytes | memoryview = b""
    start = 0
    try:
        while True:
            if not pending and start < len(raw):
                pending, start = raw[start : start + _INPUT_STEP], start + _INPUT_STEP
            out = inflater.decompress(pending, CHUNK)
            if out:
                yield out
            pending = inflater.unconsumed_tail
            if inflater.eof:
                return
            if not pending and not out and start >= len(raw):
                # the compressed bytes ended before the deflate stream did
                raise corrupt("a part is cut off")
    except zlib.error:
        raise corrupt("a part cannot be inflated") from None


def _check_directory(data: bytes) -> None:
    """Refuse a zip whose central directory is too big to be a workbook's, before parsing it."""
    tail_start = max(0, len(data) - 65_557)
    at = data.rfind(_EOCD, tail_start)
    if at < 0 or len(data) - at < 22:
        raise corrupt()
    entries, size = struct.unpack("<xxxxxxxxxxHI", data[at : at + 16])
    if entries == 0xFFFF or size == 0xFFFFFFFF:
        raise corrupt("zip64 archives are not workbooks")
    if size > MAX_DIRECTORY_BYTES:
        raise corrupt("the package lists far more parts than a workbook has")
