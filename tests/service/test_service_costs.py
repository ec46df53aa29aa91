"""What a state change through the service costs on Google, on the 2,500-spool sample (issue 10):
at most 1 read and 1 write request of its own, at most 100 KB downloaded (the fake's request log
and the bytes on the service's own transport)."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient
from requests.adapters import BaseAdapter
from served import SECRET, TOKENS, settings

from spoolsheet import migrations
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.schema import METADATA, OCUPADO_POR, OPERACIONES
from spoolsheet.service import create_app
from spoolsheet.service.auth import Tokens
from spoolsheet.settings import Settings
from spoolsheet.testing import fake_settings
from spoolsheet.workbook import ChangeSet, open_workbook
from spoolsheet.workbook.retry import FAST_RETRY


class Counting(BaseAdapter):
    """The fake's adapter, counting the bytes of every answer."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self.inner, self.received = inner, 0

    def send(self, request, **kwargs):  # type: ignore[override]
        response = self.inner.send(request, **kwargs)
        self.received += len(response.content)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.mark.slow
def test_a_state_change_costs_one_read_one_write_and_under_100_kb(sample_2500, tmp_path,
                                                                   fake_google):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_2500, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
        svc = OccupationService(wb)  # the same data, looked up cheaply in the file
        arm = [w.id for w in svc.workers() if w.activo and w.has_role("Armador")]
        tags = [s.tag for s in svc.spools() if s.free and s.materiales is not None
                and s.stage(Operation.ARM) is Stage.PENDING][:2]
    fake_google.load_xlsx(path, "big")
    counting = Counting(fake_google.adapter())

    def opened():
        return open_workbook(fake_settings("big"), transport=counting, retry=FAST_RETRY)

    app = create_app(settings(), open_wb=opened, tokens=Tokens.parse(TOKENS, "test"))
    with TestClient(app, headers={"Authorization": f"Bearer {SECRET}"}) as client:
        warm = client.post(f"/spools/{tags[0]}/tomar", json={"worker": arm[0], "op": "ARM"},
                           headers={"Idempotency-Key": "warm-up"})  # loads the log's keys once
        assert warm.status_code == 200, warm.text
        fake_google.reset_log()
        received = counting.received
        answer = client.post(f"/spools/{tags[1]}/tomar", json={"worker": arm[1], "op": "ARM"},
                             headers={"Idempotency-Key": "measured"})
        assert answer.status_code == 200, answer.text
        downloaded = counting.received - received
        assert (fake_google.count(kind="read"), fake_google.count(kind="write")) == (1, 1)
        reads = {}  # GET → (requests, bytes down): view_ttl 0, so each reads afresh
        for url in (f"/spools/{tags[1]}", f"/spools/{tags[1]}/history"):
            fake_google.reset_log()
            received = counting.received
            got = client.get(url)
            assert got.status_code == 200 and tags[1] in got.text, got.text
            reads[url] = (fake_google.count(kind="read"), counting.received - received)
    assert downloaded <= 100 * 1024, downloaded
    spool, history = reads.values()
    assert spool[0] == 1 and spool[1] <= 100 * 1024, spool  # the TAG column and the row
    assert history[0] == 1 and history[1] <= 100 * 1024 + metadata_bytes(path), (history, spool)


def metadata_bytes(path) -> int:
    """About what the Metadata log weighs as values (history reads it whole, and no more)."""
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        return len(json.dumps(wb.read_sheet(METADATA, formulas=False).rows, default=str))


def test_listings_read_only_the_columns_they_show(opener, backend_kind, fake_google):
    """Past the first whole read, a long-lived listing reads the header and the shown columns
    (one values:batchGet on Google), lists exactly what a whole read lists, and sees hand edits
    once ``view_ttl`` expired."""
    now = [0.0]
    with opener() as wb:
        svc = OccupationService(wb, view_ttl=5, clock=lambda: now[0])
        svc.spools()  # the first read is whole: it learns where the columns stand
        tag = svc.spools()[0].tag
        hand = OccupationService(wb)
        worker = next(w for w in hand.workers() if w.activo)
        wb.apply(ChangeSet().put(OPERACIONES, hand.get(tag).row, svc._layout.cols[OCUPADO_POR],
                                 str(worker.ref)))
        now[0] = 10.0
        fake_google.reset_log()
        listed = svc.spools()
        if backend_kind == "google":
            assert [e.path.rsplit("/", 1)[-1] for e in fake_google.log
                    if e.kind in ("read", "write")] == ["values:batchGet"]
        whole = hand.spools()

    def shown(spools):
        return [{k: v for k, v in s.as_dict().items() if k != "row_hash"} for s in spools]

    assert shown(listed) == shown(whole) and listed[0].holder == worker.ref
    assert all(s.row_hash is None for s in listed)


def test_one_spool_is_read_cheaply_even_when_workers_and_roles_expired(opener, backend_kind,
                                                                       fake_google):
    """``get`` past the first read: one request for the row, the TAG column and the header, with
    the expired workers and roles riding along; the board read whole at first is not read again."""
    now = [0.0]
    with opener() as wb:
        svc = OccupationService(wb, cache_ttl=60, clock=lambda: now[0])
        tag = svc.spools()[0].tag  # the first read is whole
        board = svc._board
        now[0] = 100.0  # the directory's cache expired
        fake_google.reset_log()
        got = svc.get(tag)
        if backend_kind == "google":
            assert [e.path.rsplit("/", 1)[-1] for e in fake_google.log
                    if e.kind in ("read", "write")] == ["values:batchGet"]
        assert svc._board is board and not svc.directory.stale()
        assert got == OccupationService(wb).get(tag)
