"""`make bench`: direct-to-upstream vs through Tollgate, side by side, in one run.

The server under test is pinned to CPU 0; the load generator and the fake upstream share CPU 1.
Full-stack settings: PostgreSQL (usage records on) and Redis (holds and limits on). Every loop
is bounded in requests and in seconds, and only 127.0.0.1 is contacted.

    python -m bench.run            # the full run (a few minutes)
    python -m bench.run --short    # a smoke run: checks that everything works, not timings
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tollgate_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
CHAT = orjson.dumps(
    {"model": "bench", "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 16}
)
STREAM = orjson.dumps(
    {
        "model": "bench",
        "messages": [{"role": "user", "content": "Say hello"}],
        "max_tokens": 32,
        "stream": True,
    }
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(upstream_url: str) -> str:
    """Migrate, point the `bench` model at the fake upstream, fund an account; a new key."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from billing.ledger import post_entry
    from proxy.models import Model, Price, Provider, Route
    from tokens.keys import display_prefix, generate_key, hash_key
    from tokens.models import ApiToken

    provider, _ = Provider.objects.update_or_create(
        name="bench-upstream", defaults={"kind": "openai_compatible", "base_url": upstream_url}
    )
    model, created = Model.objects.get_or_create(
        public_id="bench", defaults={"display_name": "Bench", "max_output_tokens": 4096}
    )
    if created:
        Price.objects.create(
            model=model, input_per_mtok_micros=100_000, output_per_mtok_micros=200_000
        )
    Route.objects.update_or_create(
        model=model, provider=provider, defaults={"upstream_model": "bench-up"}
    )
    Route.objects.filter(model=model).exclude(provider=provider).delete()
    user = User.objects.filter(email="bench@example.com").first()
    if user is None:
        user = User.objects.create_user(email="bench@example.com", password=None)
    account = user.personal_account
    if account.balance_micros < 1_000_000_000:
        post_entry(
            account,
            10_000_000_000,
            "adjustment",
            idempotency_key=f"bench-fund-{time.time_ns()}",
            note="benchmark credit",
        )
    key = generate_key()
    ApiToken.objects.create(
        account=account,
        name="bench",
        prefix=display_prefix(key),
        secret_hash=hash_key(key),
        created_by=user,
    )
    return key


def server_command(kind: str, port: int) -> list[str]:
    app = "config.asgi:application"
    if kind == "daphne":
        return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "-v", "0", app]
    if kind == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if kind == "granian":
        return [
            str(BIN / "granian"),
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--no-ws",
            app,
        ]
    raise SystemExit(f"unknown server {kind!r}")


def wait_ready(port: int, process: subprocess.Popen, timeout_s: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def settle() -> None:
    from usage.settlement import settle_all

    settle_all()


async def scenario(
    url: str, key: str, body: bytes, concurrency: int, requests: int, seconds: float
):
    from bench import client

    return await client.run(
        url,
        "/v1/chat/completions",
        body,
        key,
        concurrency=concurrency,
        requests=requests,
        max_seconds=seconds,
    )


def measure(kind: str, upstream: str, key: str, sizes: dict) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ACCOUNT_RPM_DEFAULT": "0",
    }
    process = subprocess.Popen(
        ["taskset", "-c", "0", *server_command(kind, port)], cwd=ROOT, env=env
    )
    try:
        wait_ready(port, process)
        proxy = f"http://127.0.0.1:{port}"
        run = asyncio.run
        run(scenario(proxy, key, CHAT, 8, sizes["warmup"], 30))  # warm caches and pools
        out: dict = {"server": kind}
        for label, url in (("direct", upstream), ("proxy", proxy)):
            one = run(scenario(url, key, CHAT, 1, sizes["serial"], 60))
            out[f"{label}_c1"] = one
            settle()
            for c in (32, 64):
                out[f"{label}_c{c}"] = run(
                    scenario(url, key, CHAT, c, sizes["load"], sizes["seconds"])
                )
                settle()
            out[f"{label}_stream"] = run(scenario(url, key, STREAM, 1, sizes["serial"] // 2, 60))
            settle()
        out["rss_mb"] = peak_rss_mb(process.pid)
        return out
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def report(results: list[dict]) -> str:
    ms = 1000
    lines = [
        "| server | added p50 C=1 (ms) | added p99 C=1 (ms) | req/s C=32 direct / proxy "
        "| req/s C=64 direct / proxy | stream TTFB p50 direct / proxy (ms) | peak RSS (MB) "
        "| errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        d1, p1 = r["direct_c1"], r["proxy_c1"]
        added50 = (p1.percentile(p1.latencies_s, 0.5) - d1.percentile(d1.latencies_s, 0.5)) * ms
        added99 = (p1.percentile(p1.latencies_s, 0.99) - d1.percentile(d1.latencies_s, 0.99)) * ms
        ds, ps = r["direct_stream"], r["proxy_stream"]
        errors = sum(r[k].errors for k in r if k.startswith("proxy_"))
        lines.append(
            f"| {r['server']} | {added50:.2f} | {added99:.2f} "
            f"| {r['direct_c32'].rps:,.0f} / {r['proxy_c32'].rps:,.0f} "
            f"| {r['direct_c64'].rps:,.0f} / {r['proxy_c64'].rps:,.0f} "
            f"| {ds.percentile(ds.first_bytes_s, 0.5) * ms:.2f} / "
            f"{ps.percentile(ps.first_bytes_s, 0.5) * ms:.2f} "
            f"| {r['rss_mb']:.0f} | {errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a smoke run with tiny counts")
    parser.add_argument("--servers", default="daphne,uvicorn,granian")
    args = parser.parse_args(argv)
    sizes = (
        {"warmup": 20, "serial": 20, "load": 100, "seconds": 3}
        if args.short
        else {"warmup": 500, "serial": 2000, "load": 30000, "seconds": 10}
    )

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()

    upstream_port = free_port()
    upstream = subprocess.Popen(
        ["taskset", "-c", "1", sys.executable, "-m", "bench.upstream", str(upstream_port)], cwd=ROOT
    )
    os.sched_setaffinity(0, {1})
    try:
        time.sleep(0.5)
        key = prepare(f"http://127.0.0.1:{upstream_port}/v1")
        results = [
            measure(kind, f"http://127.0.0.1:{upstream_port}", key, sizes)
            for kind in args.servers.split(",")
        ]
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)
    table = report(results)
    print(table)
    failed = [
        r["server"]
        for r in results
        if sum(r[k].errors for k in r if k.startswith("proxy_")) or not r["proxy_c1"].latencies_s
    ]
    if failed:
        print(f"errors through Tollgate with: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
