"""Google's other stream framing: `streamGenerateContent` without `alt=sse` answers one JSON
array whose elements are the chunks, sent as they come. Tollgate produces SSE everywhere; this
`send` wrapper reframes it for such clients."""

from __future__ import annotations

from proxy.sse import EventSplitter, iter_events


class JsonArraySend:
    """An ASGI `send` that turns an SSE answer into a JSON array (other answers pass as they are:
    an error before the stream is plain JSON already)."""

    def __init__(self, send) -> None:
        self.send = send
        self.splitter = EventSplitter()
        self.reframing = False
        self.elements = 0

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            self.reframing = any(
                name == b"content-type" and value.startswith(b"text/event-stream")
                for name, value in headers
            )
            if self.reframing:
                headers = [(n, v) for n, v in headers if n != b"content-type"]
                headers.append((b"content-type", b"application/json; charset=utf-8"))
                message = dict(message, headers=headers)
            await self.send(message)
            return
        if not self.reframing or message["type"] != "http.response.body":
            await self.send(message)
            return
        more = message.get("more_body", False)
        blob = self.splitter.feed(message.get("body", b""))
        if not more:
            blob += self.splitter.rest() + b"\n\n"
        out = bytearray()
        for event in iter_events(blob):
            if event.data:
                out += b"[" if self.elements == 0 else b",\r\n"
                out += event.data.encode()
                self.elements += 1
        if not more:
            out += b"]" if self.elements else b"[]"
        if out or not more:
            await self.send({"type": "http.response.body", "body": bytes(out), "more_body": more})
