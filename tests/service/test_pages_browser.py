"""The board and the tablet page in a real browser: the distribution's headless Chromium driven by
Playwright, against the real service on real uvicorn, on both backends (Google through the fake).

The browser does what a person does: opens the page, types the token once, scans a TAG, picks a
worker, presses TOMAR; the board in another tab shows the change without a reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import SECRET, Served  # tests/service/served.py

from spoolsheet.occupation import OccupationService
from spoolsheet.schema import OPERACIONES
from spoolsheet.workbook import ChangeSet

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TABLET = {"width": 1280, "height": 800}  # a 10-inch tablet in landscape

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (CI installs it: .ci/run)"),
]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser) -> Iterator[object]:
    """A fresh browser profile (empty localStorage) sized like the shop's tablets."""
    ctx = browser.new_context(viewport=TABLET)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def give_token(page) -> None:
    """The first data request of a fresh profile is refused (401): the page asks once."""
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.get_by_label(re.compile("^Token")).fill(SECRET)
    page.get_by_role("button", name="Save token").click()
    expect(dialog).to_be_hidden()


def test_take_on_tablet_shows_on_board_without_reload_then_refusal(served: Served, context) -> None:
    spool = served.fresh_spool()
    first, second = served.qualified("Armador")[:2]
    board = context.new_page()
    board.goto(served.base_url + "/")
    give_token(board)
    expect(board.get_by_role("heading", name=re.compile("Occupied now"))).to_contain_text("0")
    board.evaluate("window.notReloaded = true")

    tablet = context.new_page()  # same profile: the token is already there
    tablet.goto(served.base_url + "/tablet")
    expect(tablet.get_by_role("dialog")).to_be_hidden()
    tablet.get_by_label(re.compile("Spool TAG")).fill(spool.tag)
    tablet.get_by_label(re.compile("Spool TAG")).press("Enter")  # a scanner's Enter: look up only
    expect(tablet.locator("#spool")).to_contain_text("Free")
    expect(tablet.get_by_label("Worker")).to_be_focused()
    tablet.get_by_label("Worker").select_option(str(first.id))
    tablet.get_by_role("radio", name="ARM").check()
    tablet.get_by_role("button", name="TOMAR").click()
    message = tablet.get_by_role("status").filter(has_text=spool.tag)
    expect(message).to_contain_text(f"Done: TOMAR ARM {spool.tag} by {first.ref}")
    expect(tablet.locator("#spool")).to_contain_text(f"Held by {first.ref}")

    row = board.locator("table.occupied tr", has_text=spool.tag)
    expect(row).to_contain_text(str(first.ref), timeout=15_000)
    expect(row).to_contain_text("ARM")
    assert board.evaluate("window.notReloaded") is True
    assert served.look().get(spool.tag).holder == first.ref

    tablet.get_by_label("Worker").select_option(str(second.id))
    tablet.get_by_role("button", name="TOMAR").click()
    refused = served.post(spool.tag, "tomar", worker=second.id, op="ARM").json()["message"]
    expect(tablet.locator("#message.refused")).to_have_text(refused)
    assert f"occupied by {first.ref}" in refused
    assert served.look().get(spool.tag).holder == first.ref
    assert len([e for e in served.events(spool.tag) if e.evento_tipo == "TOMAR_SPOOL"]) == 1


def test_sheet_text_shows_literally_and_search_finds_it(served: Served, context) -> None:
    spool = served.fresh_spool()
    hostile = "<script>window.pwned=1</script>[/x]"
    col = OccupationService(served.wb).board().tag_column
    served.wb.apply(ChangeSet().put(OPERACIONES, spool.row, col, hostile))
    page = context.new_page()
    page.goto(served.base_url + "/?q=" + "%3Cscript")
    give_token(page)
    tag = page.locator("table.free th.tag", has_text="<script>")
    expect(tag.first).to_have_text(hostile)
    assert page.evaluate("window.pwned") is None
    expect(page.get_by_role("heading", name=re.compile("Occupied now"))).to_contain_text("0")
    search = page.get_by_role("searchbox", name="Search by TAG")
    expect(search).to_have_value("<script")
    search.fill("no-such-tag-anywhere")
    expect(page.locator("#board")).to_contain_text("None with “no-such-tag-anywhere” in its TAG")
    assert page.evaluate("window.pwned") is None


def test_tablet_by_keyboard_alone_takes_pauses_and_completes(served: Served, context) -> None:
    spool = served.fresh_spool()
    worker = served.qualified("Armador")[0]
    context.add_init_script(f"localStorage.setItem('spoolsheet.token', {SECRET!r})")  # kept
    page = context.new_page()
    page.goto(served.base_url + "/tablet")
    expect(page.get_by_role("combobox", name="Worker")).to_contain_text(worker.name)
    tag = page.get_by_role("textbox", name=re.compile("Spool TAG"))
    expect(tag).to_be_focused()  # the scanner types into it at once
    page.keyboard.type(spool.tag)  # keystrokes, as a scanner sends them, ending with Enter
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Worker")).to_be_focused()
    page.get_by_role("combobox", name="Worker").select_option(str(worker.id))
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.value"))
    assert order == ["ARM", "tomar", "pausar", "completar"]  # the focus order a worker follows
    message = page.get_by_role("status").filter(has_text=spool.tag)
    for key, button, said in (("Enter", "tomar", "Done: TOMAR ARM"), (" ", "pausar", "Done: PAUSAR"),
                              ("Enter", "tomar", "Done: TOMAR ARM"),
                              (" ", "completar", "Done: COMPLETAR ARM")):
        expect(page.locator(f"button[value={button}]")).to_be_enabled()  # between two answers
        page.locator(f"button[value={button}]").focus()
        page.keyboard.press(key)
        expect(message).to_contain_text(said)
        expect(tag).to_be_focused()  # ready for the next scan
    expect(page.locator("#spool")).to_contain_text("Free")
    expect(page.locator("#spool")).to_contain_text("done")
    after = served.look().get(spool.tag)
    assert after.free and after.fecha_armado is not None and after.version == spool.version + 4
    expect(page.locator("button[value=pausar]")).to_be_enabled()
    page.locator("button[value=pausar]").focus()
    page.keyboard.press("Enter")  # nobody holds it now: the API's refusal, word for word
    expect(page.locator("#message.refused")).to_contain_text(f"{worker.ref} does not hold it")
