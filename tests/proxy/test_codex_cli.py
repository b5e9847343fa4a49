"""Codex CLI itself (`codex exec`) against a live Tollgate, routed once to an OpenAI upstream
(Responses relayed) and once to a chat-only upstream (Responses translated), with a turn where
the model runs a command."""

import json
import subprocess

import pytest

from tests.clients import codex
from tests.fakes import openai_upstream
from tests.fakes.openai_upstream import FakeOpenAI
from tests.proxy.conftest import add_model, make_key, wait_for_records

pytestmark = pytest.mark.django_db(transaction=True)

COMMAND = "echo hello-from-codex"
# ../shared/CLIENTS.md §13: only loopback traffic, one retry, no prompts.
CONFIG = """
model = "codex-test"
model_provider = "tollgate"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false

[model_providers.tollgate]
name = "Tollgate"
base_url = "{base_url}"
env_key = "TOLLGATE_API_KEY"
wire_api = "responses"
request_max_retries = 1
stream_max_retries = 1
stream_idle_timeout_ms = 60000
"""


def tool_outputs(request: dict) -> list[str]:
    """The command outputs the request carries back (Responses items or chat tool messages)."""
    if "input" in request:
        items = request["input"] if isinstance(request["input"], list) else []
        return [str(i.get("output")) for i in items if i.get("type") == "function_call_output"]
    return [str(m.get("content")) for m in request["messages"] if m.get("role") == "tool"]


class CommandOnce(FakeOpenAI):
    """Asks to run a command, then answers with what the command printed."""

    def before_answer(self, request):
        outputs = tool_outputs(request)
        call = {
            "id": "call_exec1",
            "type": "function",
            "function": {"name": "exec_command", "arguments": json.dumps({"cmd": COMMAND})},
        }
        self.tool_calls = None if outputs else [call]
        self.reply = f"The command said: {outputs[0]}" if outputs else "Running it."


def run_codex(server_url: str, key: str, tmp_path) -> list[dict]:
    binary = codex()
    home, workdir = tmp_path / "codex-home", tmp_path / "work"
    home.mkdir()
    workdir.mkdir()
    (home / "config.toml").write_text(CONFIG.format(base_url=f"{server_url}/v1"))
    env = {
        "PATH": f"{binary.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CODEX_HOME": str(home),
        "TOLLGATE_API_KEY": key,
    }
    result = subprocess.run(
        [str(binary), "exec", "--skip-git-repo-check", "--json", "Run the command."],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert result.returncode == 0, f"codex failed: {result.stdout[-2000:]} {result.stderr[-2000:]}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def final_message(events: list[dict]) -> str:
    texts = [
        e["item"].get("text", "")
        for e in events
        if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"
    ]
    return texts[-1] if texts else ""


@pytest.mark.parametrize(
    ("kind", "path"), [("openai", "/v1/responses"), ("openai_compatible", "/v1/chat/completions")]
)
def test_codex_runs_a_command_through_tollgate(
    tollgate_server, alice, account_a, tmp_path, kind, path
):
    fake, upstream = openai_upstream.start_fake(CommandOnce())
    try:
        add_model("codex-test", ("fake-upstream", upstream.url + "/v1", 1, kind))
        key = make_key(account_a, alice)
        events = run_codex(tollgate_server.url, key, tmp_path)
    finally:
        upstream.stop()

    items = [e["item"] for e in events if "item" in e]
    commands = [
        i for i in items if i.get("type") == "command_execution" and i.get("exit_code") == 0
    ]
    assert [c["aggregated_output"] for c in commands] == ["hello-from-codex\n"], events
    assert "hello-from-codex" in final_message(events), events
    usage = [e["usage"] for e in events if e.get("type") == "turn.completed"]
    assert usage and usage[0]["input_tokens"] >= 24, events  # 12 per request, as Codex counts
    posts = [r for r in fake.received if r.path == path]
    assert len(posts) >= 2, [r.path for r in fake.received]
    assert any("hello-from-codex" in out for out in tool_outputs(posts[-1].json))
    assert wait_for_records(account_a, 2) >= 2
