"""Errors raised by the parsers, and guards that turn library failures into them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class PayloadError(ValueError):
    """The bytes are not the expected format, or its anchor/required columns are missing.

    Attributes:
        format_name: short name of the format being parsed (e.g. ``"da_lmp_csv"``).
        message: human-readable reason.
        missing_columns: required columns (or anchors) that were not found.
    """

    def __init__(
        self, format_name: str, message: str, missing_columns: Sequence[str] = ()
    ) -> None:
        self.format_name = format_name
        self.message = message
        self.missing_columns = list(missing_columns)
        text = f"{format_name}: {message}"
        if self.missing_columns:
            text += f" (missing columns: {', '.join(self.missing_columns)})"
        super().__init__(text)


@contextmanager
def payload_guard(format_name: str, what: str) -> Iterator[None]:
    """Re-raise any library exception inside the block as a `PayloadError`.

    Keep the block tight around third-party calls (xlrd, openpyxl, zipfile, orjson, csv) so
    that bugs in our own code are not disguised as bad payloads.
    """
    try:
        yield
    except PayloadError:
        raise
    except Exception as exc:  # libraries raise many unrelated types for corrupt input
        raise PayloadError(format_name, f"{what}: {type(exc).__name__}: {exc}") from exc


def guarded_iter(items: Iterable[T], format_name: str, what: str) -> Iterator[T]:
    """Iterate `items`, converting exceptions raised while producing an item to `PayloadError`.

    Used for streamed readers (zip members, openpyxl read-only sheets) that may fail midway
    through a truncated or corrupt file.
    """
    with payload_guard(format_name, what):
        iterator = iter(items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except PayloadError:
            raise
        except Exception as exc:
            raise PayloadError(format_name, f"{what}: {type(exc).__name__}: {exc}") from exc
        yield item
