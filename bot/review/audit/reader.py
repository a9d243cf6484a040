"""Stream an export's rows as `AuditRow`s; a row that cannot be read is a `BadRow`, never fatal.

The file is read once: the first rows are buffered to detect the date format, then the rest
stream through. Spreadsheet and CRM habits are expected: a UTF-8 byte-order mark, `;` or tab
delimiters, blank lines, and the notes some reports append under the data (Salesforce's
"Grand Totals", "Copyright …"), which are skipped and counted, not called bad.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TextIO
from zoneinfo import ZoneInfo

from bot.review.audit.columns import Mapping, MappingError, parse_maps, resolve
from bot.review.audit.dates import ColumnFormat, NotInZone, Parse, detect, parser

SAMPLE_ROWS = 2_000
DATE_FIELDS = ("created", "assigned", "first_touch", "last_activity")
END_FIELDS = ("first_touch", "response_time", "last_activity", "touches")
NOT_CONVERTED = frozenset({"", "false", "0", "no", "n", "f"})
csv.field_size_limit(1 << 24)  # a long note in one cell is a row like any other


class AuditRow(NamedTuple):
    line: int
    record: str
    created: float  # POSIX seconds
    answered: float | None  # when the first touch came; None: unknown, or never
    contacted: bool  # False: never contacted, as far as the CRM knows
    approximate: bool  # `answered` is the last activity: an upper bound on the first
    owner: str
    source: str
    touches: int | None
    converted: bool | None  # None: the export says nothing about conversion
    undated: bool = False  # created has a date and no time: waits count from its midnight


class BadRow(NamedTuple):
    line: int
    record: str
    reason: str


@dataclass
class Options:
    preset: str | None = None
    maps: list[str] = field(default_factory=list)
    tz: ZoneInfo | None = None
    date_order: str | None = None
    won: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """How to read one export: picklable, so each worker reading a part of it reads it alike."""

    mapping: Mapping
    formats: dict[str, ColumnFormat]  # date field -> its format
    order: str
    tz: ZoneInfo | None
    won: frozenset[str]
    examples: dict[str, str]  # date field -> a value from the file, shown in bad-row reasons
    delimiter: str
    encoding: str


def read_layout(path: str, options: Options) -> Layout:
    """Read the header and enough rows to know the format; raise `MappingError` or
    `DateFormatError` (one message naming what to pass) when it cannot be read at all."""
    with open_text(path) as stream:
        first = stream.readline()
        delimiter = max((",", ";", "\t"), key=first.count)
        records = _records(csv.reader(itertools.chain([first], stream), delimiter=delimiter))
        header = next((cells for _, cells in records if "".join(cells).strip()), None)
        if header is None:
            raise MappingError(["the file is empty: no header row"])
        mapping = resolve([c.lstrip("\ufeff") for c in header], options.preset,
                          parse_maps(options.maps))  # fmt: skip
        head = [cells for _, cells in itertools.islice(records, SAMPLE_ROWS)]
        encoding = stream.encoding
    if not any(mapping.has(f) for f in END_FIELDS):
        raise MappingError(["nothing in this export says when a lead was first contacted: map "
                            "first_touch, response_time, last_activity or touches (--map "
                            "first_touch=COLUMN)"])  # fmt: skip
    samples: dict[str, list[str]] = {}
    for name in DATE_FIELDS:
        index = mapping.columns.get(name)
        values = [c[index] for c in head if index is not None and len(c) > index]
        if filled := [v for v in values if v.strip()][:500]:
            samples[name] = filled
    named = {mapping.names[f]: values for f, values in samples.items()}
    formats, order = detect(named, options.date_order, options.tz)
    return Layout(
        mapping, {f: formats[mapping.names[f]] for f in samples}, order, options.tz,
        frozenset(w.casefold() for w in options.won), {f: v[0] for f, v in samples.items()},
        delimiter, encoding,
    )  # fmt: skip


def read_rows(lines: Iterable[str], layout: Layout, first_line: int = 1, *, header: bool = True,
              notes: list[int] | None = None) -> Iterator[AuditRow | BadRow]:  # fmt: skip
    """The rows of `lines` (all of an export, or a part starting at `first_line`, in which case
    `header` is False); lines of notes under the data go to `notes`, not to the report."""
    parsers = {f: parser(fmt, layout.order, layout.tz) for f, fmt in layout.formats.items()}
    second = {f: parser(fmt, layout.order, layout.tz, 1) for f, fmt in layout.formats.items()}
    convert = _RowReader(layout.mapping, (parsers, second), layout.won, layout.examples)
    records = _records(csv.reader(lines, delimiter=layout.delimiter), first_line - 1)
    if header:
        next((cells for _, cells in records if "".join(cells).strip()), None)
    for number, cells in records:
        if not "".join(cells).strip():
            continue
        if convert.is_note(cells):
            if notes is not None:
                notes.append(number)
            continue
        yield convert(number, cells)


def _records(reader: Any, before: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may span lines)."""
    after = 0
    for cells in reader:
        yield before + after + 1, cells
        after = reader.line_num


class _RowReader:
    def __init__(self, mapping: Mapping, parsers: tuple[dict[str, Parse], dict[str, Parse]],
                 won: frozenset[str], examples: dict[str, str]) -> None:  # fmt: skip
        self.m, self.won, self.examples = mapping, won, examples
        # The second set reads a repeated hour's wall times as its second time round.
        self.parsers, self.second = parsers
        self.created = mapping.columns["created"]
        self.fields = list(mapping.columns.items())
        self.width = max(mapping.columns.values()) + 1

    def is_note(self, cells: list[str]) -> bool:
        """A report's footer: one cell of text where the data has many, no creation date."""
        if len(cells) > self.created and cells[self.created].strip():
            return False
        return sum(1 for c in cells if c.strip()) == 1

    def __call__(self, line: int, cells: list[str]) -> AuditRow | BadRow:
        # Each mapped cell once, stripped: a million rows make every lookup count.
        if len(cells) >= self.width:
            values = {field: cells[i].strip() for field, i in self.fields}
        else:
            values = {field: cells[i].strip() if i < len(cells) else "" for field, i in self.fields}
        record = values.get("id") or f"line {line}"
        try:
            return self._row(line, record, values)
        except _Bad as bad:
            return BadRow(line, record, str(bad))

    def _row(self, line: int, record: str, cells: dict[str, str]) -> AuditRow:
        created = self._date(cells, "created", required=True)
        assert created is not None
        touches = self._int(cells, "touches")
        answered, contacted, approximate = self._answered(cells, created, touches)
        status = cells.get("status", "").casefold()
        converted: bool | None = None
        if self.m.has("converted") or (self.won and self.m.has("status")):
            mark = cells.get("converted", "").casefold()
            converted = mark not in NOT_CONVERTED or status in self.won
        undated = ":" not in cells.get("created", "")
        return AuditRow(line, record, created, answered, contacted, approximate,
                        cells.get("owner", ""), cells.get("source", ""), touches,
                        converted, undated)  # fmt: skip

    def _answered(self, cells: dict[str, str], created: float, touches: int | None
                  ) -> tuple[float | None, bool, bool]:  # fmt: skip
        """(when first answered, contacted at all, approximate): the first touch if the export
        has it, else the CRM's response time, else a last activity that was the only one."""
        first = self._date(cells, "first_touch", after=created)
        if first is None and (took := self._response_time(cells)) is not None:
            first = (self._date(cells, "assigned") or created) + took
        if first is not None:
            if first < created:
                raise _Bad(f"{self.m.names.get('first_touch', 'the first touch')} is before "
                           f"{self.m.names['created']}")  # fmt: skip
            return first, True, False
        last = self._date(cells, "last_activity", after=created)
        if touches == 0 or (touches is None and last is None):
            return None, False, False
        timed = ":" in cells.get("last_activity", "")  # a date alone says the day, not when
        if last is not None and timed and last >= created and touches in (None, 1):
            return last, True, True
        return None, True, False  # contacted, but when is not in the export

    def _response_time(self, cells: dict[str, str]) -> float | None:
        """Seconds: HubSpot exports `Lead response time (HH:mm:ss)`; its API gives ms."""
        value = cells.get("response_time", "")
        if ":" not in value:
            ms = self._number(cells, "response_time")
            return None if ms is None else ms / 1000
        parts = value.split(":")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            raise _Bad(f"{self.m.names['response_time']}: {_short(value)!r} is not HH:mm:ss")
        hours, minutes, seconds = (int(p) for p in parts)
        if minutes > 59 or seconds > 59:
            raise _Bad(f"{self.m.names['response_time']}: {_short(value)!r} is not HH:mm:ss")
        return hours * 3600.0 + minutes * 60 + seconds

    def _date(self, cells: dict[str, str], name: str, required: bool = False,
              after: float | None = None) -> float | None:  # fmt: skip
        """`after`: the creation time. A touch that reads earlier may be a wall time of the
        hour the clocks repeat, meant the second time round: read it so before calling it bad."""
        value = cells.get(name, "")
        if not value:
            if required:
                raise _Bad(f"{self.m.names[name]} is empty")
            return None
        parse = self.parsers.get(name)
        try:
            if parse is None:
                raise ValueError("no date format was detected for this column")
            moment = parse(value)
            if after is not None and moment < after:
                moment = max(moment, self.second[name](value))
            return moment
        except NotInZone as err:
            raise _Bad(f"{self.m.names[name]}: {err}") from None
        except (ValueError, OverflowError, OSError):
            like = self.examples.get(name)
            shown = f" (like {like!r})" if like else ""
            raise _Bad(f"{self.m.names[name]}: {_short(value)!r} is not a date in the file's "
                       f"format{shown}") from None  # fmt: skip

    def _number(self, cells: dict[str, str], name: str) -> float | None:
        value = cells.get(name, "").replace(",", "")
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            raise _Bad(f"{self.m.names[name]}: {_short(value)!r} is not a number") from None
        if not 0 <= number < 1e13:  # ~300 years of milliseconds
            raise _Bad(f"{self.m.names[name]}: {_short(value)!r} is out of range")
        return number

    def _int(self, cells: dict[str, str], name: str) -> int | None:
        number = self._number(cells, name)
        if number is not None and number != int(number):
            raise _Bad(f"{self.m.names[name]}: {_short(cells.get(name, ''))!r} is not a "
                       "whole number")  # fmt: skip
        return None if number is None else int(number)


class _Bad(Exception):
    pass


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "…"


def open_text(path: str) -> TextIO:
    """The export as text: UTF-8 (with or without a byte-order mark), else Windows-1252, which
    Excel writes on Windows; undecodable bytes become U+FFFD, never an error."""
    raw = open(path, "rb")  # noqa: SIM115 - handed to the wrapper, closed with it
    head = raw.read(1 << 16)
    raw.seek(0)
    try:
        head.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as err:
        encoding = "utf-8-sig" if err.start > len(head) - 4 else "cp1252"
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
