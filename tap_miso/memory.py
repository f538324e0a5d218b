"""Process-wide memory settings for long backfills (glibc malloc arenas)."""

from __future__ import annotations

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # glibc <malloc.h>


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (``mallopt(M_ARENA_MAX)``) unless ``MALLOC_ARENA_MAX`` is set.

    glibc gives each thread that allocates its own arena. The prefetch workers allocate every
    downloaded page in theirs, and the freed space stays mapped: a 7-day 5-minute backfill
    from the Data Exchange grew from 120 to 217 MB peak RSS that way, and stays flat (118 MB)
    with two arenas. Returns True when the cap was applied (glibc only; a no-op elsewhere).
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False

