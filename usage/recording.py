"""Writing usage records: after the response, never dropped."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import DatabaseError, IntegrityError, connection

from usage.models import UsageRecord

log = logging.getLogger(__name__)
ATTEMPTS = 5


def insert(fields: dict) -> UsageRecord | None:
    """Insert one record; a record whose request id exists already is kept as it is."""
    try:
        return UsageRecord.objects.create(**fields)
    except IntegrityError:
        if UsageRecord.objects.filter(request_id=fields["request_id"]).exists():
            return None
        raise
    except DatabaseError:
        # The proxy runs outside Django's request cycle, so nothing else drops a connection
        # that the server closed; drop it here and let the retry reconnect.
        if not connection.in_atomic_block:
            connection.close()
        raise


async def save(fields: dict) -> None:
    """Insert the record, retrying database errors with backoff.

    After the last attempt the record is logged in full (it holds no content) so an operator can
    replay it; settlement and holds are built on these rows, so failing silently is not an option.
    """
    delay = 0.05
    for attempt in range(1, ATTEMPTS + 1):
        try:
            await sync_to_async(insert)(fields)
            return
        except Exception:
            if attempt == ATTEMPTS:
                log.exception("usage record NOT saved after %d attempts: %r", attempt, fields)
                return
            await asyncio.sleep(delay)
            delay *= 4
