"""Tables for people at a terminal, plain columns for pipes: the same rows either way.

On a terminal (rich's detection; NO_COLOR turns colour off) a rich table with its header; when
the output is piped or redirected, aligned columns with no box drawing or colour, so `grep`,
`cut` and `less` read them as lines. Cells are text, never rich markup: they hold leads' words.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Control characters in a lead's text would drive the reader's terminal, or break a line.
_UNSAFE = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F)} | {0x2028: "\\u2028"}


def clean(text: object) -> str:
    """One line of plain text whatever it held: control characters shown escaped."""
    return str(text).translate(_UNSAFE)


def print_table(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    styles: Sequence[str] = (),
) -> None:
    """`styles`: each column's rich style on a terminal (e.g. "dim", "red")."""
    cells = [[clean(cell) for cell in row] for row in rows]
    if not console.is_terminal:
        if title:
            console.print(title, markup=False, highlight=False)
        for line in _columns([list(headers), *cells]):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title=title, title_justify="left")
    for n, header in enumerate(headers):
        table.add_column(header, style=styles[n] if n < len(styles) else "", overflow="fold")
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row)).rstrip() for row in rows]
