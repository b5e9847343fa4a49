"""`make bench` works end to end (a smoke run with tiny counts; timings are not judged here)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.services import require_postgres, require_redis

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_runs_through_tollgate_without_errors(db):
    require_postgres()
    redis_url = require_redis()
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tollgate_bench",
        "REDIS_URL": redis_url.rsplit("/", 1)[0] + "/9",
    }

    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--short", "--servers", "daphne,uvicorn"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    assert "| daphne |" in table and "| uvicorn |" in table
    for row in table.splitlines()[2:]:
        assert row.rstrip().endswith("| 0 |"), row  # no request failed through Tollgate
