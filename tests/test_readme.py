"""The README's commands work as written: every shell block marked `<!-- ci: run -->` runs, in
a fresh folder holding a clone's top-level files, against the installed `leadbot` (the one
beside this Python, as `make demo` and `pip install .` leave it), each command exiting 0.

Mark only blocks that are safe offline and quick (no server left running, no network)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = "<!-- ci: run -->"
BLOCK = re.compile(re.escape(MARKER) + r"\s*\n```(?:sh|bash|console)\n(.*?)\n```", re.S)
# What a fresh clone has beside the README that the commands may read (not .venv, not a
# database or a .env left by someone's own runs).
LEFT_OUT = re.compile(r"\.db($|-|\.)|^\.env$|^leadbot\.yml$")


def marked_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_documents_the_install_paths() -> None:
    text = README.read_text(encoding="utf-8")
    for command in ("pip install .", "pipx install .", "source .venv/bin/activate"):
        assert command in text
    assert text.count(MARKER) == len(marked_blocks()) >= 1  # every marker has its block
    assert any("leadbot --version" in block for block in marked_blocks())


@pytest.mark.parametrize("block", marked_blocks(), ids=lambda b: b.splitlines()[0][:40])
def test_the_readme_commands_run_as_written(block: str, tmp_path: Path) -> None:
    installed = Path(sys.executable).parent
    if not (installed / "leadbot").exists():
        pytest.skip(f"leadbot is not installed beside {sys.executable} (make demo installs it)")
    for path in ROOT.iterdir():
        if path.is_file() and not LEFT_OUT.search(path.name):
            shutil.copy(path, tmp_path / path.name)
    keep = ("SLACK_", "LEADBOT_", "DATABASE_URL", "LOG_")  # a developer's own settings stay out
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    env |= {"PATH": f"{installed}{os.pathsep}{env.get('PATH', '')}", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", "-x", "-euo", "pipefail", "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # bash -x writes each command (`+ leadbot …`) before its output: the last one failed.
    assert result.returncode == 0, result.stdout + result.stderr
