"""Whether leadbot.yml changed on disk since leadbot read it, and the new file's `Config` when it
is good. `leadbot serve` asks on SIGHUP (`systemctl reload`) and every couple of seconds (an
editor's save, a Kubernetes ConfigMap update); bot/serve.py does the swap.

The file is compared by its bytes' digest, not its modification time alone: an editor that saves
the same bytes, or a `touch`, is not a reload, and a file replaced by a rename (what editors and
ConfigMaps do) is seen although its old inode never changed."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from bot.config.errors import ConfigError
from bot.config.load import load_config
from bot.config.schema import Config

log = logging.getLogger(__name__)
SETTLE = 0.3  # seconds a changed file must keep its bytes before it is read


@dataclass(frozen=True)
class Reloaded:
    config: Config | None  # None: refused
    problem: str | None = None  # why, every problem the check found


class ConfigWatch:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._seen = _digest(self.path)  # what the running configuration was read from

    def changed(self) -> bool:
        """The file's bytes differ from the last version read or refused, and have stopped
        changing: an editor that truncates and then writes in place would otherwise be caught
        halfway, and a half-written file refused (and announced to the admins) for nothing."""
        now = _digest(self.path)
        if now == self._seen:
            return False
        time.sleep(SETTLE)
        return _digest(self.path) == now

    def read(self) -> Reloaded:
        """Read the file now (after `changed`, or on SIGHUP). A file refused once is not read
        again until its bytes change or SIGHUP asks, so one bad save is announced once."""
        self._seen = _digest(self.path)
        try:
            return Reloaded(load_config(self.path))
        except ConfigError as err:
            return Reloaded(None, str(err))
        except Exception as err:  # a bug in the checks must not stop a running bot
            log.exception("reading %s failed", self.path)
            return Reloaded(None, f"leadbot could not read it ({type(err).__name__}: {err})")


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # gone for a moment (mid-rename): compared as its own state
