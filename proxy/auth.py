"""Who is calling: the key from wherever the client put it, then the token context."""

from __future__ import annotations

from django.conf import settings

from proxy import errors
from proxy.http import Request


def read_key(request: Request) -> str:
    """The API key from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or `?key=`."""
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        key = authorization[7:].strip()
        if key:
            return key
    return (
        request.headers.get("x-api-key")
        or request.headers.get("x-goog-api-key")
        or request.query.get("key")
        or ""
    ).strip()


async def authenticate(request: Request):
    """The TokenContext of the request's key; ApiError 401/403 otherwise."""
    from tokens.lookup import lookup

    key = read_key(request)
    if not key:
        raise errors.missing_key()
    context = await lookup(key)
    if context is None:
        raise errors.invalid_key()
    if not context.account_active:
        raise errors.account_suspended()
    if context.allowed_networks:
        ip = request.client_ip(settings.PROXY_TRUST_X_FORWARDED_FOR)
        if not context.allows_ip(ip):
            raise errors.ip_not_allowed(ip)
    return context
