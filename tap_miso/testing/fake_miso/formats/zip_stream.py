"""Deterministic ZIP archives written as a stream of chunks (fixed member timestamps)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date


class _ChunkSink(io.RawIOBase):
    """Unseekable write target; zipfile then emits data descriptors and never seeks."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts = []
        return out


def member_info(name: str, stamp: date, compresslevel: int | None = None) -> zipfile.ZipInfo:
    """ZipInfo with a fixed timestamp so identical content gives identical bytes."""
    info = zipfile.ZipInfo(name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    if compresslevel is not None:  # ZipFile.open() ignores the archive-level setting
        try:
            info.compress_level = compresslevel  # type: ignore[attr-defined] # Python 3.13+
        except AttributeError:
            info._compresslevel = compresslevel  # type: ignore[attr-defined] # 3.11/3.12
    return info


def zip_chunks(members: Iterable[tuple[str, Iterable[bytes]]], stamp: date,
               compresslevel: int = 6) -> Iterator[bytes]:
    """Stream a ZIP of (member name, content chunks) pairs."""
    sink = _ChunkSink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED,
                              compresslevel=compresslevel)
    for name, chunks in members:
        info = member_info(name, stamp, compresslevel)
        with archive.open(info, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
                compressed = sink.drain()
                if compressed:
                    yield compressed
    archive.close()
    yield sink.drain()
