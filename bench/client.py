"""A small keep-alive HTTP/1.1 load generator (raw asyncio) for the benchmarks.

It measures what a client sees: per-request latency, and for streams the time to the first
body byte. Bounded by request count and by time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies_s: list[float] = field(default_factory=list)
    first_bytes_s: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0

    def percentile(self, values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies_s) / self.elapsed_s if self.elapsed_s else 0.0


def build_request(host: str, port: int, path: str, body: bytes, key: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer {key}\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _read_response(reader: asyncio.StreamReader, started: float) -> tuple[int, float]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = None, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    first = None
    if length is not None:
        await reader.readexactly(length)
        first = time.perf_counter() - started
    elif chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if first is None and size:
                first = time.perf_counter() - started
            if size == 0:
                break
    return status, first if first is not None else time.perf_counter() - started


async def _worker(host, port, request, deadline, budget, result: Result) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            status, first = await _read_response(reader, started)
            if status != 200:
                result.errors += 1
                continue
            result.latencies_s.append(time.perf_counter() - started)
            result.first_bytes_s.append(first)
    finally:
        writer.close()


async def run(
    url: str,
    path: str,
    body: bytes,
    key: str,
    *,
    concurrency: int,
    requests: int,
    max_seconds: float,
) -> Result:
    host, port = url.removeprefix("http://").split(":")
    request = build_request(host, int(port), path, body, key)
    result = Result()
    budget = [requests]
    started = time.perf_counter()
    deadline = started + max_seconds
    await asyncio.gather(
        *[_worker(host, int(port), request, deadline, budget, result) for _ in range(concurrency)]
    )
    result.elapsed_s = time.perf_counter() - started
    return result
