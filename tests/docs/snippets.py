"""Running the code blocks of docs/ against a live Tollgate: what counts as a pass.

- `sh` blocks that call curl run under bash with `TOLLGATE_API_KEY` set. Every curl must get a 2xx
  answer, or the status of the block's `expect=` option.
- `python` blocks run in a fresh interpreter and must exit 0 and print something.
- `no-run` blocks are not run; `needs=package` blocks run only where the package is installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from config.guides import library, placeholders
from config.guides.library import CodeBlock, Guide

DOCS = Path(__file__).resolve().parents[2] / "docs"
OPTIONS = re.compile(r"^(no-run|expect=\d{3}|needs=[\w.]+)$")
LANGUAGES = {"sh", "python", "js", "json", "toml", "yaml", "text", ""}

# A no-run block must call an API that is not served yet: what in its code says which one, and
# a request of that API. Once the request is served, the test fails until the option is dropped.
PENDING_APIS = (
    (
        re.compile(r"/v1/messages|import anthropic|langchain_anthropic|@anthropic-ai/sdk"),
        ("POST", "/v1/messages"),
    ),
    (
        re.compile(r"/v1beta/|from google import genai"),
        ("POST", "/v1beta/models/any:generateContent"),
    ),
    (re.compile(r"/v1/responses|use_responses_api"), ("POST", "/v1/responses")),
)

# curl as the blocks call it, reporting each answer's status on stderr.
CURL_SHIM = (
    "curl() { command curl --silent --show-error --max-time 30 "
    "--write-out '%{stderr}docs-status=%{http_code}\\n' \"$@\"; }\n"
)


def guides() -> list[Guide]:
    found = (library.read_guide(path) for path in sorted(DOCS.glob("*.md")))
    return [guide for guide in found if guide is not None]


def blocks_of(guide: Guide) -> list[CodeBlock]:
    return library.code_blocks(guide.path.read_text(encoding="utf-8"))


def is_executed(block: CodeBlock) -> bool:
    if block.option("no-run") is not None:
        return False
    return block.language == "python" or (block.language == "sh" and "curl " in block.code)


def missing_package(block: CodeBlock) -> str | None:
    """The package a `needs=` block needs, when it is not installed here."""
    needed = block.option("needs")
    if not needed:
        return None
    try:
        found = importlib.util.find_spec(needed)
    except ModuleNotFoundError:
        found = None
    return needed if found is None else None


def pending_api(block: CodeBlock) -> tuple[str, str] | None:
    for pattern, request in PENDING_APIS:
        if pattern.search(block.code):
            return request
    return None


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment: no provider keys or base URLs of the developer's shell leak in."""
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(extra)
    return env


def describe(guide: Guide, block: CodeBlock) -> str:
    return f"docs/{guide.path.name}:{block.line} ({block.language})"


def check(guide: Guide, block: CodeBlock, replacements: dict[str, str], key: str) -> str | None:
    """Run one block; None when it passed, else what went wrong."""
    code = placeholders.fill(block.code, replacements)
    if block.language == "sh":
        return _check_sh(code, block.option("expect"), key)
    return _check_python(code)


def _check_sh(code: str, expected: str | None, key: str) -> str | None:
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", CURL_SHIM + code],
        env=clean_env(TOLLGATE_API_KEY=key),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    statuses = re.findall(r"docs-status=(\d{3})", result.stderr)
    if result.returncode != 0 or not statuses:
        return f"exit {result.returncode}: {result.stderr.strip()[-800:]}"
    wrong = [s for s in statuses if (s != expected if expected else not s.startswith("2"))]
    if wrong:
        want = expected or "2xx"
        return f"got {', '.join(statuses)}, expected {want}: {result.stdout.strip()[-800:]}"
    return None


def _check_python(code: str) -> str | None:
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=workdir,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        return f"exit {result.returncode}: {result.stderr.strip()[-1500:]}"
    if not result.stdout.strip():
        return "printed nothing"
    return None


def check_js_syntax(code: str) -> str | None:
    """`node --check` of a js block as an ES module; None when node is not installed."""
    node = shutil.which("node")
    if node is None:
        return None
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "snippet.mjs"
        path.write_text(code, encoding="utf-8")
        result = subprocess.run(
            [node, "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
        )
    return None if result.returncode == 0 else result.stderr.strip()[-800:]
