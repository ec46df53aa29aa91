"""The Google backend (gspread's HTTP client, requests, google-auth) against the fake: costs, faults."""

import json

import pytest

from spoolsheet.errors import (
    BackendError,
    ConfigurationError,
    SheetNotFound,
    TransientBackendError,
    UsageError,
    WorkbookNotFound,
)
from spoolsheet.settings import Settings
from spoolsheet.testing import IN_PROCESS_BASE as FAKE_ENDPOINT
from spoolsheet.testing import fake_settings, open_fake
from spoolsheet.values import Formula
from spoolsheet.workbook import ChangeSet, open_workbook
from spoolsheet.workbook.retry import FAST_RETRY, AmbiguousWriteError, RetryPolicy


def kronos(fake_google, sid: str):
    """A small spreadsheet on the fake: Operaciones with two spools, Metadata's header."""
    wb = open_fake(fake_google, fake_google.create_spreadsheet("Kronos", spreadsheet_id=sid))
    wb.apply(ChangeSet()
             .add_sheet("Operaciones", rows=50, cols=5)
             .add_sheet("Metadata", rows=10, cols=3)
             .set_block("Operaciones", 1, 1, [["NV", "TAG_SPOOL / CODIGO_BARRA", "Armador"],
                                              [1, "MK-1", "MR(93)"], [2, "MK-2", None]])
             .set_row("Metadata", 1, 1, ["id", "evento_tipo"])
             .delete_sheet("Sheet1"))
    return wb


@pytest.fixture
def book(fake_google):
    wb = kronos(fake_google, "kronos")
    fake_google.reset_log()
    wb.stats.reads = wb.stats.writes = 0
    return wb


def test_reading_every_sheet_is_one_request(book, fake_google):
    sheets = book.read()
    assert list(sheets) == ["Operaciones", "Metadata"]
    assert sheets["Operaciones"].rows == [["NV", "TAG_SPOOL / CODIGO_BARRA", "Armador"],
                                          [1, "MK-1", "MR(93)"], [2, "MK-2"]]
    assert sheets["Operaciones"].info.rows == 50
    assert fake_google.count(kind="read") == 1 and book.stats.reads == 1


def test_sheet_list_is_fetched_once_and_kept_current(fake_google):
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="k2")
    wb = open_fake(fake_google, "k2")
    assert wb.sheet_titles() == ["Sheet1"]
    wb.apply(ChangeSet().add_sheet("Nueva", rows=5, cols=5).resize("Sheet1", rows=2000))
    assert wb.sheet_titles() == ["Sheet1", "Nueva"]
    assert {s.title: s.rows for s in wb.sheets()}["Sheet1"] == 2000
    assert fake_google.count(kind="read") == 1 and fake_google.count(kind="write") == 1


def test_change_across_sheets_is_one_atomic_write(book, fake_google):
    book.apply(ChangeSet()
               .put("Operaciones", 3, 3, "=IMPORTXML(\"http://evil\")")
               .put("Operaciones", 2, 4, Formula("=A2*2"))
               .put("Operaciones", 80, 7, "past the grid")
               .append_rows("Metadata", [["e1", "TOMAR_SPOOL"]]))
    assert fake_google.count(kind="write") == 1
    ops = book.read_sheet("Operaciones")
    assert ops.cell(3, 3) == "=IMPORTXML(\"http://evil\")" and not isinstance(ops.cell(3, 3), Formula)
    assert ops.cell(2, 4) == Formula("=A2*2")
    assert ops.cell(80, 7) == "past the grid" and (ops.info.rows, ops.info.cols) == (80, 7)
    assert book.read_sheet("Metadata").rows[-1] == ["e1", "TOMAR_SPOOL"]


def test_a_rejected_batch_changes_nothing(book, fake_google):
    before = fake_google.values("kronos", "Operaciones")
    stale = open_fake(fake_google, "kronos")
    stale.sheets()
    book.apply(ChangeSet().add_sheet("Tmp"))           # the stale copy does not know of "Tmp"
    with pytest.raises(BackendError) as err:
        stale.apply(ChangeSet().put("Operaciones", 2, 3, "XX(1)").add_sheet("Tmp"))
    assert err.value.status == 400
    assert fake_google.values("kronos", "Operaciones") == before


def test_unknown_sheet_is_refused_before_any_request(book, fake_google):
    book.sheets()
    with pytest.raises(SheetNotFound, match="Nope"):
        book.apply(ChangeSet().put("Nope", 1, 1, "x"))
    assert fake_google.count(kind="write") == 0


def test_unknown_spreadsheet_is_not_found(fake_google):
    with pytest.raises(WorkbookNotFound, match="no-such-id"):
        open_fake(fake_google, "no-such-id").sheets()


def test_429_storm_is_ridden_out(book, fake_google):
    fake_google.inject(kind="read", nth=1, fault="429", times=4)
    assert book.read_sheet("Operaciones").cell(2, 2) == "MK-1"
    assert [e.status for e in fake_google.log if e.kind == "read"] == [429, 429, 429, 429, 200]
    assert book.stats.retries == 4


def test_retry_budget_is_finite(book, fake_google):
    fake_google.inject(kind="read", nth=1, fault="503", times=50)
    book.backend.http.retry = RetryPolicy(max_attempts=3, initial_wait=0.001, max_wait=0.002,
                                          jitter=0.001)
    with pytest.raises(TransientBackendError, match="503"):
        book.read_sheet("Operaciones")
    assert fake_google.count(kind="read") == 3


def test_client_errors_are_never_retried(book, fake_google):
    fresh = open_fake(fake_google, "kronos")  # no sheet list cached: the 400 comes from Google
    with pytest.raises(SheetNotFound, match="No existe"):
        fresh.read(["No existe"])
    assert [e.status for e in fake_google.log] == [400] and fresh.stats.retries == 0


def test_idempotent_write_is_retried_after_a_500(book, fake_google):
    fake_google.inject(kind="write", nth=1, fault="500")
    book.apply(ChangeSet().put("Operaciones", 2, 3, "JP(12)"))
    assert [e.status for e in fake_google.log if e.kind == "write"] == [500, 200]
    assert book.read_sheet("Operaciones").cell(2, 3) == "JP(12)"


def test_append_is_not_repeated_blindly(book, fake_google):
    fake_google.inject(kind="write", nth=1, fault="500")
    with pytest.raises(AmbiguousWriteError, match="may have been applied"):
        book.apply(ChangeSet().append_rows("Metadata", [["e1", "TOMAR_SPOOL"]]))
    assert fake_google.count(kind="write") == 1
    assert book.read_sheet("Metadata").rows == [["id", "evento_tipo"]]


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
def test_a_cell_write_whose_answer_was_lost_is_repeated_harmlessly(book, fake_google, fault):
    fake_google.inject(kind="write", nth=1, fault=fault)
    book.apply(ChangeSet().put("Operaciones", 2, 3, "JP(12)").resize("Operaciones", rows=60))
    assert [e.fault for e in fake_google.log if e.kind == "write"] == [fault, None]
    assert book.read_sheet("Operaciones").cell(2, 3) == "JP(12)"
    assert book.read_sheet("Operaciones").info.rows == 60


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
@pytest.mark.parametrize("change", [
    ChangeSet().append_rows("Metadata", [["e1", "TOMAR_SPOOL"]]),
    ChangeSet().insert_columns("Operaciones", 2),
    ChangeSet().delete_columns("Operaciones", 2),
    ChangeSet().add_sheet("Nueva", rows=5, cols=5),
    ChangeSet().delete_sheet("Metadata"),
    ChangeSet().resize("Operaciones", rows=10),
], ids=["append", "insert column", "delete column", "add sheet", "delete sheet", "shrink"])
def test_a_write_that_landed_once_is_never_sent_again(book, fake_google, fault, change):
    """Repeating any of these after it landed would apply it twice or fail with a 400 that
    says it did not: the caller must be told it is ambiguous, and find out."""
    book.sheets()
    fake_google.inject(kind="write", nth=1, fault=fault)
    with pytest.raises(AmbiguousWriteError, match="may have been applied"):
        book.apply(change)
    assert fake_google.count(kind="write") == 1


@pytest.mark.slow
def test_hang_hits_the_timeout_and_is_retried(fake_google):
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="wire")
    fake_google.hang_seconds = 3
    with fake_google.serve() as server:
        settings = Settings(sheet_id="wire", google_endpoint=server.base_url, google_timeout=0.5,
                            workbook=None)
        wb = open_workbook(settings, retry=FAST_RETRY)
        fake_google.inject(kind="read", nth=1, fault="hang")
        assert wb.sheet_titles() == ["Sheet1"]
        assert wb.stats.retries == 1


@pytest.mark.slow
def test_connection_reset_is_retried_over_the_wire(fake_google):
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="wire")
    with fake_google.serve() as server:
        wb = open_workbook(Settings(sheet_id="wire", google_endpoint=server.base_url,
                                    workbook=None), retry=FAST_RETRY)
        fake_google.inject(kind="read", nth=1, fault="reset")
        assert wb.sheet_titles() == ["Sheet1"]
        assert wb.stats.retries == 1


def _service_account(tmp_path, token_uri):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "shop", "private_key_id": "k1",
            "private_key": pem, "client_email": "spoolsheet@shop.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": token_uri}
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info))
    return path, pem


def test_service_account_key_authenticates_against_the_fake(tmp_path, fake_google):
    fake_google.create_spreadsheet("Kronos", spreadsheet_id="auth")
    key_path, _ = _service_account(tmp_path, f"{FAKE_ENDPOINT}/token")
    wb = open_workbook(fake_settings("auth", credentials_file=key_path),
                       transport=fake_google.adapter(), retry=FAST_RETRY)
    assert wb.sheet_titles() == ["Sheet1"]
    assert [e.kind for e in fake_google.log][:1] == ["token"]


def test_credentials_never_show_in_errors_or_settings(tmp_path, fake_google):
    key_path, pem = _service_account(tmp_path, f"{FAKE_ENDPOINT}/token")
    secret = json.loads(key_path.read_text())
    settings = Settings(sheet_id="x", credentials_json=json.dumps(secret), workbook=None)
    assert "PRIVATE KEY" not in repr(settings) and "PRIVATE KEY" not in str(settings.model_dump())
    broken = dict(secret, type="user")
    with pytest.raises(ConfigurationError) as err:
        Settings(sheet_id="x", credentials_json=json.dumps(broken), workbook=None).service_account_info()
    assert "PRIVATE KEY" not in str(err.value) and pem[40:80] not in str(err.value)


def test_missing_credentials_for_real_google(monkeypatch):
    for var in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS_JSON",
                "SPOOLSHEET_GOOGLE_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigurationError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        open_workbook(Settings(sheet_id="abc", workbook=None, _env_file=None))


def test_cheap_read_gives_computed_values_in_one_request(book, fake_google):
    book.apply(ChangeSet().put("Operaciones", 2, 4, Formula("=1+1")))
    fake_google.reset_log()
    sheets = book.read(["Operaciones", "Metadata"], formulas=False)
    assert sheets["Operaciones"].cell(2, 4) == 2 and sheets["Operaciones"].cell(2, 2) == "MK-1"
    assert sheets["Metadata"].rows == [["id", "evento_tipo"]]
    assert fake_google.count(kind="read") == 1


def test_a_change_too_large_for_one_request(book, fake_google):
    book.backend.max_request_bytes = 20_000
    rows = [[f"MK-{r}", "x" * 40] for r in range(2, 1200)]
    with pytest.raises(UsageError, match="cannot be one atomic write"):
        book.apply(ChangeSet().set_block("Operaciones", 2, 2, rows))
    assert fake_google.count(kind="write") == 0
    book.apply(ChangeSet().set_block("Operaciones", 2, 2, rows), atomic=False)
    assert fake_google.count(kind="write") > 1
    assert book.read_sheet("Operaciones").cell(1199, 3) == "x" * 40


def test_a_change_split_in_parts_structure_and_headers_first(book, fake_google):
    """``split``: each part one request under the limit, the first with every column move, grid
    change, number format and header row; written in order they do what one write does."""
    import datetime as dt

    book.backend.max_request_bytes = 20_000
    rows = [[f"MK-{r}", "x" * 40, dt.date(2026, 3, 1 + r % 28)] for r in range(2, 1200)]
    change = (ChangeSet().insert_columns("Operaciones", 2).resize("Operaciones", rows=1200)
              .set_block("Operaciones", 1, 2, [["Nuevo", "Texto", "Fecha"], *rows])
              .set_number_format("Operaciones", "yyyy-mm-dd", row=2, col=4, last_col=4)
              .append_rows("Metadata", [[1, "SPLIT"]]))
    parts = book.split(change)

    assert len(parts) >= 3
    first, *rest = parts
    assert first.column_moves == change.column_moves and first.resizes == change.resizes
    assert any(b.row == 1 and b.rows == (("Nuevo", "Texto", "Fecha"),) for b in first.blocks)
    assert all(b.row > 1 for p in rest for b in p.blocks)
    assert not any(p.column_moves or p.resizes for p in rest) and rest[-1].appends
    assert [len(p.appends) for p in parts] == [0] * (len(parts) - 1) + [1]
    fake_google.reset_log()
    for part in parts:
        book.apply(part)  # atomic: each fits in one request
    writes = [e for e in fake_google.log if e.kind == "write"]
    assert len(writes) == len(parts) and all(e.request_bytes <= 20_000 for e in writes)

    one = kronos(fake_google, "one")  # the same change in one write
    one.apply(change)
    split, formats = book.backend.read_with_formats()
    whole, whole_formats = one.backend.read_with_formats()
    assert {t: s.rows for t, s in split.items()} == {t: s.rows for t, s in whole.items()}
    assert formats == whole_formats  # the number format asked for wins over the dates' own
    one.close()


def test_a_change_that_fits_is_not_split(book):
    change = ChangeSet().set_block("Operaciones", 2, 2, [["MK-9"]])
    assert book.split(change) == [change]


def test_dates_are_real_dates_shown_the_shop_way(book, fake_google):
    import datetime as dt
    book.apply(ChangeSet().set_block("Operaciones", 2, 4, [[dt.date(2026, 3, 5)], [dt.date(2026, 3, 6)]]))
    assert book.read_sheet("Operaciones").cell(2, 4) == 46086
    writes = [e for e in fake_google.log if e.kind == "write"]
    assert len(writes) == 1
