"""`--html report.html`: one self-contained file (no scripts, no fetches) with SVG charts.

Drawn by Jinja2 in a sandbox with autoescaping: owner names, sources and record ids come from
the export and are text, never markup.
"""

from __future__ import annotations

from importlib import resources

from jinja2.sandbox import SandboxedEnvironment

from bot.review.audit.render import WEEKDAYS, duration, share
from bot.review.audit.tally import AuditReport
from bot.review.report import RESPONSE_BUCKETS as BUCKETS
from bot.review.report import SHARE_LIMITS

_ENV = SandboxedEnvironment(autoescape=True)
_TEMPLATE = _ENV.from_string(
    resources.files(__package__).joinpath("report.html.j2").read_text(encoding="utf-8")
)


def render_html(
    report: AuditReport,
    title: str,
    summary: list[str],
    notes: list[str],
    compared: list[tuple[str, str, str]] | None = None,
    after: str = "",
) -> str:
    total = max(report.overall.leads, 1)
    bars = [(name, count, round(480 * count / total))
            for name, count in zip(BUCKETS, report.buckets, strict=True)]  # fmt: skip
    heat_max = max((n for day in report.heat_leads for n in day), default=0) or 1
    return _TEMPLATE.render(
        r=report, title=title, summary=summary, notes=notes, bars=bars, heat_max=heat_max,
        weekdays=WEEKDAYS, d=duration, s=share, hour=SHARE_LIMITS.index(3600),
        compared=compared or [], after=after,
        tables=[("By source", report.by_source), ("By owner", report.by_owner),
                ("Business hours", [report.in_hours, report.after_hours])],
    )  # fmt: skip
