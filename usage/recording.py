"""Writing usage records: after the response, never dropped, committed in groups.

Every /v1 request awaits the commit of its own record after its response was sent. Records
of concurrent requests are committed together by one writer per event loop (group commit): one
transaction and one trip to the database thread for many records, instead of one each.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from usage.models import UsageRecord

log = logging.getLogger(__name__)
ATTEMPTS = 5
MAX_GROUP = 500


def _reset_broken_connection() -> None:
    # The proxy runs outside Django's request cycle, so nothing else drops a connection that
    # the server closed; drop it here and let the retry reconnect.
    if not connection.in_atomic_block:
        connection.close()


def insert_group(group: list[dict]) -> None:
    """Insert many records in one statement and transaction; existing request ids are kept.

    Plain SQL rather than the ORM: this runs for every /v1 request, and model instances cost
    more CPU than the insert itself.
    """
    names = list(group[0])  # field names come from the proxy's own code, never from a client
    columns = [*names, "settled"]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(UsageRecord._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT (request_id) DO NOTHING"
    )
    rows = [[fields[name] for name in names] + [False] for fields in group]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    except DatabaseError:
        _reset_broken_connection()
        raise
    if settings.CELERY_TASK_ALWAYS_EAGER:
        for account_id in sorted({fields["account_id"] for fields in group}):
            settle_inline(account_id)


def settle_inline(account_id: int) -> None:
    """Embedded mode (no broker): settle right after the record, so balances show at once."""
    from usage.settlement import settle_account

    try:
        settle_account(account_id)
    except Exception:
        log.exception("inline settlement failed for account %s; it will be retried", account_id)


class GroupWriter:
    """Commits the records handed to it in groups; one per event loop."""

    def __init__(self) -> None:
        self.pending: list[tuple[dict, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def save(self, fields: dict) -> None:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((fields, future))
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._drain())
        await future

    async def _drain(self) -> None:
        while self.pending:
            group, self.pending = self.pending[:MAX_GROUP], self.pending[MAX_GROUP:]
            await _commit([fields for fields, _ in group])
            for _, future in group:
                if not future.done():
                    future.set_result(None)


async def _commit(group: list[dict]) -> None:
    """Commit `group`, retrying database errors with backoff.

    After the last attempt each record is logged in full (records hold no content) so an
    operator can replay it: settlement and holds are built on these rows.
    """
    delay = 0.05
    for attempt in range(1, ATTEMPTS + 1):
        try:
            await sync_to_async(insert_group)(group)
            return
        except Exception:
            if attempt == ATTEMPTS:
                for fields in group:
                    log.exception("usage record NOT saved after %d attempts: %r", attempt, fields)
                return
            await asyncio.sleep(delay)
            delay *= 4


_writers: dict[int, GroupWriter] = {}


async def save(fields: dict) -> None:
    """Commit one usage record (grouped with concurrent ones); returns once it is committed."""
    loop_id = id(asyncio.get_running_loop())
    writer = _writers.get(loop_id)
    if writer is None:
        if len(_writers) > 8:
            _writers.clear()
        writer = _writers[loop_id] = GroupWriter()
    await writer.save(fields)
