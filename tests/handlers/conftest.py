"""Shared by the handler tests: what leadbot answered through a response_url."""

from __future__ import annotations

from typing import Any

from tests.fakes.harness import Harness


def answer_to(bot: Harness, name: str, count: int = 1) -> dict[str, Any]:
    """The `count`-th message sent to the response_url called `name`."""
    calls = bot.fake.wait_for(
        "response_url", count=count, where=lambda c: c.path.endswith(f"/{name}")
    )
    return calls[count - 1].args
