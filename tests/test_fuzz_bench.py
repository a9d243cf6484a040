"""`bench/fuzz_bench.py` at a small size, so the benchmark #10's figures come from keeps
working: `leadbot serve` as deployed (its own process), generated hostile requests, every
check the full run makes. The full run (10,000 + 2,000) is a benchmark, not a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_fuzz_benchmark_passes_at_a_small_size() -> None:
    sizes = ["--intake", "400", "--interactions", "150", "--refused", "30", "--seed", "1"]
    run = subprocess.run(
        [sys.executable, "bench/fuzz_bench.py", *sizes, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    result = json.loads(run.stdout[run.stdout.index("\n{") :])
    assert [c["check"] for c in result["checks"] if not c["ok"]] == []
    intake = next(p for p in result["phases"] if p["phase"] == "generated intake bodies")
    assert intake["requests"] == 400 and intake["accepted"] > 0
