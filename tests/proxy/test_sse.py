from proxy.sse import EventSplitter, iter_events


def test_splitter_waits_for_the_blank_line_that_ends_an_event():
    splitter = EventSplitter()

    assert splitter.feed(b'data: {"a"') == b""
    assert splitter.feed(b": 1}\n") == b""
    assert splitter.feed(b"\ndata: [DO") == b'data: {"a": 1}\n\n'
    assert splitter.feed(b"NE]\n\n") == b"data: [DONE]\n\n"


def test_splitter_returns_every_complete_event_of_a_chunk_at_once():
    splitter = EventSplitter()

    assert splitter.feed(b"data: 1\n\ndata: 2\n\ndata: 3") == b"data: 1\n\ndata: 2\n\n"
    assert splitter.rest() == b"data: 3"


def test_splitter_normalizes_crlf_framing():
    assert EventSplitter().feed(b"data: 1\r\n\r\n") == b"data: 1\n\n"


def test_iter_events_reads_names_and_multi_line_data_and_skips_comments():
    blob = b": keepalive\n\nevent: ping\ndata: {}\n\ndata: a\ndata: b\n\n"

    events = list(iter_events(blob))

    assert [(e.event, e.data) for e in events] == [("ping", "{}"), (None, "a\nb")]
    assert events[1].raw == b"data: a\ndata: b\n\n"
