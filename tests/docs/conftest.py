"""The docs against this deployment: the demo catalog, and a live server for the snippets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from config.guides import placeholders
from proxy import catalog as catalog_cache
from proxy.catalog_file import DEMO_CATALOG, load
from proxy.routing import health


@pytest.fixture(autouse=True)
def _fresh_proxy_state():
    catalog_cache.reset()
    health.reset()
    yield
    catalog_cache.reset()
    health.reset()


@pytest.fixture
def demo_catalog(db):
    load(DEMO_CATALOG, {})


@dataclass(frozen=True)
class Live:
    url: str
    key: str

    @property
    def replacements(self) -> dict[str, str]:
        return {
            placeholders.BASE_URL: self.url,
            placeholders.API_KEY: self.key,
            placeholders.MODEL: "demo",
            placeholders.EMBEDDING_MODEL: "demo-embedding",
        }


@pytest.fixture
def live(tollgate_server, alice, account_a) -> Live:
    """Tollgate on a real socket with the demo models, and a funded key of alice's."""
    from tests.proxy.conftest import make_key

    load(DEMO_CATALOG, {})
    return Live(url=tollgate_server.url, key=make_key(account_a, alice))
