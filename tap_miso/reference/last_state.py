"""Print the value of the last Singer STATE message in a file (``python -m ...last_state F``).

`scripts/reference.sh` keeps the reference refresh's state with it: `meltano invoke` saves
none. Prints nothing when the file holds no STATE; exits 1 with one line when it is unreadable.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson


def last_state(path: Path) -> dict | None:
    """The ``value`` of the last STATE line of ``path`` (non-JSON lines are skipped)."""
    state = None
    with path.open("rb") as lines:
        for line in lines:
            if b'"STATE"' not in line:
                continue
            try:
                message = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(message, dict) and message.get("type") == "STATE" \
                    and isinstance(message.get("value"), dict):
                state = message["value"]
    return state


def main(argv: list[str] | None = None) -> int:
    """Entry point: print the last state as one JSON line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tap_miso.reference.last_state MESSAGES_FILE", file=sys.stderr)
        return 2
    try:
        state = last_state(Path(args[0]))
    except OSError as exc:
        print(f"cannot read {args[0]}: {exc.strerror}", file=sys.stderr)
        return 1
    if state is not None:
        sys.stdout.write(orjson.dumps(state).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
