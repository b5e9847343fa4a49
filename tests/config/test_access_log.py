"""Access logs never show a key sent as `?key=` (Gemini clients may), under daphne or uvicorn."""

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from config.logs import RedactQueryKeys, redact_query

ROOT = Path(__file__).resolve().parents[2]


def test_key_like_query_parameters_are_redacted():
    path = "/v1beta/models/m:generateContent?alt=sse&key=sk-tg-secret&API_KEY=x&keyword=ok"

    assert redact_query(path) == (
        "/v1beta/models/m:generateContent?alt=sse&key=[redacted]&API_KEY=[redacted]&keyword=ok"
    )


def test_uvicorns_access_record_is_redacted():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/v1beta/models?key=sk-tg-secret", "1.1", 200), None,
    )  # fmt: skip
    RedactQueryKeys().filter(record)

    assert "sk-tg-secret" not in record.getMessage()
    assert "key=[redacted]" in record.getMessage()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_daphne_launcher_redacts_its_access_log(tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port),
         "--access-log", str(log), "config.asgi:application"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1beta/nothing?key=sk-tg-secret")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "daphne did not start"
                time.sleep(0.2)
        assert answer.status_code == 404  # answered before any database access
        deadline = time.monotonic() + 5
        while "v1beta" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "no access log entry"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert "sk-tg-secret" not in text and "key=[redacted]" in text
