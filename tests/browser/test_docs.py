import pytest
from playwright.sync_api import expect

from proxy.catalog_file import DEMO_CATALOG, load
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_user
from tokens.keys import display_prefix, generate_key, hash_key
from tokens.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guide_shows_this_servers_values_and_copies_a_snippet(page, live_server, settings):
    settings.PUBLIC_BASE_URL = ""  # the docs then use the address the page was requested at
    load(DEMO_CATALOG, {})
    user = make_user("erin@example.com")
    key = generate_key()
    ApiToken.objects.create(
        account=user.personal_account,
        name="Laptop",
        prefix=display_prefix(key),
        secret_hash=hash_key(key),
        created_by=user,
    )
    log_in(page, "erin@example.com", PASSWORD)

    page.goto("/docs/getting-started/")
    guide = page.get_by_test_id("guide")
    snippet = guide.locator("pre").filter(has_text="/v1/models").first
    expected = (
        f'curl {live_server.url}/v1/models \\\n  -H "Authorization: Bearer $TOLLGATE_API_KEY"'
    )
    assert snippet.inner_text().strip() == expected
    assert f'TOLLGATE_API_KEY="{display_prefix(key)}..."' in guide.inner_text()
    assert key not in page.content()

    button = snippet.locator("xpath=..").get_by_role("button", name="Copy this code")
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == expected

    page.get_by_role("navigation", name="On this page").get_by_text("Send a first request").click()
    assert page.url.endswith("#4-send-a-first-request")
