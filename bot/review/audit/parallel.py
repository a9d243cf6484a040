"""A big export read on every core: cut into parts at record boundaries, each part read and
tallied by a worker process, the tallies merged in file order.

A cut must not fall inside a quoted cell, which may hold newlines: a newline ends a record only
when the quotes before it are balanced (RFC 4180 doubles a quote inside a quoted cell, so the
count's parity is exact). Parts are about PART_BYTES; a smaller file is one part, read here.
"""

from __future__ import annotations

import io
import mmap
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.hours import BusinessCalendar
from bot.review.audit.business import BusinessSeconds
from bot.review.audit.reader import Layout, read_rows
from bot.review.audit.tally import Tally

PART_BYTES = 8 << 20


@dataclass(frozen=True)
class Part:
    start: int  # byte offsets, [start, end)
    end: int
    first_line: int


@dataclass(frozen=True)
class Job:
    path: str
    layout: Layout
    part: Part
    calendar: BusinessCalendar | None
    tz: ZoneInfo
    owners: dict[str, str]


def split(path: str, part_bytes: int = PART_BYTES) -> list[Part]:
    size = os.path.getsize(path)
    if size <= part_bytes:
        return [Part(0, size, 1)]
    parts: list[Part] = []
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        start = scanned = quotes = newlines = 0
        first_line = 1
        target = part_bytes
        while target < size:
            cut = data.find(b"\n", target) + 1
            if cut <= 0:
                break
            piece = data[scanned:cut]  # mmap has no count() before Python 3.13
            quotes += piece.count(b'"')
            newlines += piece.count(b"\n")
            scanned = cut
            if quotes % 2:  # inside a quoted cell: the record goes on
                target = cut
                continue
            parts.append(Part(start, cut, first_line))
            start, first_line, target = cut, newlines + 1, cut + part_bytes
    parts.append(Part(start, size, first_line))
    return parts


def tally_part(job: Job) -> Tally:
    with open(job.path, "rb") as file:
        file.seek(job.part.start)
        data = file.read(job.part.end - job.part.start)
    encoding = job.layout.encoding
    if job.part.start and encoding == "utf-8-sig":
        encoding = "utf-8"  # the byte-order mark is only at the start of the file
    text = io.StringIO(data.decode(encoding, errors="replace"), newline="")
    tally = Tally(BusinessSeconds(job.calendar), job.tz, job.owners)
    notes: list[int] = []
    header = job.part.start == 0
    tally.add_all(read_rows(text, job.layout, job.part.first_line, header=header, notes=notes))
    tally.notes = len(notes)
    return tally


def tally_file(jobs: list[Job], advance: Callable[[int], None]) -> Tally:
    """All the parts' tallies, merged in file order (bad rows are listed by line)."""
    if len(jobs) == 1:
        tally = tally_part(jobs[0])
        advance(jobs[0].part.end)
        return tally
    total = Tally(BusinessSeconds(jobs[0].calendar), jobs[0].tz, jobs[0].owners)
    # spawn, not fork: a fork of a process with threads (a test run, a host app) can deadlock.
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
        for job, tally in zip(jobs, pool.imap(tally_part, jobs), strict=True):
            total.merge(tally)
            advance(job.part.end - job.part.start)
    return total
