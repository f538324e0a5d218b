"""Real `.xlsx` workbooks via openpyxl, normalized so identical content gives identical bytes.

openpyxl stamps the save time into `docProps/core.xml` and into every ZIP member; we
rewrite both with `modified`, which also serves as the "publish time" document property
that public client code reads from mom.xlsx.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

from openpyxl import Workbook

from tap_miso.testing.fake_miso.formats.sheet import Sheet
from tap_miso.testing.fake_miso.formats.zip_stream import member_info

_STAMP_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def xlsx_bytes(sheets: list[Sheet], modified: datetime) -> bytes:
    """Serialize sheets with openpyxl; `modified` is naive UTC."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.name)
        for row in sheet.rows:
            worksheet.append(list(row))
            for column, value in enumerate(row, start=1):
                if isinstance(value, date):  # datetime is a date too
                    cell = worksheet.cell(row=worksheet.max_row, column=column)
                    cell.number_format = sheet.date_format
        for merge in sheet.merges:
            worksheet.merge_cells(start_row=merge.first_row + 1, end_row=merge.last_row + 1,
                                  start_column=merge.first_col + 1,
                                  end_column=merge.last_col + 1)
    book.properties.creator = "MISO"
    out = io.BytesIO()
    book.save(out)
    return _normalize(out.getvalue(), modified)


def _normalize(data: bytes, modified: datetime) -> bytes:
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _STAMP_RE.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            target.writestr(member_info(info.filename, modified.date()), body)
    return out.getvalue()
