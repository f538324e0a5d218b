"""Schema-drift transforms: rename, add or drop one column/field of a real payload."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tap_miso.testing.fake_miso.formats.sheet import Cell, HeaderRow, Row, Sheet


@dataclass(frozen=True)
class Drift:
    """mode rename|add|drop applied to `column`; renamed/added names and values."""

    mode: str
    column: str
    new_name: str
    value: Any

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Drift:
        column = str(params["column"])
        default_name = column if params["mode"] == "add" else f"{column}_renamed"
        return cls(params["mode"], column, str(params.get("new_name", default_name)),
                   params.get("value", "drift"))


# -- JSON -------------------------------------------------------------------------------------
def drift_json(payload: Any, drift: Drift) -> Any:
    """Apply `drift` in place to every record-like dict (and headers/data tables)."""
    if drift.mode == "add":
        _add_json(payload, drift)
    else:
        _rename_or_drop_json(payload, drift)
    return payload


def _rename_or_drop_json(node: Any, drift: Drift) -> None:
    if isinstance(node, dict):
        headers = node.get("headers")
        if isinstance(headers, list) and drift.column in headers:
            index = headers.index(drift.column)
            if drift.mode == "rename":
                headers[index] = drift.new_name
            else:
                del headers[index]
                for row in node.get("data") or []:
                    if isinstance(row, list) and len(row) > index:
                        del row[index]
        if drift.column in node:
            items = [
                (drift.new_name if key == drift.column else key, value)
                for key, value in node.items()
                if not (key == drift.column and drift.mode == "drop")
            ]
            node.clear()
            node.update(items)
        for value in node.values():
            _rename_or_drop_json(value, drift)
    elif isinstance(node, list):
        for value in node:
            _rename_or_drop_json(value, drift)


def _add_json(node: Any, drift: Drift) -> None:
    if isinstance(node, dict):
        headers = node.get("headers")
        if isinstance(headers, list) and isinstance(node.get("data"), list):
            headers.append(drift.new_name)
            for row in node["data"]:
                row.append(drift.value)
            return
        for value in node.values():
            _add_json(value, drift)
    elif isinstance(node, list):
        if node and all(isinstance(item, dict) for item in node):
            for item in node:
                item.setdefault(drift.new_name, drift.value)
        for item in node:
            _add_json(item, drift)


# -- sheets -----------------------------------------------------------------------------------
def drift_rows(rows: Iterable[Row], drift: Drift) -> Iterator[Row]:
    """Lazily apply `drift` to header rows and the data rows under them."""
    index: int | None = None
    width = 0
    for row in rows:
        if isinstance(row, HeaderRow):
            cells = [str(cell).strip() if cell is not None else "" for cell in row]
            width = len(row)
            if drift.mode == "add":
                index = width
                yield HeaderRow([*row, drift.new_name])
            elif drift.column in cells:
                index = cells.index(drift.column)
                yield _header_change(row, index, drift)
            else:
                index = None
                yield row
            continue
        if index is None:
            yield row
        elif drift.mode == "add":
            yield [*row, _as_cell(drift.value)] if len(row) == width else row
        elif drift.mode == "drop" and len(row) > index and len(row) == width:
            yield [cell for position, cell in enumerate(row) if position != index]
        else:
            yield row


def _header_change(row: Row, index: int, drift: Drift) -> HeaderRow:
    if drift.mode == "rename":
        return HeaderRow(drift.new_name if i == index else cell for i, cell in enumerate(row))
    return HeaderRow(cell for i, cell in enumerate(row) if i != index)


def _as_cell(value: Any) -> Cell:
    return value if isinstance(value, str | int | float) or value is None else str(value)


def drift_sheets(sheets: list[Sheet], drift: Drift) -> list[Sheet]:
    """Sheets whose rows carry the drift (merges kept as they were)."""
    return [Sheet(s.name, drift_rows(s.rows, drift), s.merges, s.date_format) for s in sheets]
