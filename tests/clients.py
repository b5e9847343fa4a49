"""Real client programs for tests, installed once into a cache outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services import missing

CLAUDE_CODE_VERSION = "2.1.197"
CODEX_VERSION = "0.169.0"  # known to run offline with the config in tests/proxy/test_codex_cli.py


def cache_dir() -> Path:
    root = os.environ.get("TOLLGATE_CLIENTS_DIR") or Path.home() / ".cache" / "tollgate-clients"
    return Path(root)


def claude_code() -> Path:
    """The `claude` binary of the pinned Claude Code, installed with npm on first use."""
    return npm_binary("Claude Code", "@anthropic-ai/claude-code", CLAUDE_CODE_VERSION, "claude")


def codex() -> Path:
    """The `codex` binary of the pinned Codex CLI, installed with npm on first use."""
    return npm_binary("Codex CLI", "@openai/codex", CODEX_VERSION, "codex")


def npm_binary(label: str, package: str, version: str, command: str) -> Path:
    """`command` of npm `package` at `version`, installed in its own cache directory."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing(f"needs node and npm to run {label}")
    prefix = cache_dir() / f"{package.rsplit('/', 1)[-1]}-{version}"
    binary = prefix / "node_modules" / ".bin" / command
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
                f"{package}@{version}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0 or not binary.exists():
            pytest.fail(f"npm could not install {label}:\n{result.stderr[-2000:]}")
    return binary
