import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "erin@example.com"
PASSWORD = "a long passphrase 9"


def test_sign_up_confirm_log_in_see_dashboard_log_out(page, live_server):
    page.goto("/")
    page.click("text=Create an account")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    assert "Verify Your Email Address" in page.content()

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.click("form button[type=submit]")  # "Confirm"
    page.wait_for_url("**/accounts/login/")

    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert page.get_by_test_id("balance").inner_text() == "$0.00"
    assert EMAIL in page.inner_text("header")

    page.click("header form button:has-text('Log out')")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.is_visible("header >> text=Log in")
