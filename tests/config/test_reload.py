"""`ConfigWatch` (bot/config/reload.py): what `leadbot serve` asks before a reload. The whole
swap is tested through a running server in tests/test_reload.py."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config.reload import ConfigWatch

GOOD = "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: Alice}]\n"


def test_a_change_is_its_bytes_not_its_time(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(GOOD)
    watch = ConfigWatch(path)
    assert not watch.changed()
    path.write_text(GOOD)  # saved again, the same bytes
    assert not watch.changed()
    path.write_text(GOOD.replace("Alice", "Alicia"))
    assert watch.changed()
    reloaded = watch.read()
    assert reloaded.config is not None and reloaded.config.reps[0].name == "Alicia"
    assert not watch.changed()


def test_a_bad_file_is_read_once_and_named(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(GOOD)
    watch = ConfigWatch(path)
    path.write_text("reps: [{id: nope}]\n")
    assert watch.changed()
    reloaded = watch.read()
    assert reloaded.config is None and reloaded.problem and "reps" in reloaded.problem
    assert not watch.changed()  # the same bad bytes are not announced again


def test_a_file_gone_for_a_moment_is_a_change_then_a_refusal(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(GOOD)
    watch = ConfigWatch(path)
    path.unlink()
    assert watch.changed()
    assert watch.read().config is None


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_give_a_config_or_a_reason_never_an_exception(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(GOOD)
    watch = ConfigWatch(path)
    path.write_bytes(content)
    reloaded = watch.read()
    assert (reloaded.config is None) == bool(reloaded.problem)
