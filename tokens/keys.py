"""API keys: how they look, how they are made, and how they are stored (only as a hash).

A key is `sk-tg-` followed by 43 URL-safe characters (32 bytes from `secrets`, 256 bits). The
prefix makes a leaked key recognizable to people and secret scanners. The database keeps the
SHA-256 of the whole key and a short display prefix; the plaintext exists only in the response
that shows it once. A plain hash is enough (no salt or HMAC): with 256 random bits there is
nothing to guess or precompute.
"""

from __future__ import annotations

import hashlib
import re
import secrets

KEY_PREFIX = "sk-tg-"
SECRET_BYTES = 32
# Shown in lists and the admin: the recognizable part plus 8 random characters.
DISPLAY_PREFIX_LENGTH = 14
# Generated keys are 49 characters; the range leaves room for a longer format later without
# letting a client make the server hash megabytes.
_KEY_SHAPE = re.compile(r"sk-tg-[A-Za-z0-9_-]{40,200}")


def generate_key() -> str:
    """A new random key. Never log it, never store it."""
    return KEY_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def hash_key(key: str) -> str:
    """The SHA-256 (hex) of the whole key: what the database stores and the cache is keyed by."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """The first characters of the key, safe to show anywhere."""
    return key[:DISPLAY_PREFIX_LENGTH]


def looks_like_key(key: str) -> bool:
    """Whether `key` has the shape of a Tollgate key (cheap; checked before any cache or query)."""
    return isinstance(key, str) and _KEY_SHAPE.fullmatch(key) is not None
