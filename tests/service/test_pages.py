"""The pages over real HTTP without a browser: what needs a token, what a page carries."""

from __future__ import annotations

import httpx
from served import Served  # tests/service/served.py

READ_ONLY = "read-only-office-token-1"  # the office:read token of served.TOKENS


def test_pages_open_without_token_and_carry_no_data(served: Served) -> None:
    spool = served.fresh_spool()
    for path in ("/", "/tablet", f"/?q={spool.tag}"):
        page = httpx.get(served.base_url + path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        body = page.text.replace(f'value="{spool.tag}"', "")  # the search box echoes the query
        assert spool.tag not in body
        assert not any(w.name in body for w in served.qualified("Armador"))


def test_fragments_need_a_token_like_the_api(served: Served) -> None:
    spool = served.fresh_spool()
    for path in ("/pages/board", f"/pages/spool?tag={spool.tag}", "/pages/workers"):
        refused = httpx.get(served.base_url + path)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthenticated"
        wrong = httpx.get(served.base_url + path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        office = httpx.get(served.base_url + path, headers={"Authorization": f"Bearer {READ_ONLY}"})
        assert office.status_code == 200, path  # a read-only token is enough for a wall board
    assert spool.tag in served.client.get("/pages/board", params={"q": spool.tag}).text


def test_unknown_spool_and_static_file_are_one_json_line(served: Served) -> None:
    missing = served.client.get("/pages/spool", params={"tag": "NO-SUCH-TAG"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "spool NO-SUCH-TAG not found in Operaciones"
    assert served.client.get("/static/pages.js").status_code == 200
    for name in ("app.py", "..%2Fapp.py", "nope.js"):
        assert served.client.get(f"/static/{name}").status_code == 404
