"""Whether a call may run: rate and concurrency limits, and a credit hold for its worst case.

`admit_call` reserves before the call is forwarded; `finish_call` turns the hold into the
actual charge once the usage record is committed.
"""

from __future__ import annotations

import dataclasses
import logging

from django.conf import settings
from redis.exceptions import RedisError

from proxy import admission, credit, errors
from proxy.admission import Decision, Ticket
from proxy.forwarding import Call
from proxy.metering import units_cost_micros

log = logging.getLogger(__name__)


def rate_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    if decision.rpm_limit is None:
        return []
    return [
        (b"x-ratelimit-limit-requests", str(decision.rpm_limit).encode()),
        (b"x-ratelimit-remaining-requests", str(decision.rpm_remaining).encode()),
        (b"x-ratelimit-reset-requests", f"{decision.reset_s}s".encode()),
    ]


def _refusal(decision: Decision, ticket: Ticket, input_tokens: int, call: Call) -> errors.ApiError:
    headers = tuple(rate_headers(decision))
    if decision.reason == "rate_token":
        error = errors.rate_limited("key", ticket.token_rpm, decision.reset_s)
    elif decision.reason == "rate_account":
        error = errors.rate_limited("account", ticket.account_rpm, decision.reset_s)
    elif decision.reason == "concurrency":
        return errors.too_many_concurrent(ticket.max_concurrency)
    else:
        affordable = credit.affordable_output_tokens(
            decision.available_micros, input_tokens, call.price
        )
        if decision.reason == "credit_token":
            return errors.spend_limit_reached(decision.available_micros, affordable)
        error = errors.insufficient_credit(decision.available_micros, affordable)
        return _units_refusal(error, call) if call.unit_kind else error
    return errors.ApiError(
        error.status, error.type, error.code, error.message, headers=error.headers + headers
    )


def _units_refusal(error: errors.ApiError, call: Call) -> errors.ApiError:
    """Credit refusals speak of output tokens and max_tokens; say what a media call needs."""
    need = {
        "image": f"{call.units_bound} image(s)",
        "audio_ms": f"the longest this file may last ({-(-call.units_bound // 60_000)} min)",
        "char": f"{call.units_bound:,} characters",
    }[call.unit_kind]
    message = (
        f"{error.message.split(':')[0]}: what is left does not cover {need} at the prices "
        f"of '{call.model_id}'. Add credits on the Billing page"
        + (", or send a smaller file." if call.unit_kind == "audio_ms" else ".")
    )
    return dataclasses.replace(error, message=message)


async def admit_call(call: Call) -> None:
    """Reserve the call's worst-case cost and its rate/concurrency slots, or raise ApiError.

    When the credit does not cover the model's maximum output and the client set no cap of its
    own, the call goes ahead with `max_tokens` lowered to what the credit affords (if that is
    at least a few tokens).
    """
    context = call.context
    input_tokens = credit.input_bound(call.body_size)
    output_tokens = credit.output_bound(call.endpoint, call.body or {}, call.model)
    account_rpm = context.account_rpm_limit
    if account_rpm is None:
        account_rpm = settings.ACCOUNT_RPM_DEFAULT
    account_rpm = account_rpm or None  # 0: unlimited
    ticket = Ticket(
        request_id=call.request.request_id,
        account_id=context.account_id,
        token_id=context.token_id,
        hold_micros=credit.hold_micros(input_tokens, output_tokens, call.price)
        + units_cost_micros(call.units_bound, call.unit_kind, call.price),
        token_spend_limit_micros=context.spend_limit_micros,
        token_rpm=context.rpm_limit,
        account_rpm=account_rpm,
        max_concurrency=context.max_concurrency,
    )
    gate = admission.backend()
    try:
        decision = await gate.admit(ticket)
    except RedisError:
        # Credit cannot be checked without Redis: refuse rather than risk overspending.
        log.exception("admission failed for request %s", ticket.request_id)
        raise errors.ApiError(
            503,
            "api_error",
            "service_unavailable",
            "Tollgate cannot check your credit right now. Please retry in a few seconds.",
            headers=((b"retry-after", b"2"),),
        ) from None
    if decision.reason.startswith("credit") and _may_lower_cap(call):
        affordable = credit.affordable_output_tokens(
            decision.available_micros, input_tokens, call.price
        )
        if affordable >= credit.MIN_AFFORDABLE_OUTPUT_TOKENS:
            ticket.hold_micros = credit.hold_micros(input_tokens, affordable, call.price)
            decision = await gate.admit(ticket)
            if decision.admitted:
                credit.lower_output_cap(call.endpoint, call.body, affordable)
    if not decision.admitted:
        raise _refusal(decision, ticket, input_tokens, call)
    call.ticket = ticket
    call.extra_headers = rate_headers(decision)


def _may_lower_cap(call: Call) -> bool:
    """Only a cap the client did not choose may be lowered (chat without one, or the
    `max_tokens` Tollgate filled in for a Messages request)."""
    if call.endpoint == "messages":
        return call.cap_defaulted
    return call.endpoint in ("chat", "generate") and credit.requested_output_cap(call.body) is None


async def finish_call(call: Call, cost_micros: int) -> None:
    """Release the call's slot and replace its hold with `cost_micros` (record committed)."""
    if call.ticket is None:
        return
    try:
        await admission.backend().finish(call.ticket, cost_micros)
    except RedisError:
        # The usage record is committed, so nothing is lost: the hold and the slot expire.
        log.exception("could not release the hold of request %s", call.ticket.request_id)
