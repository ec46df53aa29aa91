"""The service runs the same drift check as ``migrate check`` when it loads its directory: on a
drifted sheet a TOMAR is refused with 503 ``drift`` (nothing written) and /healthz says why;
fixed by hand, the next call works (the real app on real uvicorn, both backends)."""

from __future__ import annotations

from served import TOKENS, serve, settings

from spoolsheet.schema import OPERACIONES, ColumnMap
from spoolsheet.service import create_app
from spoolsheet.service.auth import Tokens
from spoolsheet.workbook.changes import ChangeSet


def rename(wb, name: str, new: str) -> None:
    col = ColumnMap.from_row(OPERACIONES, wb.read([OPERACIONES])[OPERACIONES].row(1)).index(name)
    wb.apply(ChangeSet().put(OPERACIONES, 1, col, new))


def test_a_drifted_sheet_refuses_tomar_with_503_drift_and_healthz_shows_it(opener):
    with opener() as wb:
        rename(wb, "Ocupado_Por", "Ocupado")
    app = create_app(settings(), open_wb=opener, tokens=Tokens.parse(TOKENS, "test tokens"))
    with serve(app, opener) as served:
        health = served.client.get("/healthz").json()
        assert health["status"] == "degraded" and health["problem"] is None
        assert health["drift"] == ["v3_0_occupation: sheet 'Operaciones': column 'Ocupado_Por' is "
                                   "missing; sheet 'Operaciones': column 'Fecha_Ocupacion' stands "
                                   "at BM (65), but v3.0 puts it at BN (66), right after the last "
                                   "column 'Ocupado'; move or remove it by hand, then run again"]
        rename(served.wb, "Ocupado", "Ocupado_Por")  # to find a spool and a worker as usual
        a, tag = served.qualified("Armador")[0], served.fresh_spool().tag
        rename(served.wb, "Ocupado_Por", "Ocupado")
        before = served.state()
        refused = served.post(tag, "tomar", worker=a.id, op="ARM")
        assert refused.status_code == 503, refused.text
        body = refused.json()
        assert body["error"] == "drift" and "column 'Ocupado_Por' is missing" in body["message"]
        assert "spoolsheet migrate check" in body["message"] and "\n" not in body["message"]
        assert served.state() == before

        rename(served.wb, "Ocupado", "Ocupado_Por")  # fixed by hand: checked again, it runs
        done = served.post(tag, "tomar", worker=a.id, op="ARM")
        assert done.status_code == 200, done.text
        health = served.client.get("/healthz").json()
        assert health["status"] == "ok" and health["drift"] is None
