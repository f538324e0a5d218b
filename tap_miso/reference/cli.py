"""``tap-miso-reference``: merge tap-miso's ``nodes`` and ``generators`` records into reference
CSV files.

    tap-miso --config c.json --catalog cat.json \\
        | tap-miso-reference --nodes iso_nodes.csv --generators generators.csv

Reads Singer messages from stdin (or ``--input FILE``); with ``--passthrough`` every input line
is copied to stdout unchanged so the command can sit in a pipe before a target. The existing
files are checked before any input is read; each file is written atomically and only when its
stream had records. Exit codes: 0 done, 1 unusable input or I/O error, 2 usage error or a
malformed existing CSV (left untouched). Errors are one line on stderr, never a traceback.
See :mod:`tap_miso.reference.merge` for the merge rules and docs/REFERENCE.md for the columns.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tap_miso.reference.atomic import atomic_write
from tap_miso.reference.csv_file import ReferenceFileError, Rows, read_table, render_table
from tap_miso.reference.merge import Snapshot, generators_snapshot, merge, nodes_snapshot
from tap_miso.reference.singer_input import SingerInputError, StreamCapture, read_singer
from tap_miso.reference.tables import GENERATORS, NODES, TableSpec

PROG = "tap-miso-reference"
SNAPSHOTS: dict[str, Callable[[StreamCapture], Snapshot]] = {
    NODES.stream: nodes_snapshot,
    GENERATORS.stream: generators_snapshot,
}


class InputError(Exception):
    """Input or output that cannot be used (exit code 1)."""


def main(argv: list[str] | None = None, now: Callable[[], datetime] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = _parser().parse_args(argv)
    targets = [(spec, Path(path)) for spec, path in
               ((NODES, args.nodes), (GENERATORS, args.generators)) if path]
    if not targets:
        _parser().error("give --nodes FILE and/or --generators FILE")
    clock = now or (lambda: datetime.now(UTC))
    if args.now:
        fixed = _parse_now(args.now)
        clock = lambda: fixed  # noqa: E731
    try:
        existing = {spec.stream: _existing(spec, path) for spec, path in targets}
        with _input(args.input) as lines:
            captures = read_singer(lines, [spec.stream for spec, _ in targets],
                                   sys.stdout.buffer if args.passthrough else None)
        if args.passthrough:
            sys.stdout.buffer.flush()
        for spec, path in targets:
            _update(spec, path, existing[spec.stream], captures[spec.stream], clock(),
                    args.input or "stdin")
    except ReferenceFileError as exc:
        return _fail(str(exc), 2)
    except SingerInputError as exc:
        return _fail(f"{args.input or 'stdin'} {exc}", 1)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no 2nd error at exit
        return _fail("stdout was closed by the next command in the pipe; files not updated", 1)
    except (InputError, OSError) as exc:
        return _fail(str(exc), 1)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Maintain iso_nodes.csv and generators.csv from tap-miso output.")
    parser.add_argument("--nodes", metavar="FILE", help="iso_nodes.csv to create or update")
    parser.add_argument("--generators", metavar="FILE", help="generators.csv to create or update")
    parser.add_argument("--input", metavar="FILE", help="Singer messages (default: stdin)")
    parser.add_argument("--passthrough", action="store_true",
                        help="copy every input line to stdout (to pipe on into a target)")
    parser.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)  # fixed clock (tests)
    return parser


def _parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _parser().error(f"--now {text!r} is not an ISO 8601 timestamp")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _existing(spec: TableSpec, path: Path) -> Rows | None:
    if not path.parent.is_dir():
        raise InputError(f"{path}: directory {path.parent} does not exist")
    return read_table(path, spec)


@contextmanager
def _input(name: str | None) -> Iterator[Iterator[bytes]]:
    if name is None:
        yield iter(sys.stdin.buffer)
        return
    try:
        handle: BinaryIO = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read input {name}: {exc.strerror}") from None
    with handle:
        yield iter(handle)


def _update(spec: TableSpec, path: Path, existing: Rows | None, capture: StreamCapture,
            now: datetime, source: str) -> None:
    if not capture.records:
        _say(f"{path}: no {spec.stream} records in {source}; file left as it was")
        return
    snapshot = SNAPSHOTS[spec.stream](capture)
    if snapshot.unknown_fields:
        _say(f"{path}: {spec.stream} fields that are not columns (ignored): "
             + ", ".join(sorted(snapshot.unknown_fields)))
    if snapshot.unfilled_columns:
        _say(f"{path}: columns no {spec.stream} record carries (left empty): "
             + ", ".join(sorted(snapshot.unfilled_columns)))
    if not capture.checkpointed:
        _say(f"{path}: the {spec.stream} records are not followed by a STATE message (output "
             "cut short?); rows missing from them are not marked removed")
    rows, counts = merge(existing, snapshot, spec, now)
    atomic_write(path, render_table(spec, rows))
    present = sum(row["present"] == "true" for row in rows.values())
    _say(f"{path}: {counts['added']} added, {counts['changed']} changed, "
         f"{counts['removed']} removed, {counts['returned']} returned; "
         f"{len(rows)} rows, {present} present")


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _fail(message: str, code: int) -> int:
    _say(f"error: {message}")
    return code


if __name__ == "__main__":
    sys.exit(main())
