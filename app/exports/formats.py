"""Write export rows as CSV, HXL-tagged CSV or XLSX, a chunk of bytes at a time.

Every format opens with the header row; HXL and XLSX follow it with the HXL 1.1 hashtag
row. XLSX sets each column's width and an autofilter whose header is the hashtag row, so
sorting never moves either header row into the data.

Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return first) is prefixed with an apostrophe in CSV; in XLSX every text cell is typed as
text, which spreadsheets never evaluate, so it keeps its value.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from enum import StrEnum
from itertools import islice
from tempfile import SpooledTemporaryFile
from typing import Any

# openpyxl ships no type hints (types-openpyxl would bring them).
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from app.exports.service import Cell, Column

ROWS_PER_CHUNK = 200
XLSX_SPOOL_BYTES = 4 * 1024 * 1024
XLSX_READ_BYTES = 64 * 1024
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    HXL = "hxl"


MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.HXL: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would take for a formula with an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _formula_like(cell: Cell) -> bool:
    return isinstance(cell, str) and cell.startswith(_FORMULA_STARTS)


def filename(stem: str, export_format: ExportFormat, day: date) -> str:
    """The attachment's name: ``crrf-<stem>-<YYYYMMDD>[-hxl].<csv|xlsx>``, plain ASCII."""
    suffix = "-hxl" if export_format is ExportFormat.HXL else ""
    extension = "xlsx" if export_format is ExportFormat.XLSX else "csv"
    return f"crrf-{slug(stem)}-{day:%Y%m%d}{suffix}.{extension}"


def slug(text: str, max_length: int = 60) -> str:
    """Lowercase ASCII words joined by hyphens (``"Réfugiés au Tchad"`` → ``refugies-au-tchad``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_length].rstrip("-") or "export"


def render(
    export_format: ExportFormat, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]
) -> Iterator[bytes]:
    """The file, chunk by chunk."""
    if export_format is ExportFormat.XLSX:
        return xlsx_chunks(columns, rows)
    return csv_chunks(columns, rows, hashtags=export_format is ExportFormat.HXL)


def csv_chunks(
    columns: Sequence[Column], rows: Iterable[Sequence[Cell]], *, hashtags: bool
) -> Iterator[bytes]:
    """UTF-8 CSV (no byte-order mark), ``ROWS_PER_CHUNK`` rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow([c.header for c in columns])
    if hashtags:
        writer.writerow([c.hashtag for c in columns])
    yield flush()
    # csv writes None as an empty field and a date as str(), its ISO form; only what people
    # typed needs a look, cell by cell: an export has close to a million cells.
    typed = [i for i, column in enumerate(columns) if column.free_text]
    iterator = iter(rows)
    while chunk := list(islice(iterator, ROWS_PER_CHUNK)):
        for row in chunk:
            if any(_formula_like(row[i]) for i in typed):
                row = [neutralise(c) if isinstance(c, str) else c for c in row]
            writer.writerow(row)
        yield flush()


def xlsx_chunks(columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """An XLSX workbook of one sheet, written to a spooled file, then read out."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("checklist")
    sheet.freeze_panes = "A3"
    # A write-only sheet writes its column widths with the first row, so they come first.
    for number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.append([_xlsx_cell(sheet, c.header) for c in columns])
    sheet.append([_xlsx_cell(sheet, c.hashtag) for c in columns])
    last_row = 2
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
        last_row += 1
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{last_row}"
    with SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES) as spool:
        workbook.save(spool)
        spool.seek(0)
        while data := spool.read(XLSX_READ_BYTES):
            yield data


def _xlsx_cell(sheet: Any, cell: Cell) -> Any:
    if not isinstance(cell, str):
        return cell
    typed = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", cell))
    typed.data_type = "s"  # text, even when it starts with "=": never a formula
    return typed
