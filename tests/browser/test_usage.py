from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_user
from tests.usage.conftest import make_record
from usage import rollups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chart_points(page) -> list[int]:
    return page.evaluate(
        "() => Chart.getChart(document.getElementById('usage-chart')).data.datasets[0].data"
    )


def test_chart_renders_filters_change_it_and_the_log_finds_a_request(page, live_server):
    user = make_user("dana@example.com")
    account = user.personal_account
    now = datetime.now(UTC)
    for n in range(3):
        make_record(account, model="gpt-a", at=now - timedelta(days=n), request_id=f"req_a{n}")
    make_record(account, model="gpt-b", at=now - timedelta(days=1), request_id="req_wanted")
    rollups.roll_up()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "dana@example.com", PASSWORD)

    page.click("nav >> text=Usage")
    page.wait_for_url("**/usage/")
    canvas = page.locator("canvas#usage-chart")
    canvas.wait_for(state="visible")
    assert canvas.bounding_box()["height"] > 100
    assert sum(chart_points(page)) == 4
    assert not page.locator("details.chart-table").evaluate("d => d.open")

    page.get_by_role("button", name="Spend").click()
    assert sum(chart_points(page)) == 4 * 1_500

    page.select_option("select[name=model]", "gpt-b")
    page.click("form[data-testid=usage-filters] button[type=submit]")
    page.wait_for_url("**model=gpt-b**")
    canvas.wait_for(state="visible")
    assert sum(chart_points(page)) == 1
    assert page.get_by_test_id("total-requests").inner_text() == "1"

    page.click("text=Request log")
    page.fill("input[name=q]", "req_wanted")
    page.click("form[data-testid=log-filters] button[type=submit]")
    page.wait_for_url("**q=req_wanted**")
    rows = page.locator("[data-testid=request-log] tbody tr")
    assert rows.count() == 1
    rows.get_by_text("req_wanted").click()
    page.wait_for_url("**/usage/requests/req_wanted/")
    assert page.get_by_test_id("cost").inner_text() == "$0.001500"
    assert errors == []


def test_without_javascript_the_table_stands_in_for_the_chart(browser, live_server):
    user = make_user("erin@example.com")
    make_record(user.personal_account, model="gpt-a", cost_micros=2_000_000)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "erin@example.com", PASSWORD)

    page.goto("/usage/")

    assert not page.locator("canvas#usage-chart").is_visible()
    assert not page.locator(".metric-switch").is_visible()
    table = page.locator("table[data-table=series]")
    assert table.is_visible()
    assert "$2.00" in table.locator("tfoot").inner_text()
    context.close()


def test_a_new_account_copies_the_base_url_from_the_dashboard(page, live_server):
    make_user("finn@example.com")
    log_in(page, "finn@example.com", PASSWORD)

    box = page.get_by_test_id("get-started")
    box.locator("button[data-copy=base-url]").click()

    page.wait_for_selector("button[data-copy=base-url] >> text=Copied")
    assert page.evaluate("navigator.clipboard.readText()").endswith("/v1")
