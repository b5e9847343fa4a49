import re

import pytest

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_user
from tokens.lookup import lookup_sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_see_once_copy_reload_revoke(page, live_server):
    make_user("dana@example.com")
    log_in(page, "dana@example.com", PASSWORD)

    page.click("nav >> text=Tokens")
    page.wait_for_url("**/tokens/")
    page.get_by_test_id("new-token").click()
    page.fill("input[name=name]", "Laptop")
    page.fill("input[name=rpm_limit]", "60")
    page.click("form.token-form button[type=submit]")

    key = page.get_by_test_id("new-key").inner_text()
    assert re.fullmatch(r"sk-tg-[A-Za-z0-9_-]{43}", key)
    assert "will not be shown again" in page.content()
    page.get_by_test_id("copy-key").click()
    page.wait_for_selector("text=Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert lookup_sync(key).rpm_limit == 60

    page.reload()
    assert page.url.endswith("/tokens/")
    assert key not in page.content()
    assert key[:14] in page.inner_text("table")

    page.get_by_test_id("token-row").get_by_text("Revoke").click()
    page.get_by_test_id("confirm-revoke").click()
    page.wait_for_url("**/tokens/")
    assert page.get_by_test_id("token-status").inner_text() == "Revoked"
    assert lookup_sync(key) is None
