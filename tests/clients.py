"""Real client programs for tests, installed once into a cache outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services import missing

CLAUDE_CODE_VERSION = "2.1.197"


def cache_dir() -> Path:
    root = os.environ.get("TOLLGATE_CLIENTS_DIR") or Path.home() / ".cache" / "tollgate-clients"
    return Path(root)


def claude_code() -> Path:
    """The `claude` binary of the pinned Claude Code, installed with npm on first use."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing("needs node and npm to run Claude Code")
    prefix = cache_dir() / f"claude-code-{CLAUDE_CODE_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                f"@anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0 or not binary.exists():
            pytest.fail(f"npm could not install Claude Code:\n{result.stderr[-2000:]}")
    return binary
