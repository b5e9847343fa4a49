"""`last_used_at`: recorded at most once a minute per token, never on the request path.

`note_use()` runs inside every successful lookup, so it does no I/O: it checks a per-process
clock and, once a minute per token, hands the token id to a background thread. That thread takes
a cross-process guard in Redis (SET NX with a one-minute TTL, when Redis is configured) and
writes with a conditional UPDATE, which alone already keeps the write to once a minute.
The write runs in this thread rather than as a Celery task: it is one small UPDATE, and the
embedded mode's eager Celery would run it inline in the caller.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from django.conf import settings
from django.db import OperationalError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

INTERVAL_S = 60
_GUARD_KEY = "tg:token-used:{}"

_noted: dict[int, float] = {}
_queue: queue.Queue[int] = queue.Queue()
_writer: threading.Thread | None = None
_writer_lock = threading.Lock()


def note_use(token_id: int) -> None:
    """Remember that `token_id` was just used; cheap enough for every request."""
    now = time.monotonic()
    last = _noted.get(token_id)
    if last is not None and now - last < INTERVAL_S:
        return
    if len(_noted) > 100_000:
        _noted.clear()
    _noted[token_id] = now
    _start_writer()
    _queue.put(token_id)


def flush(timeout_s: float = 5.0) -> None:
    """Wait until every noted use has been written (tests)."""
    deadline = time.monotonic() + timeout_s
    while _queue.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.01)


def forget_noted() -> None:
    """Forget which tokens were noted recently (tests)."""
    _noted.clear()


def record_uses(token_ids: set[int]) -> int:
    """Write `last_used_at = now` for tokens not recorded by any process in the last minute."""
    from tokens.models import ApiToken

    due = {token_id for token_id in token_ids if _claim(token_id)}
    if not due:
        return 0
    return ApiToken.objects.record_use(due, timezone.now())


def _claim(token_id: int) -> bool:
    url = settings.REDIS_URL
    if not url:
        return True
    from tokens.lookup import _default

    cache = _default.shared()
    try:
        return bool(cache.client.set(_GUARD_KEY.format(token_id), 1, ex=INTERVAL_S, nx=True))
    except Exception as exc:  # the conditional UPDATE still bounds the writes
        logger.warning("token activity: Redis guard failed: %s", exc)
        return True


def _start_writer() -> None:
    global _writer
    if _writer is not None and _writer.is_alive():
        return
    with _writer_lock:
        if _writer is None or not _writer.is_alive():
            _writer = threading.Thread(target=_write_forever, name="token-activity", daemon=True)
            _writer.start()


def _write_forever() -> None:
    while True:
        batch = [_queue.get()]
        while True:
            try:
                batch.append(_queue.get_nowait())
            except queue.Empty:
                break
        try:
            _record_with_retries(set(batch))
        finally:
            # This thread is not a request: close its connections so none is left open.
            connections.close_all()
            for _ in batch:
                _queue.task_done()


def _record_with_retries(token_ids: set[int], attempts: int = 3) -> None:
    # SQLite can refuse a write while another connection writes ("database is locked");
    # last_used_at is not worth more than a few short retries.
    for attempt in range(1, attempts + 1):
        try:
            record_uses(token_ids)
            return
        except OperationalError as exc:
            if attempt == attempts or "locked" not in str(exc):
                logger.warning("token activity: could not record last use: %s", exc)
                return
            time.sleep(0.05 * attempt)
        except Exception as exc:
            logger.warning("token activity: could not record last use: %s", exc)
            return
