"""An `.xlsx` workbook from a JSON-able spec: one sheet per table, a bold header row in the
reader's language, frozen, and plain values only. Nothing in it is ever a formula: a cell
whose text starts with `=`, `+`, `-` or `@` is written as text, so a description such as
"=HYPERLINK(...)" typed into a report cannot run when the file is opened."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MAX_WIDTH = 50


DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm"


def cell_value(value: Any) -> Any:
    """What is written into a cell: numbers as numbers, `{"dt": "2026-11-23T08:05:00"}` as a
    local date-time, text cleaned of the control characters a spreadsheet cannot hold."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(str(value["dt"]))
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def render(spec: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet_spec in spec["sheets"]:
        sheet = book.create_sheet(str(sheet_spec["title"])[:31])
        headers = [cell_value(h) for h in sheet_spec["headers"]]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) * 2 + 2 for h in headers]
        for row_number, row in enumerate(sheet_spec["rows"], start=2):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_number, column=column, value=cell_value(value))
                if isinstance(cell.value, datetime):
                    cell.number_format = DATE_TIME_FORMAT
                    widths[column - 1] = max(widths[column - 1], 17)
                elif isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
                    widths[column - 1] = max(widths[column - 1], min(MAX_WIDTH, len(cell.value)))
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(MAX_WIDTH, width)
        sheet.freeze_panes = "A2"
    book.properties.creator = spec.get("creator", "Mulan Patrol")
    book.properties.title = spec.get("title")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
