"""The layout shows the architecture (docs/architecture.md): a small top level in bot/, and every
package saying what it is for and what it may import. The layers themselves are checked by
`lint-imports` (pyproject.toml), which `make test` runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(
    path.parent
    for top in ("bot", "blocks", "handlers", "storage")
    for path in (ROOT / top).rglob("__init__.py")
    if "migrations" not in path.parts
)


def test_bot_keeps_a_small_top_level() -> None:
    modules = [p.name for p in (ROOT / "bot").glob("*.py") if p.name != "__init__.py"]
    assert len(modules) <= 12, sorted(modules)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_states_its_job_and_what_it_may_import(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    assert len(docstring.split()) >= 10, f"{package}: no job stated"
    assert "import" in docstring.lower(), f"{package}: say what it may import"


def test_tests_mirror_the_tree() -> None:
    """A test folder for every package of bot/ that has tests, named like it."""
    for folder in (ROOT / "tests").iterdir():
        if not folder.is_dir() or folder.name in ("e2e", "fakes", "__pycache__"):
            continue
        code = [ROOT / "bot" / folder.name, ROOT / folder.name]
        assert any(path.is_dir() for path in code), f"tests/{folder.name} mirrors no package"
