"""Claude Code itself (`claude -p`) against a live Tollgate, routed once to an Anthropic
upstream and once to an OpenAI-protocol upstream, with a turn where the model runs a tool."""

import json
import subprocess

import pytest

from tests.clients import claude_code
from tests.fakes import anthropic_upstream, openai_upstream
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.openai_upstream import FakeOpenAI
from tests.proxy.conftest import add_model, make_key, wait_for_records

pytestmark = pytest.mark.django_db(transaction=True)

COMMAND = "echo hello-from-bash"


def tool_results(request: dict) -> list[str]:
    """The tool results in the request's last turn (both protocols)."""
    last = request["messages"][-1]
    if last.get("role") == "tool":
        return [m["content"] for m in request["messages"] if m.get("role") == "tool"]
    blocks = last.get("content") if isinstance(last.get("content"), list) else []
    return [json.dumps(b.get("content")) for b in blocks if b.get("type") == "tool_result"]


class BashOnceClaude(FakeAnthropic):
    """Asks to run a command, then answers with what the command printed."""

    def message(self, request):
        results = tool_results(request)
        self.tool_uses = (
            None
            if results
            else [{"id": "toolu_bash1", "name": "Bash", "input": {"command": COMMAND}}]
        )
        self.reply = f"The tool said: {results[0]}" if results else "Running it."
        return super().message(request)


class BashOnceOpenAI(FakeOpenAI):
    def before_answer(self, request):
        results = tool_results(request)
        arguments = json.dumps({"command": COMMAND})
        call = {
            "id": "call_bash1",
            "type": "function",
            "function": {"name": "Bash", "arguments": arguments},
        }
        self.tool_calls = None if results else [call]
        self.reply = f"The tool said: {results[0]}" if results else "Running it."


def run_claude(server_url: str, key: str, tmp_path) -> dict:
    binary = claude_code()
    workdir, config = tmp_path / "work", tmp_path / "config"
    workdir.mkdir()
    config.mkdir()
    env = {
        "PATH": f"{binary.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLAUDE_CONFIG_DIR": str(config),
        "ANTHROPIC_BASE_URL": server_url,
        "ANTHROPIC_AUTH_TOKEN": key,
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_MODEL": "claude-test",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-test",
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_MAX_RETRIES": "1",
    }
    result = subprocess.run(
        [
            str(binary),
            "-p",
            "Run the command and tell me its output.",
            "--output-format",
            "json",
            "--allowedTools",
            "Bash",
        ],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert result.returncode == 0, f"claude failed: {result.stdout[-2000:]} {result.stderr[-2000:]}"
    return json.loads(result.stdout)


def test_claude_code_runs_a_tool_through_an_anthropic_route(
    tollgate_server, alice, account_a, tmp_path
):
    fake, upstream = anthropic_upstream.start_fake(BashOnceClaude())
    try:
        add_model("claude-test", ("fake-claude", upstream.url, 1, "anthropic"))
        key = make_key(account_a, alice)
        output = run_claude(tollgate_server.url, key, tmp_path)
    finally:
        upstream.stop()

    assert "hello-from-bash" in output["result"]
    posts = [r for r in fake.received if r.path == "/v1/messages"]
    assert len(posts) >= 2
    assert "claude-code-20250219" in posts[0].headers["anthropic-beta"]
    assert wait_for_records(account_a, 2) >= 2


def test_claude_code_runs_a_tool_through_an_openai_route(
    tollgate_server, alice, account_a, tmp_path
):
    fake, upstream = openai_upstream.start_fake(BashOnceOpenAI())
    try:
        add_model("claude-test", ("fake-openai", upstream.url + "/v1", 1))
        key = make_key(account_a, alice)
        output = run_claude(tollgate_server.url, key, tmp_path)
    finally:
        upstream.stop()

    assert "hello-from-bash" in output["result"]
    chats = [r.json for r in fake.received if r.path == "/v1/chat/completions"]
    assert len(chats) >= 2
    assert chats[-1]["messages"][-1]["role"] == "tool"
    assert wait_for_records(account_a, 2) >= 2
