"""``tap-miso-airbyte``: the Airbyte protocol commands (spec, check, discover, read).

One JSON Airbyte message per line on stdout; logs are LOG messages. Exit code 0 on success,
1 when the command failed (a TRACE error says why; ``check`` reports FAILED and exits 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tap_miso.airbyte import messages
from tap_miso.airbyte.catalog import airbyte_streams
from tap_miso.airbyte.check import check_connection
from tap_miso.airbyte.errors import AirbyteInputError, trace_error, user_message
from tap_miso.airbyte.logs import configure_logging
from tap_miso.airbyte.output import MessageOutput
from tap_miso.airbyte.read import read
from tap_miso.airbyte.spec import DOCUMENTATION_URL, connection_specification
from tap_miso.tap import TapMiso


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: ``spec | check --config F | discover --config F | read ...``."""
    parser = argparse.ArgumentParser(
        prog="tap-miso-airbyte", description="MISO market data as an Airbyte source."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="print the connector specification")
    for name, text in (("check", "check the config and one request"),
                       ("discover", "print the catalog")):
        commands.add_parser(name, help=text).add_argument("--config", required=True)
    reader = commands.add_parser("read", help="read records")
    reader.add_argument("--config", required=True)
    reader.add_argument("--catalog", required=True)
    reader.add_argument("--state")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point; exits with the command's code."""
    args = parse_args(argv)
    output = MessageOutput()
    configure_logging(output)
    sys.exit(run(args, output))


def run(args: argparse.Namespace, output: MessageOutput) -> int:
    """Run one command, writing its messages to ``output``; returns the exit code."""
    if args.command == "spec":
        output.write(messages.spec(connection_specification(), DOCUMENTATION_URL))
        return 0
    try:
        config = load_config(args.config)
    except AirbyteInputError as exc:
        if args.command == "check":
            output.write(messages.connection_status(False, user_message(exc)))
            return 0
        output.write(trace_error(exc))
        return 1
    try:
        if args.command == "check":
            ok, text = check_connection(config)
            output.write(messages.connection_status(ok, text))
            return 0
        if args.command == "discover":
            tap = TapMiso(config=config, validate_config=True, setup_mapper=False)
            output.write(messages.catalog(airbyte_streams(tap.catalog_dict)))
            return 0
        catalog = load_json(args.catalog, "catalog")
        state = load_json(args.state, "state") if args.state else None
        return read(config, catalog, state, output)
    except Exception as exc:
        output.write(trace_error(exc))
        return 1


def load_config(path: str) -> dict[str, Any]:
    """The config object; its keys are registered as secrets before anything can log them."""
    config = load_json(path, "config")
    if not isinstance(config, dict):
        raise AirbyteInputError(f"config {path}: expected a JSON object")
    TapMiso._register_secrets(config)
    return config


def load_json(path: str, what: str) -> Any:
    """Parse a JSON file, or raise a one-line :class:`AirbyteInputError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AirbyteInputError(f"{what} {path}: cannot read ({exc.strerror})") from None
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        # The message names the position only: never echo the text (it may hold a key).
        raise AirbyteInputError(
            f"{what} {path}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None


if __name__ == "__main__":
    main()
