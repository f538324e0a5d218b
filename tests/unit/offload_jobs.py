"""Jobs the offload tests run in a child process (importable there through sys.path)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator

from tap_miso.parsers.errors import PayloadError


def numbers(n: int, *, on_unexpected_columns=None) -> Iterator[int]:
    yield from range(n)


def talk(*, on_unexpected_columns) -> Iterator[str]:
    """A log line and a drift report between two items (their order must be kept)."""
    yield "before"
    logging.getLogger("tap_miso.parsers.rows").warning("labels not in ascending order (%s)", 7)
    print("a stray print must not break the frames")
    on_unexpected_columns(["NEW_COLUMN"])
    yield "after"


def payload_error_after(n: int, *, on_unexpected_columns=None) -> Iterator[int]:
    yield from range(n)
    raise PayloadError("five_min_lmp_zip", "bad row", ["LMP"])


def bug_after(n: int, *, on_unexpected_columns=None) -> Iterator[int]:
    yield from range(n)
    raise KeyError("a bug in the parser")


def die_after(n: int, *, on_unexpected_columns=None) -> Iterator[int]:
    yield from range(n)
    sys.stdout.flush()
    os._exit(3)


def read_fd(fd: int, *, on_unexpected_columns=None) -> Iterator[bytes]:
    with os.fdopen(fd, "rb") as fh:
        fh.seek(0)
        yield fh.read()


def pid(*, on_unexpected_columns=None) -> Iterator[int]:
    while True:
        yield os.getpid()


def garbage_after(n: int, *, on_unexpected_columns=None) -> Iterator[int]:
    """Bytes that are no frame on the pipe (as a C library writing to stdout would)."""
    yield from range(n)
    sys.__stdout__.buffer.write(b"\x10\x00\x00\x00not a pickled frame")
    sys.__stdout__.buffer.flush()
    yield n
