"""A multipart/form-data upload read as it arrives, without keeping file contents in memory.

The body goes into a spooled temporary file (in memory up to `SPOOL_MEMORY_BYTES`, on disk
beyond) while `FormScanner` notes each part's headers and where its content lies in the body;
only small text fields are kept. The upstream then gets the same bytes back from the spool with
only the `model` field's value replaced, so every other field arrives byte for byte, and a
failover to another route can send them again.

Spooling rather than relaying while receiving: the `model` field names the route and the price
(and so the credit hold), and a client may send it after the file; nothing may go upstream
before the hold. The body is limited (PROXY_MAX_AUDIO_BYTES), so the spool never holds more.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from proxy.http import Request

SPOOL_MEMORY_BYTES = 1024 * 1024
READ_BLOCK_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_FIELD_BYTES = 64 * 1024  # a text field (model, language, prompt, ...)


class FormError(ValueError):
    """The body is not the multipart/form-data it claims to be; the message says why."""


@dataclass
class Part:
    """One part: its name, file name and type, and where its content lies in the body."""

    name: str
    filename: str | None
    content_type: str
    start: int = 0
    end: int = 0
    value: bytearray | None = None  # text fields only (parts without a file name)

    @property
    def size(self) -> int:
        return self.end - self.start


_BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))', re.IGNORECASE)


def boundary_of(content_type: str) -> bytes:
    """The boundary of a `multipart/form-data` content type; FormError otherwise."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise FormError("the body must be multipart/form-data")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise FormError("the multipart/form-data content type has no boundary")
    return (match.group(1) or match.group(2)).encode("latin-1")


def _param(header: str, key: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{key}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', header, re.I)
    if match is None:
        return None
    quoted, bare = match.groups()
    return quoted.replace('\\"', '"') if quoted is not None else bare


def parse_part_headers(raw: bytes) -> Part:
    """A part from its header block (Content-Disposition: form-data; name=...; filename=...)."""
    disposition, content_type = "", ""
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-disposition":
            disposition = value.strip()
        elif name.strip().lower() == "content-type":
            content_type = value.strip().lower()
    name = _param(disposition, "name")
    if not disposition.lower().startswith("form-data") or name is None:
        raise FormError("a part has no Content-Disposition: form-data with a name")
    filename = _param(disposition, "filename")
    return Part(
        name=name,
        filename=filename,
        content_type=content_type,
        value=bytearray() if filename is None else None,
    )


class FormScanner:
    """Finds the parts of a multipart body fed in chunks of any size (RFC 7578)."""

    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"\r\n--" + boundary
        # The first delimiter has no line break before it: pretend there was one.
        self.buffer = bytearray(b"\r\n")
        self.offset = -2  # where buffer[0] is in the body
        self.state = "preamble"
        self.parts: list[Part] = []
        self.done = False

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        while self._step():
            pass

    def _consume(self, count: int) -> None:
        del self.buffer[:count]
        self.offset += count

    def _content(self, data: bytes) -> None:
        part = self.parts[-1] if self.state == "data" else None
        if part is None or part.value is None or not data:
            return
        if len(part.value) + len(data) > MAX_FIELD_BYTES:
            raise FormError(f"the field '{part.name}' is longer than {MAX_FIELD_BYTES} bytes")
        part.value += data

    def _step(self) -> bool:
        if self.state in ("preamble", "data"):
            found = self.buffer.find(self.delimiter)
            if found < 0:
                # A delimiter may begin in the last bytes: keep them for the next chunk.
                cut = max(0, len(self.buffer) - len(self.delimiter) + 1)
                self._content(bytes(self.buffer[:cut]))
                self._consume(cut)
                return False
            self._content(bytes(self.buffer[:found]))
            if self.state == "data":
                self.parts[-1].end = self.offset + found
            self._consume(found + len(self.delimiter))
            self.state = "delimiter"
            return True
        if self.state == "delimiter":
            if len(self.buffer) < 2:
                return False
            if self.buffer[:2] == b"--":
                self.state, self.done = "epilogue", True
                return False
            if self.buffer[:2] != b"\r\n":
                raise FormError("a boundary line is malformed")
            self._consume(2)
            self.state = "headers"
            return True
        if self.state == "headers":
            found = self.buffer.find(b"\r\n\r\n")
            if found < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    raise FormError("a part's headers are too long")
                return False
            part = parse_part_headers(bytes(self.buffer[:found]))
            self._consume(found + 4)
            part.start = self.offset
            self.parts.append(part)
            self.state = "data"
            return True
        self._consume(len(self.buffer))  # the epilogue is ignored
        return False


@dataclass
class Form:
    """A received upload: the raw body in a spool, and its parts."""

    content_type: str
    spool: tempfile.SpooledTemporaryFile
    size: int
    parts: list[Part] = field(default_factory=list)

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    def text(self, name: str) -> str | None:
        """A text field's value, or None when absent or not text."""
        part = self.part(name)
        if part is None or part.value is None:
            return None
        return part.value.decode("utf-8", "replace")

    def head(self, part: Part, count: int) -> bytes:
        """The first `count` bytes of a part's content."""
        self.spool.seek(part.start)
        return self.spool.read(min(count, part.size))

    def with_field(self, name: str, value: str) -> tuple[AsyncIterator[bytes], int]:
        """The body with field `name`'s value replaced, as chunks, and its length."""
        part = self.part(name)
        new = value.encode()
        pieces: list[tuple[int, int] | bytes] = [(0, self.size)]
        if part is not None:
            pieces = [(0, part.start), new, (part.end, self.size)]
            return self._chunks(pieces), self.size - part.size + len(new)
        return self._chunks(pieces), self.size

    async def _chunks(self, pieces: list) -> AsyncIterator[bytes]:
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            position, end = piece
            while position < end:
                self.spool.seek(position)
                block = self.spool.read(min(READ_BLOCK_BYTES, end - position))
                if not block:
                    return
                position += len(block)
                yield block

    def close(self) -> None:
        self.spool.close()


async def read_form(request: Request, limit: int) -> Form:
    """Receive the request's multipart body into a spool (ApiError 413 past `limit` bytes,
    FormError when it is not well-formed multipart/form-data)."""
    content_type = request.headers.get("content-type", "")
    scanner = FormScanner(boundary_of(content_type))
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
    size = 0
    try:
        async for chunk in request.chunks(limit):
            size += len(chunk)
            # A blocking write, but to memory or the page cache: microseconds per chunk.
            spool.write(chunk)
            scanner.feed(chunk)
        if not scanner.done:
            raise FormError("the multipart body ends before its closing boundary")
    except BaseException:
        spool.close()
        raise
    return Form(content_type=content_type, spool=spool, size=size, parts=scanner.parts)
