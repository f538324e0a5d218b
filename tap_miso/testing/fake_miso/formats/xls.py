"""Real BIFF8 `.xls` workbooks via xlwt (deterministic: xlwt writes no timestamps)."""

from __future__ import annotations

import io
from datetime import date, datetime

import xlwt

from tap_miso.testing.fake_miso.formats.sheet import Sheet


def xls_bytes(sheets: list[Sheet]) -> bytes:
    """Serialize sheets; date cells get a date number format, None cells stay empty."""
    book = xlwt.Workbook()
    for sheet in sheets:
        worksheet = book.add_sheet(sheet.name, cell_overwrite_ok=True)
        date_style = xlwt.easyxf(num_format_str=sheet.date_format)
        merged = {(m.first_row, m.first_col): m for m in sheet.merges}
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                merge = merged.get((r, c))
                is_date = isinstance(value, date | datetime)
                style = date_style if is_date else xlwt.Style.default_style
                if merge is not None:
                    worksheet.write_merge(merge.first_row, merge.last_row, merge.first_col,
                                          merge.last_col, value, style)
                else:
                    worksheet.write(r, c, value, style)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
