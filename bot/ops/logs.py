"""The log as operators read it: `LOG_LEVEL` (default INFO) and `LOG_FORMAT` (`text`, one line
per record, or `json`, one object per line for a log shipper).

Either way a record is one line, whatever a lead's text holds: in text, control characters and
Unicode's line separators show escaped (`\\n`), so nobody can forge a line; JSON escapes them by
itself. JSON carries what a record was given as `extra` (`lead_id`, `actor`, `event`) as keys of
its own, so a log search needs no parsing of sentences.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from bot.settings import SettingsError

__all__ = ["LOG_FORMAT", "JsonFormatter", "OneLineFormatter", "configure_logging"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
# Newlines and other control characters, and Unicode's line separators, shown escaped.
_UNSAFE_IN_LOGS = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if code != 0x09},
    0x0A: "\\n",
    0x0D: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
# What every LogRecord has: anything else on a record came from `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# Their INFO lines (plugin set-up, every job run) drown out leadbot's own.
_CHATTY = ("alembic", "apscheduler")


class OneLineFormatter(logging.Formatter):
    """Every record is one line, whatever a lead's text holds: a newline in a lead's source
    shows as `\\n`, so nobody can forge a log line. Tracebacks keep their own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).translate(_UNSAFE_IN_LOGS)


class JsonFormatter(logging.Formatter):
    """One JSON object per record and line: time (UTC, ISO 8601), level, logger, message, the
    record's `extra` keys, and the traceback (`exception`) as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(env: Mapping[str, str] | None = None) -> None:
    """Records of `LOG_LEVEL` and up on stderr, formatted as `LOG_FORMAT` says (also in the
    delivery worker, which reads the same environment). A process that has handlers already
    (a test run, a forked worker) keeps them."""
    level, fmt = log_settings(os.environ if env is None else env)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def log_settings(env: Mapping[str, str]) -> tuple[str, str]:
    """(`LOG_LEVEL`, `LOG_FORMAT`), checked: a typo is one line naming the variable."""
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    fmt = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if level not in LEVELS:
        given = env.get("LOG_LEVEL", "")
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {given!r}")
    if fmt not in FORMATS:
        given = env.get("LOG_FORMAT", "")
        raise SettingsError(f"LOG_FORMAT must be text or json, not {given!r}")
    return level, fmt
