"""CSV downloads of every report, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab / carriage return) would be run as a formula by
Excel, LibreOffice and Google Sheets (CSV injection, OWASP): such text cells get a leading
apostrophe. Numbers stay numbers. Files are UTF-8 with a byte-order mark, so that Excel shows
Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from fastapi.responses import StreamingResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def render(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """{"csat": {"average": 4.5}} -> [("csat.average", 4.5)]."""
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items += flatten(value, name + ".")
        else:
            items.append((name, value))
    return items


def download(filename: str, chunks: AsyncIterator[str]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        yield BOM.encode()
        async for chunk in chunks:
            yield chunk.encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def one_chunk(rows: Iterable[Sequence[Any]]) -> AsyncIterator[str]:
    yield render(rows)
