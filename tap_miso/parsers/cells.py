"""Cell-level parsing shared by every parser: numbers, nulls, hour-ending and time labels.

All functions are total: they never raise on odd input; they report failure by returning
``None`` (and, for numbers, an ``invalid`` flag) so the caller can decide between "skip the
row" (a bad key) and "keep the row, flag the field" (a bad value).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

#: Text that means "no value" (FORMATS §3.1 Types: the Public API writes ``"None"``).
#: Compared after stripping and case-folding, so ``"NULL"``/``"none"`` are nulls too.
NULL_TEXTS = frozenset({"", "none", "null", "na"})

# A plain decimal: FORMATS §4.2/§7.18 MR CSVs write ".92" and "-.03" (no leading zero).
# Deliberately stricter than float(): no "nan", "inf", "1_000", hex or embedded spaces.
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Thousands commas appear in the quarterly LMP archives (FORMATS §4.2, §7.18): "1,234.5".
_THOUSANDS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)

EST = timezone(timedelta(hours=-5))  # FORMATS §1.1 T1: fixed UTC-05:00, never a DST zone


def is_null(value: Any) -> bool:
    """True for ``None`` and for text in the null set (whitespace-only counts as empty)."""
    if value is None:
        return True
    return isinstance(value, str) and value.strip().casefold() in NULL_TEXTS


def parse_number(value: Any) -> tuple[float | None, bool]:
    """Parse a numeric cell. Returns ``(number, invalid)``.

    ``(None, False)`` for a null; ``(None, True)`` for a present value that is not a finite
    number (``"abc"``, ``"#N/A"``, a bool, NaN); otherwise ``(float, False)``.
    """
    if type(value) is str:
        # Fast path for the common cell ("31.52", " -.03"): float() accepts exactly the plain
        # decimals of _DECIMAL_RE once underscores and non-ASCII text (other digit scripts)
        # are excluded; "nan"/"inf" parse but are not finite, as below. Anything else (nulls,
        # thousands commas, junk) takes the full path.
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if value.isascii() and "_" not in value:
                return (number, False) if math.isfinite(number) else (None, True)
    if value is None:
        return None, False
    if isinstance(value, bool):  # bool is an int subclass; an Excel TRUE is not a price
        return None, True
    if isinstance(value, int | float):
        number = float(value)
        return (number, False) if math.isfinite(number) else (None, True)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None, True
    text = value.strip()
    if text.casefold() in NULL_TEXTS:
        return None, False
    if _DECIMAL_RE.fullmatch(text):
        number = float(text)
    elif _THOUSANDS_RE.fullmatch(text):
        number = float(text.replace(",", ""))
    else:
        return None, True
    return (number, False) if math.isfinite(number) else (None, True)


_HE_RE = re.compile(r"(?:HE|HOUR\s*ENDING)?\s*(\d{1,3})", re.IGNORECASE | re.ASCII)


def parse_hour_ending(value: Any) -> int | None:
    """Parse an hour-ending label (``"HE 7"``, ``" HE 7"``, ``"HE7"``, ``"7"``, ``7``, ``7.0``).

    No range check: the caller flags values outside 1..24 (FORMATS §1.1 T3: MISO days always
    have HE 1..24, even on DST days). Returns ``None`` if the value is not such a label.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(".0"):  # numeric cells written as text by some exporters
        text = text[:-2]
    match = _HE_RE.fullmatch(text)
    return int(match.group(1)) if match else None


def hour_ending_in_range(hour: int) -> bool:
    """True for HE 1..24 (FORMATS §1.1 T3: no HE 25, no HE 0)."""
    return 1 <= hour <= 24


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# Every date/time label MISO writes (FORMATS §3.1 Date formats, §4.2, §4.4, §2.1 Time strings):
#   2026-07-14T08:15:00 | 2026-07-14 13:00:00.000 | 2026-07-14 8:10:00 AM | 07/14/2026 00:00
#   07-14-2026 | 07/14/2026 | optional trailing zone (Z, +00:00) on ISO strings.
_LABEL_RE = re.compile(
    r"""
    (?:(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})
      |(?P<m2>\d{1,2})[/-](?P<d2>\d{1,2})[/-](?P<y2>\d{4}))
    (?:(?:\s+|T)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?
       \s*(?P<p>[AaPp]\.?[Mm]\.?)?)?
    \s*(?P<tz>Z|[+-]\d{2}:?\d{2})?
    """,
    re.VERBOSE | re.ASCII,
)
_WORD_DATE_RE = re.compile(
    r"(?P<mon>[A-Za-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})", re.ASCII
)
_EXCEL_EPOCH = {0: datetime(1899, 12, 30), 1: datetime(1904, 1, 1)}


def _round_to_second(value: datetime) -> datetime:
    """Excel stores times as fractions of a day; 00:05 can come back as 00:04:59.999999."""
    if value.microsecond:
        value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
    return value


def excel_serial_to_datetime(serial: float, datemode: int = 0) -> datetime | None:
    """Convert an Excel serial day number to a naive datetime (``None`` if out of range)."""
    if not math.isfinite(serial) or not 0 < serial < 2_958_466:  # Excel's max is 9999-12-31
        return None
    base = _EXCEL_EPOCH[1 if datemode else 0]
    return _round_to_second(base + timedelta(days=serial))


def parse_label(value: Any, datemode: int | None = None) -> datetime | None:
    """Parse a time label into a naive datetime in the label's own clock. ``None`` if unparseable.

    Accepts datetime/date objects (Excel date cells), Excel serials when ``datemode`` is given,
    and the text forms above. ``24:00`` means 00:00 of the next day (FORMATS §1.1 T8). A string
    carrying an explicit zone is expressed in fixed EST, the clock all MISO labels use (§1.1 T1).
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(EST).replace(tzinfo=None)
        return _round_to_second(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial_to_datetime(float(value), datemode) if datemode is not None else None
    if not isinstance(value, str):
        return None
    match = _LABEL_RE.fullmatch(value.strip())
    if not match:
        return None
    g = match.groupdict()
    year, month, day = (
        (g["y"], g["m"], g["d"]) if g["y"] is not None else (g["y2"], g["m2"], g["d2"])
    )
    hour = int(g["H"] or 0)
    minute, second = int(g["M"] or 0), int(g["S"] or 0)
    micro = int((g["f"] or "0")[:6].ljust(6, "0"))
    next_day = False
    if g["p"]:
        if not 1 <= hour <= 12:
            return None
        pm = g["p"][0] in "Pp"
        hour = (hour % 12) + (12 if pm else 0)
    elif hour == 24 and minute == second == micro == 0:
        hour, next_day = 0, True
    try:
        result = datetime(int(year), int(month), int(day), hour, minute, second, micro)
    except ValueError:
        return None
    if next_day:
        result += timedelta(days=1)
    if g["tz"]:
        tz_text = g["tz"]
        if tz_text == "Z":
            offset = timedelta(0)
        else:
            sign = -1 if tz_text[0] == "-" else 1
            digits = tz_text[1:].replace(":", "")
            offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        result = result.replace(tzinfo=timezone(offset)).astimezone(EST).replace(tzinfo=None)
    return _round_to_second(result)


def parse_date(value: Any, datemode: int | None = None) -> date | None:
    """Parse a market-date cell: date/datetime, Excel serial (with ``datemode``), ``MM/DD/YYYY``,
    ``MM-DD-YYYY``, ``YYYY-MM-DD`` (a time part is ignored), or ``March 09, 2025``."""
    if isinstance(value, str):
        word = _WORD_DATE_RE.fullmatch(value.strip())
        if word:
            month = _MONTHS.get(word["mon"].casefold())
            if month is None:
                return None
            try:
                return date(int(word["y"]), month, int(word["d"]))
            except ValueError:
                return None
    parsed = parse_label(value, datemode)
    return parsed.date() if parsed is not None else None


_DATE_SEARCH_RE = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}", re.ASCII
)


def find_date_in_text(text: str) -> date | None:
    """Return the first date found anywhere in a preamble string (e.g. a report title)."""
    for match in _DATE_SEARCH_RE.finditer(text):
        found = parse_date(match.group(0))
        if found is not None:
            return found
    return None


def cell_text(value: Any) -> str:
    """Render a cell as stripped text (``None`` → ``""``; ``3.0`` → ``"3"``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_ZONE_RE = re.compile(r"(?:(?:RESERVE\s+)?ZONE\s*)?(\d{1,2})", re.IGNORECASE | re.ASCII)


def parse_zone(value: Any) -> int | None:
    """Parse a reserve zone: ``"Zone 3"``, ``"Reserve Zone 3"``, ``"3"``, ``3``, ``3.0``
    (FORMATS §2.6 Reserve zone). No range check; ``None`` if unparseable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else None
    if not isinstance(value, str):
        return None
    match = _ZONE_RE.fullmatch(value.strip())
    return int(match.group(1)) if match else None


def zone_in_range(zone: int) -> bool:
    """Reserve zones are 1..8 (FORMATS §2.6)."""
    return 1 <= zone <= 8


def text_value(value: Any) -> str | None:
    """Raw text of a scalar field; nulls (``None``, ``""``, ``"None"``...) become ``None``."""
    if value is None or isinstance(value, dict | list) or is_null(value):
        return None
    return cell_text(value)
