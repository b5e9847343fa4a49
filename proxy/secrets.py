"""Encryption at rest for provider API keys (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ENCRYPTION_KEY; without it, one is derived from SECRET_KEY, so rotating
SECRET_KEY without setting ENCRYPTION_KEY makes stored provider keys unreadable.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tollgate-provider-keys", info=b"fernet"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher() -> Fernet:
    return _fernet(settings.ENCRYPTION_KEY or settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    """The ciphertext of `plaintext`, as text for a database column."""
    return _cipher().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The plaintext, or "" for an empty column. Raises ValueError when the key does not match."""
    if not ciphertext:
        return ""
    try:
        return _cipher().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "cannot decrypt a provider key: ENCRYPTION_KEY (or SECRET_KEY) changed"
        ) from None
