"""The stand-ins the guides use for this deployment's values, and what replaces them.

The Markdown files are written with fixed stand-ins, so they read well on their own; the site
replaces them with the values of this deployment and of the reader:

- `https://tollgate.example.com`: the public base URL (`PUBLIC_BASE_URL`, else the address the
  page was requested at);
- `sk-tg-...`: for a signed-in reader, the prefix of one of their live tokens (`sk-tg-AbCdEfGh...`),
  so they know which key to paste. A full key is never shown: only its hash is stored;
- `MODEL_ID` and `EMBEDDING_MODEL_ID`: a chat and an embedding model the reader may use.

The snippet tests replace the same stand-ins with a live test server, a real key and the demo
models.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.access import current_membership, scoped
from proxy import catalog
from tokens.models import ApiToken

BASE_URL = "https://tollgate.example.com"
API_KEY = "sk-tg-..."
MODEL = "MODEL_ID"
EMBEDDING_MODEL = "EMBEDDING_MODEL_ID"


@dataclass(frozen=True)
class Values:
    base_url: str
    token_name: str | None = None
    token_prefix: str | None = None
    model: str | None = None
    embedding_model: str | None = None

    def replacements(self) -> dict[str, str]:
        """Stand-in -> value, for the stand-ins that have a value."""
        found = {BASE_URL: self.base_url}
        if self.token_prefix:
            found[API_KEY] = f"{self.token_prefix}..."
        if self.model:
            found[MODEL] = self.model
        if self.embedding_model:
            found[EMBEDDING_MODEL] = self.embedding_model
        return found


def fill(text: str, replacements: dict[str, str], *, escape: bool = False) -> str:
    """`text` with every stand-in replaced in one pass (a value is never replaced again).

    With `escape`, values are HTML-escaped first, for filling rendered HTML.
    """
    if escape:
        replacements = {k: html.escape(v) for k, v in replacements.items()}
    # Longest first, and whole words only: MODEL_ID must not match inside EMBEDDING_MODEL_ID.
    stand_ins = sorted(replacements, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(s)}(?![\w])" for s in stand_ins))
    return pattern.sub(lambda m: replacements[m.group(0)], text)


def public_base_url(request: HttpRequest) -> str:
    """The address clients should call: PUBLIC_BASE_URL, else the one this page was served at."""
    configured = settings.PUBLIC_BASE_URL.rstrip("/")
    if configured:
        return configured
    return f"{request.scheme}://{request.get_host()}"


def values_for(request: HttpRequest) -> Values:
    """The values this reader should see in the guides."""
    membership = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        membership = current_membership(request)
    account_id = membership.account_id if membership else None
    model, embedding_model = example_models(account_id)
    token = newest_live_token(request) if membership else None
    return Values(
        base_url=public_base_url(request),
        token_name=token.name if token else None,
        token_prefix=token.prefix if token else None,
        model=model,
        embedding_model=embedding_model,
    )


def newest_live_token(request: HttpRequest) -> ApiToken | None:
    """The newest usable token of the current account, the reader's own first; None if none."""
    now = timezone.now()
    newest = scoped(request, ApiToken).live(now).order_by("-created_at", "-id")[:50]
    usable = [t for t in newest if t.is_usable(now)]
    own = [t for t in usable if t.created_by_id == request.user.id]
    return (own or usable or [None])[0]


def example_models(account_id: int | None) -> tuple[str | None, str | None]:
    """A chat model and an embedding model for the examples: ones the account may use (public
    ones for visitors) that have a route. The catalog does not say what a model is for, so
    embedding models are told apart by name."""
    snapshot = catalog.current_sync()
    chat = embedding = None
    for model_id, model in sorted(snapshot.models.items()):
        usable = model.public if account_id is None else model.usable_by(account_id)
        if not usable or not model.routes:
            continue
        if "embed" in model_id.lower():
            embedding = embedding or model_id
        else:
            chat = chat or model_id
    return chat, embedding
