import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import login
from tests.usage.conftest import make_record, roll_up_everything

COLUMNS = [
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
]


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def page_table(page: str, name: str) -> list[list[str]]:
    """The cells of one usage table of the page, header first, as text."""
    html = page.split(f'data-table="{name}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


@pytest.fixture
def usage(account_a, alice_token):
    now = datetime.now(UTC)
    make_record(
        account_a, token=alice_token, model="gpt-a", cost_micros=1_234_567, input_tokens=1000
    )
    make_record(
        account_a, model="gpt-b", cost_micros=3, status_code=429, at=now - timedelta(days=2)
    )
    roll_up_everything()
    make_record(account_a, token=alice_token, model="gpt-a", cost_micros=10, reasoning_tokens=7)


@pytest.mark.parametrize("table", ["series", "models", "tokens"])
def test_csv_columns_and_totals_match_the_page(client, alice, usage, table):
    client = login(client, alice)
    page = client.get("/usage/").content.decode()
    link = re.search(rf'href="(/usage/export\.csv\?[^"]*table={table})"', page).group(1)

    rows = read_csv(client.get(link.replace("&amp;", "&")))

    shown = page_table(page, table)
    assert rows[0][1:] == COLUMNS
    assert len(rows) == len(shown)  # header, one line per row, total
    assert [r[0] for r in rows[1:]] == [r[0] for r in shown[1:]]
    for line, cells in zip(rows[1:], shown[1:], strict=True):
        assert [int(v) for v in line[1:7]] == [int(c.replace(",", "")) for c in cells[1:7]]
    total = rows[-1]
    assert total[0] == "Total"
    assert sum(Decimal(r[7]) for r in rows[1:-1]) == Decimal(total[7]) == Decimal("1.234580")
    assert sum(int(r[1]) for r in rows[1:-1]) == int(total[1]) == 3


def test_export_follows_the_filters(client, alice, usage, alice_token):
    rows = read_csv(
        login(client, alice).get("/usage/export.csv", {"table": "models", "token": alice_token.id})
    )

    assert [r[0] for r in rows] == ["model", "gpt-a", "Total"]
    assert rows[-1][7] == "1.234577"


def test_team_access_works(client, bob, account_a, usage):
    rows = read_csv(login(client, bob, account_a).get("/usage/export.csv", {"table": "models"}))

    assert rows[-1][7] == "1.234580"


def test_it_checks_the_account(client, charlie, usage):
    rows = read_csv(login(client, charlie).get("/usage/export.csv", {"table": "models"}))

    assert rows == [["model", *COLUMNS], ["Total", "0", "0", "0", "0", "0", "0", "0.000000"]]


def test_invalid_filters_are_400(client, alice, account_a):
    response = login(client, alice).get("/usage/export.csv", {"first": "nope"})

    assert response.status_code == 400


def test_an_unknown_table_is_404(client, alice, account_a):
    assert login(client, alice).get("/usage/export.csv", {"table": "x"}).status_code == 404


def test_it_rejects_post(client, alice):
    assert login(client, alice).post("/usage/export.csv").status_code == 405


def test_cells_that_look_like_formulas_are_quoted(client, alice, account_a):
    make_record(account_a, model="=HYPERLINK(1)")

    rows = read_csv(login(client, alice).get("/usage/export.csv", {"table": "models"}))

    assert rows[1][0] == "'=HYPERLINK(1)"
