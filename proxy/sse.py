"""Server-sent events, parsed in one place. Protocol code never sees raw bytes.

`EventSplitter` cuts a byte stream into complete events (TCP chunks are not event boundaries).
It returns runs of complete events as one blob, so a relay can forward them with a single send
and look inside only when it must.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class EventSplitter:
    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """The complete events now available (ending in a blank line), or b"" if none yet."""
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        data = self._pending + chunk if self._pending else chunk
        end = data.rfind(b"\n\n")
        if end < 0:
            self._pending = data
            return b""
        self._pending = data[end + 2 :]
        return data[: end + 2]

    def rest(self) -> bytes:
        """Whatever is left without a final blank line (a cut stream)."""
        rest, self._pending = self._pending, b""
        return rest


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str | None
    data: str
    raw: bytes


def iter_events(blob: bytes) -> Iterator[SseEvent]:
    """The events in a blob of complete events (comments and empty events are skipped)."""
    for raw in blob.split(b"\n\n"):
        if not raw:
            continue
        event = None
        data_lines = []
        for line in raw.split(b"\n"):
            if line.startswith(b"data:"):
                data_lines.append(line[5:].removeprefix(b" ").decode())
            elif line.startswith(b"event:"):
                event = line[6:].strip().decode()
        if data_lines or event:
            yield SseEvent(event=event, data="\n".join(data_lines), raw=raw + b"\n\n")


def encode(data: bytes, event: str | None = None) -> bytes:
    """One event: `event:` (when named) and a single `data:` line."""
    if event:
        return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"
    return b"data: " + data + b"\n\n"
