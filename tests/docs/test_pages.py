"""The docs pages: every guide renders, links resolve, and the stand-ins are filled."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from config.guides import library, placeholders
from tests.conftest import login
from tests.docs import snippets
from tokens.keys import display_prefix, generate_key, hash_key
from tokens.models import ApiToken

GUIDES = snippets.guides()
STAND_INS = (placeholders.BASE_URL, placeholders.MODEL, placeholders.EMBEDDING_MODEL)


def make_token(account, user, name: str, **fields) -> tuple[ApiToken, str]:
    key = generate_key()
    token = ApiToken.objects.create(
        account=account,
        name=name,
        prefix=display_prefix(key),
        secret_hash=hash_key(key),
        created_by=user,
        **fields,
    )
    return token, key


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.slug)
def test_every_guide_renders_with_its_contents_and_copy_script(client, demo_catalog, guide):
    response = client.get(f"/docs/{guide.slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>{guide.title} · Docs" in html
    assert 'aria-label="On this page"' in html
    assert "/static/js/docs.js" in html
    assert "no-run" not in html and "expect=" not in html, "fence options leaked into the page"


def test_the_index_lists_every_guide_by_section(client, db):
    response = client.get("/docs/")

    html = response.content.decode()
    for guide in GUIDES:
        assert f'href="/docs/{guide.slug}/"' in html
    for section in ("Start here", "Set up your tool", "SDKs and libraries", "Help"):
        assert f"<h2>{section}</h2>" in html


def test_a_guide_is_found_by_its_file_name_too(client, db):
    response = client.get("/docs/01-getting-started/")

    assert response.status_code == 200
    assert b'rel="canonical" href="/docs/getting-started/"' in response.content


def test_unknown_guides_are_404_and_posts_405(client, db):
    assert client.get("/docs/no-such-guide/").status_code == 404
    assert client.post("/docs/getting-started/").status_code == 405


def test_docs_readme_is_not_a_page(client, db):
    assert library.find_guide("README") is None
    assert client.get("/docs/README/").status_code == 404


def test_links_between_guides_resolve_to_pages_and_anchors(client, db):
    pages = {g.slug: client.get(f"/docs/{g.slug}/").content.decode() for g in GUIDES}
    problems = []
    for slug, html in pages.items():
        for href in re.findall(r'href="(/docs/[^"]*)"', html):
            path, _, anchor = href.partition("#")
            target = path.strip("/").removeprefix("docs").strip("/")
            if target and target not in pages:
                problems.append(f"{slug}: {href} is not a guide")
            elif anchor and f'id="{anchor}"' not in pages.get(target, html):
                problems.append(f"{slug}: {href} has no such section")
        problems += [f"{slug}: unresolved {m}" for m in re.findall(r'href="[^"]*\.md[^"]*"', html)]
    assert not problems, "\n".join(problems)


def test_links_to_site_pages_point_at_existing_pages():
    problems = []
    pattern = re.compile(re.escape(placeholders.BASE_URL) + r"(/[\w/.-]*)?\)")
    for guide in GUIDES:
        for path in pattern.findall(guide.path.read_text(encoding="utf-8")):
            if path.startswith("/v1"):
                continue
            try:
                resolve(urlsplit(path or "/").path)
            except Resolver404:
                problems.append(f"{guide.path.name}: {path} is no page of the site")
    assert not problems, "\n".join(problems)


@override_settings(PUBLIC_BASE_URL="https://gw.example.net")
def test_stand_ins_are_filled_with_this_deployments_values(client, demo_catalog):
    html = client.get("/docs/getting-started/").content.decode()

    assert "https://gw.example.net/v1/chat/completions" in html
    assert '"model": "demo"' in html.replace("&quot;", '"')
    for stand_in in STAND_INS:
        assert stand_in not in html
    # A visitor has no token: the key stays a stand-in.
    assert placeholders.API_KEY in html


@override_settings(PUBLIC_BASE_URL="", ALLOWED_HOSTS=["docs.test"])
def test_without_a_public_base_url_the_request_host_is_used(client, db):
    html = client.get("/docs/base-url-and-keys/", HTTP_HOST="docs.test").content.decode()

    assert "http://docs.test/v1" in html
    assert placeholders.BASE_URL not in html


def test_embedding_examples_use_an_embedding_model(client, demo_catalog):
    html = client.get("/docs/api-reference/").content.decode().replace("&quot;", '"')

    assert '"model": "demo-embedding"' in html


def test_a_signed_in_user_sees_their_token_prefix_never_the_key(client, alice, account_a):
    _, key = make_token(account_a, alice, "laptop")

    html = login(client, alice).get("/docs/getting-started/").content.decode()

    assert f'TOLLGATE_API_KEY="{display_prefix(key)}..."' in html.replace("&quot;", '"')
    assert key not in html
    assert "laptop" in html


def test_the_newest_usable_token_is_shown_preferring_the_readers_own(client, alice, bob, account_a):
    now = timezone.now()
    _, own = make_token(account_a, bob, "bob's")
    _, newer = make_token(account_a, alice, "alice's")
    _, expired = make_token(account_a, bob, "expired", expires_at=now - timedelta(days=1))
    _, revoked = make_token(account_a, bob, "revoked", revoked_at=now - timedelta(days=1))

    html = login(client, bob, account_a).get("/docs/getting-started/").content.decode()

    assert display_prefix(own) in html
    for other in (newer, expired, revoked):
        assert display_prefix(other) not in html
    html = login(client, alice).get("/docs/getting-started/").content.decode()
    assert display_prefix(newer) in html


def test_another_accounts_token_is_never_shown(client, alice, account_a, charlie):
    _, key = make_token(account_a, alice, "alice's")

    html = login(client, charlie).get("/docs/getting-started/").content.decode()

    assert display_prefix(key) not in html
    assert placeholders.API_KEY in html
    assert 'href="/tokens/"' in html


def test_a_signed_in_user_sees_a_model_granted_to_their_account(client, alice, account_a):
    from proxy.catalog_file import load

    load(
        {
            "providers": [{"name": "demo", "kind": "demo"}],
            "models": [
                {
                    "id": "private-model",
                    "public": False,
                    "prices": {"input": 1, "output": 1},
                    "routes": [{"provider": "demo"}],
                }
            ],
        },
        {},
    )
    account_a.granted_models.add(*account_a.granted_models.model.objects.all())

    anonymous = client.get("/docs/getting-started/").content.decode()
    signed_in = login(client, alice).get("/docs/getting-started/").content.decode()

    assert "private-model" not in anonymous
    assert "private-model" in signed_in
