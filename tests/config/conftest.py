"""Shared by the config tests: the smallest valid leadbot.yml, as parsed YAML."""

from __future__ import annotations

from typing import Any


def base() -> dict[str, Any]:
    """The smallest valid config; each test changes one thing."""
    return {
        "channels": {"queue": "C0QUEUE"},
        "managers": ["U0MAYA"],
        "reps": [
            {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0MAYA"},
            {"id": "U0BO", "name": "Bo"},
        ],
    }
