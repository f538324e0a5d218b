"""``keep_invalid``: the ``on_invalid_record`` policy shared by MisoStream and generators."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tap_miso.observability.summary import RunSummary
from tap_miso.streams.base import SourceChainError, keep_invalid


def tap_with(policy: str) -> SimpleNamespace:
    return SimpleNamespace(summary=RunSummary(), settings=SimpleNamespace(on_invalid_record=policy))


def counts(tap: SimpleNamespace) -> tuple[dict, dict]:
    data = tap.summary.as_dict()
    return data["flagged_records"], data["dropped_records"]


@pytest.mark.parametrize(
    ("policy", "kept", "dropped"), [("flag", True, {}), ("drop", False, {"s": 1})]
)
def test_flag_keeps_and_drop_drops_both_counted(policy, kept, dropped):
    tap = tap_with(policy)
    described = []
    assert keep_invalid(tap, "s", lambda: described.append(1) or "x") is kept
    assert counts(tap) == ({"s": 1}, dropped)
    assert described == []  # the description is built only for a failure


def test_fail_raises_one_line_naming_stream_and_record():
    tap = tap_with("fail")
    with pytest.raises(SourceChainError) as info:
        keep_invalid(tap, "generators", lambda: "for 2026-07 from eia_api (invalid_x)")
    assert str(info.value) == "generators: invalid record for 2026-07 from eia_api (invalid_x)"
    assert counts(tap)[0] == {"generators": 1}
