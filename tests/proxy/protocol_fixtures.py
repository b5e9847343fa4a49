"""Recorded example payloads (tests/fixtures/protocols/) and helpers to run stream functions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from proxy.sse import iter_events

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "protocols"


def load_json(name: str) -> dict:
    return orjson.loads((FIXTURES / name).read_bytes())


async def _aiter(items):
    for item in items:
        yield item


def sse_of(blob: bytes) -> list:
    return list(iter_events(blob))


def recorded_events(name: str) -> list:
    return sse_of((FIXTURES / name).read_bytes())


def decode(protocol, events: list) -> list:
    """The canonical events `protocol.decode_stream` makes of SSE `events`."""

    async def run():
        return [e async for e in protocol.decode_stream(_aiter(events))]

    return asyncio.run(run())


def encode(protocol, events: list, **options) -> bytes:
    """The bytes `protocol.encode_stream` writes for canonical `events`."""

    async def run():
        return b"".join([p async for p in protocol.encode_stream(_aiter(events), **options)])

    return asyncio.run(run())
