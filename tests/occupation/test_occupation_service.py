"""OccupationService on both backends: a spool's whole life, every refusal, what it costs,
threads racing for one spool, and writes that fail."""

from __future__ import annotations

import errno
import os
import threading

import pytest
from shop import Shop

from spoolsheet import migrations
from spoolsheet.errors import BackendError, ConflictError, DataError, TransientBackendError
from spoolsheet.fingerprint import workbook_fingerprints
from spoolsheet.occupation import (
    MissingRole,
    NotHolder,
    NotMigrated,
    OccupationService,
    OperationDone,
    Outcome,
    PrerequisiteMissing,
    RowChanged,
    RowMoved,
    SpoolNotFound,
    SpoolOccupied,
    Stage,
    UnknownWorker,
    VersionConflict,
    WorkerInactive,
)
from spoolsheet.occupation.rules import Operation
from spoolsheet.schema import METADATA, OCUPADO_POR, OPERACIONES, ROLES, TAG_COLUMN, TRABAJADORES, VERSION
from spoolsheet.values import format_date, shop_today
from spoolsheet.workbook import ChangeSet, columns
from spoolsheet.workbook.retry import AmbiguousWriteError


def state(shop: Shop) -> dict[str, str]:
    """Fingerprints of everything an operation may touch: the spool rows and the log."""
    return workbook_fingerprints(shop.wb.read([OPERACIONES, METADATA]))


def hand_edit(shop: Shop, tag: str, name: str, value) -> None:
    """What the office does in the spreadsheet: one cell, by hand, outside the service."""
    ops = shop.wb.read_sheet(OPERACIONES)
    cmap = columns(ops)
    row = next(r for r in range(2, len(ops.rows) + 1) if ops.cell(r, cmap.index(TAG_COLUMN)) == tag)
    shop.wb.apply(ChangeSet().put(OPERACIONES, row, cmap.index(name), value))


# --- the life of a spool ---------------------------------------------------------------------

def test_full_life_of_a_spool(shop):
    a, b = shop.qualified("Armador")[:2]
    s = next(w for w in shop.qualified("Soldador") if w.id not in (a.id, b.id))
    spool = shop.fresh_spool()
    tag, today, svc = spool.tag, shop_today(), shop.service
    ops = shop.look()
    cols, row_before = ops.cols, ops.row(spool.row)
    logged_before = len(shop.events())
    steps = [
        (lambda: svc.tomar(tag, worker=a.id, op="ARM"), "TOMAR_SPOOL", "ARM", a,
         dict(holder=a.ref, since=today, armador=str(a.ref), fecha_armado=None, soldador=None)),
        (lambda: svc.pausar(tag, worker=a.id), "PAUSAR_SPOOL", "ARM", a,
         dict(holder=None, since=None, armador=str(a.ref), fecha_armado=None)),
        (lambda: svc.tomar(tag, worker=b.id, op="ARM"), "TOMAR_SPOOL", "ARM", b,
         dict(holder=b.ref, since=today, armador=str(a.ref), fecha_armado=None)),
        (lambda: svc.completar(tag, worker=b.id), "COMPLETAR_ARM", "ARM", b,
         dict(holder=None, since=None, armador=str(a.ref), fecha_armado=today, soldador=None)),
        (lambda: svc.tomar(tag, worker=s.id, op="SOLD"), "TOMAR_SPOOL", "SOLD", s,
         dict(holder=s.ref, since=today, soldador=str(s.ref), fecha_soldadura=None)),
        (lambda: svc.completar(tag, worker=s.id), "COMPLETAR_SOLD", "SOLD", s,
         dict(holder=None, since=None, soldador=str(s.ref), fecha_soldadura=today)),
    ]
    for n, (step, tipo, op, who, expected) in enumerate(steps, start=1):
        outcome = step()
        ops = shop.look()
        now = ops.spool(tag)
        assert now.version == n == outcome.version_after
        assert {k: getattr(now, k) for k in expected} == expected
        raw = ops.row(now.row)
        assert raw[cols[VERSION] - 1] == n  # a number, not text
        assert raw[cols[OCUPADO_POR] - 1] == (str(who.ref) if now.holder else None)
        events = shop.events()
        assert len(events) == logged_before + n
        e = events[-1]
        assert (e.id, e.evento_tipo, e.tag_spool, e.worker_id, e.operacion) == (
            outcome.event_id, tipo, tag, who.id, op)
        assert e.metadata == {"version_before": n - 1, "version_after": n, "row": spool.row,
                              "worker": str(who.ref)}
    row_after = ops.row(spool.row)
    changed = {i + 1 for i in range(max(len(row_before), len(row_after)))
               if (row_before[i:i + 1] or [None]) != (row_after[i:i + 1] or [None])}
    assert changed == {cols[name] for name in (
        "Armador", "Fecha_Armado", "Soldador", "Fecha_Soldadura", VERSION)}
    spans = svc.history(tag)
    assert [(h.worker_id, h.operation, h.ended_by) for h in spans] == [
        (a.id, "ARM", "PAUSAR"), (b.id, "ARM", "COMPLETAR"), (s.id, "SOLD", "COMPLETAR")]
    assert all(h.start <= h.end for h in spans)


def test_completar_on_arm_paused_and_sold_taken_asks_the_log(shop):
    """Both operations started: only the log knows which one the holder took it for."""
    a = shop.qualified("Armador")[0]
    s = next(w for w in shop.qualified("Soldador") if w.id != a.id)
    tag = shop.fresh_spool().tag
    shop.service.tomar(tag, worker=a.id, op="ARM")
    shop.service.pausar(tag, worker=a.id)
    shop.service.tomar(tag, worker=s.id, op="SOLD")
    cold = OccupationService(shop.wb)  # it did not see the TOMAR: only the log can tell
    reads = shop.wb.stats.reads
    outcome = cold.completar(tag, worker=s.id)
    if shop.wb.kind == "google":
        # a cold service's two reads (header + TAG column, then the row), then the log: the one
        # extra read
        assert shop.wb.stats.reads - reads == 3
    assert outcome.operation is Operation.SOLD and outcome.event_type == "COMPLETAR_SOLD"
    after = shop.service.get(tag)
    assert after.fecha_soldadura == shop_today() and after.fecha_armado is None


def insert_row_above(wb, row: int) -> None:
    """What the office does by hand: a new row pushes every row from ``row`` down by one."""
    ops = wb.read_sheet(OPERACIONES)
    width = max(len(r) for r in ops.rows)
    shifted = [["hand", "fila insertada a mano"]] + [ops.row(r) for r in range(row, len(ops.rows) + 1)]
    wb.apply(ChangeSet().set_block(OPERACIONES, row, 1, [r + [None] * (width - len(r))
                                                         for r in shifted]))


@pytest.mark.parametrize("writer", ["same-connection", "another-connection"])
def test_a_hand_inserted_row_is_refused_never_overwritten(shop, writer):
    """The service has just written a spool's row; then the office inserts a row above it. The
    next change finds the TAG elsewhere in its fresh read: refused, nothing written; the retry
    acts on the row where the spool now stands."""
    a = shop.qualified("Armador")[0]
    seen = shop.fresh_spool()
    taken = shop.service.tomar(seen.tag, worker=a.id, op="ARM")
    insert_row_above(shop.wb if writer == "same-connection" else shop.reopen(), seen.row)
    before = state(shop)
    moved = refused(shop, RowMoved, f"spool {seen.tag} now stands at row {seen.row + 1}",
                    lambda: shop.service.pausar(seen.tag, worker=a.id,
                                                expect_version=taken.version_after))
    assert moved.exit_code == 3 and state(shop) == before
    paused = shop.service.pausar(seen.tag, worker=a.id, expect_version=taken.version_after)
    assert (taken.row, paused.row) == (seen.row, seen.row + 1)
    now = shop.look()
    assert now.row(seen.row)[:2] == ["hand", "fila insertada a mano"]
    assert now.row(seen.row)[now.cols[OCUPADO_POR] - 1:] == []
    assert now.spool(seen.tag).version == 2 and now.spool(seen.tag).holder is None


def swap_rows(wb, first: int, second: int) -> None:
    """What the office does by hand when it sorts the sheet: two rows change places."""
    ops = wb.read_sheet(OPERACIONES)
    width = max(len(ops.row(first)), len(ops.row(second)))
    one, other = (ops.row(r) + [None] * (width - len(ops.row(r))) for r in (first, second))
    wb.apply(ChangeSet().set_block(OPERACIONES, first, 1, [other])
             .set_block(OPERACIONES, second, 1, [one]))


@pytest.mark.parametrize("writer", ["same-connection", "another-connection"])
def test_rows_sorted_by_hand_between_two_changes_of_a_warm_service_are_seen(shop, writer):
    """A service that knows where the TAGs stand from its own changes alone (no board: between
    its own writes it reads no TAG column on .xlsx, the file's revision being its last write's)
    still sees two rows swapped by hand after them: the change on a spool whose row now holds
    the other is refused and nothing is written; the retries write the rows the spools now
    stand at."""
    a, b = shop.qualified("Armador")[:2]
    x, y = [s for s in shop.spools() if s.free and s.materiales is not None
            and s.stage(Operation.ARM) is Stage.PENDING][:2]
    svc = OccupationService(shop.wb)
    svc.tomar(x.tag, worker=a.id, op="ARM")
    taken = svc.tomar(y.tag, worker=b.id, op="ARM")
    swap_rows(shop.wb if writer == "same-connection" else shop.reopen(), x.row, y.row)
    before = state(shop)
    refused(shop, RowMoved, f"spool {y.tag} now stands at row {x.row}",
            lambda: svc.pausar(y.tag, worker=b.id, expect_version=taken.version_after))
    assert state(shop) == before
    paused = [svc.pausar(y.tag, worker=b.id), svc.pausar(x.tag, worker=a.id)]
    assert [(p.tag, p.row) for p in paused] == [(y.tag, x.row), (x.tag, y.row)]
    now = shop.look()
    for spool, who in ((x, a), (y, b)):
        assert now.spool(spool.tag).version == 2 and now.spool(spool.tag).holder is None
        assert now.spool(spool.tag).armador == str(who.ref)


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_on_xlsx_between_its_own_writes_the_service_reads_nothing_again(shop):
    """The file it wrote itself is the version it knows: no load of the file between its own
    writes; a write by anyone else is noticed (the file's stat changed) and read again."""
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    shop.service.tomar(tag, worker=a.id, op="ARM")
    seen = shop.service.get(tag)  # a full read, as a tablet's
    loads = shop.wb.stats.reads
    paused = shop.service.pausar(tag, worker=a.id, expect_row_hash=seen.row_hash)
    assert shop.wb.stats.reads == loads
    assert shop.look().spool(tag).version == paused.version_after
    fresh = shop.reopen().read_sheet(OPERACIONES)  # what it kept is what the file holds
    assert shop.wb.read_sheet(OPERACIONES).rows == fresh.rows
    shop.reopen().apply(ChangeSet().put(OPERACIONES, 1, 1, "NV"))  # someone else wrote
    loads = shop.wb.stats.reads
    shop.service.tomar(tag, worker=a.id, op="ARM")
    assert shop.wb.stats.reads == loads + 1  # so the file was read again


# --- refusals --------------------------------------------------------------------------------

def refused(shop: Shop, error: type[Exception], words: str, call) -> Exception:
    """The call raises ``error`` with ``words`` in its one-line message and writes nothing."""
    writes = shop.wb.stats.writes
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert shop.wb.stats.writes == writes
    return caught.value


def test_refusals_name_the_reason_and_change_nothing(shop):
    svc = shop.service
    everyone = shop.workers(lambda w: True)
    a, b = [w for w in everyone if w.activo and w.has_role("Armador")][:2]
    welder = next(w for w in everyone if w.activo and w.has_role("Soldador"))
    inactive = next(w for w in everyone if not w.activo)
    no_role = next(w for w in everyone if w.activo and not w.has_role("Armador"))
    spools = shop.spools()
    fresh = shop.fresh_spool()
    waiting = next(s for s in spools
                   if s.materiales is None and s.stage(Operation.ARM) is Stage.PENDING)
    armed = next(s for s in spools if s.stage(Operation.ARM) is Stage.DONE)
    before = state(shop)
    refused(shop, SpoolNotFound, "spool MK-NO-EXISTE not found in Operaciones",
            lambda: svc.tomar("MK-NO-EXISTE", worker=a.id, op="ARM"))
    refused(shop, UnknownWorker, "no worker with Id 99999",
            lambda: svc.tomar(fresh.tag, worker=99999, op="ARM"))
    refused(shop, WorkerInactive, f"{inactive.ref} ({inactive.name}) is not active",
            lambda: svc.tomar(fresh.tag, worker=inactive.id, op="ARM"))
    refused(shop, MissingRole, "does not have the active role Armador needed for ARM",
            lambda: svc.tomar(fresh.tag, worker=no_role.id, op="ARM"))
    refused(shop, PrerequisiteMissing, "ARM needs Fecha_Materiales",
            lambda: svc.tomar(waiting.tag, worker=a.id, op="ARM"))
    refused(shop, PrerequisiteMissing, "SOLD needs ARM started",
            lambda: svc.tomar(fresh.tag, worker=welder.id, op="SOLD"))
    refused(shop, OperationDone, "ARM is already done",
            lambda: svc.tomar(armed.tag, worker=a.id, op="ARM"))
    refused(shop, NotHolder, f"{a.ref} does not hold it (nobody holds it)",
            lambda: svc.pausar(fresh.tag, worker=a.id))
    assert state(shop) == before
    svc.tomar(fresh.tag, worker=a.id, op="ARM")
    before = state(shop)
    occupied = refused(shop, SpoolOccupied,
                       f"spool {fresh.tag} is occupied by {a.ref} since {format_date(shop_today())}",
                       lambda: svc.tomar(fresh.tag, worker=b.id, op="ARM"))
    assert occupied.exit_code == 3
    refused(shop, NotHolder, f"{b.ref} does not hold it (it is held by {a.ref})",
            lambda: svc.completar(fresh.tag, worker=b.id))
    conflict = refused(shop, VersionConflict, "expected version 0, it is at version 1",
                       lambda: svc.pausar(fresh.tag, worker=a.id, expect_version=0))
    assert (conflict.current, conflict.exit_code) == (1, 3)
    assert state(shop) == before


def test_an_inactive_role_row_grants_nothing(shop):
    """The roster has an active worker whose Armador row in Roles says Activo = FALSE."""
    roles = shop.wb.read_sheet(ROLES)
    cols = columns(roles).require(("Id", "Rol", "Activo"))
    revoked = {int(roles.cell(r, cols["Id"])) for r in range(2, len(roles.rows) + 1)
               if roles.cell(r, cols["Rol"]) == "Armador" and roles.cell(r, cols["Activo"]) is False}
    worker = shop.workers(lambda w: w.id in revoked and w.activo)[0]
    before = state(shop)
    refused(shop, MissingRole, f"{worker.ref}", lambda: shop.service.tomar(
        shop.fresh_spool().tag, worker=worker.id, op="ARM"))
    assert state(shop) == before


def test_row_hash_catches_a_hand_edit_the_version_cannot(shop):
    a = shop.qualified("Armador")[0]
    seen = shop.fresh_spool()
    hand_edit(shop, seen.tag, "Notas", "revisar biselado antes de armar")
    assert shop.service.get(seen.tag).version == seen.version  # a hand edit moves no version
    before = state(shop)
    refused(shop, RowChanged, f"spool {seen.tag} (row {seen.row}) was edited since it was read",
            lambda: shop.service.tomar(seen.tag, worker=a.id, op="ARM",
                                       expect_version=seen.version, expect_row_hash=seen.row_hash))
    assert state(shop) == before


def test_bad_cells_are_data_errors_naming_the_cell_never_not_found(shop):
    a = shop.qualified("Armador")[0]
    one, other = [s for s in shop.spools() if s.free][:2]
    hand_edit(shop, one.tag, "Fecha_Ocupacion", "mañana")
    refused(shop, DataError, f"row {one.row}, column 'Fecha_Ocupacion': cannot read 'mañana'",
            lambda: shop.service.tomar(one.tag, worker=a.id, op="ARM"))
    hand_edit(shop, one.tag, VERSION, None)
    refused(shop, DataError, f"row {one.row}, column 'version': version is blank",
            lambda: shop.service.tomar(one.tag, worker=a.id, op="ARM"))
    hand_edit(shop, other.tag, "TAG_SPOOL / CODIGO_BARRA", one.tag)
    before = state(shop)
    refused(shop, DataError, f"TAG {one.tag} appears in rows {min(one.row, other.row)} and "
                             f"{max(one.row, other.row)}",
            lambda: shop.service.pausar(one.tag, worker=a.id))
    assert state(shop) == before


def test_a_workbook_not_at_v3_is_refused_with_the_way_out(open_copy, v2_sample):
    wb = open_copy(v2_sample)
    svc = OccupationService(wb)
    with pytest.raises(NotMigrated, match=r"is at schema v2\.1, occupation needs v3\.0; run "
                                          r"`spoolsheet migrate up` first"):
        svc.tomar("MK-1", worker=1, op="ARM")
    assert wb.stats.writes == 0
    if wb.kind == "xlsx":
        migrations.up(wb, force=True)
        assert svc.spools()  # the refusal was not cached: the migration is seen at once


def test_ledger_says_v3_but_a_column_is_gone(shop):
    shop.wb.apply(ChangeSet().put(OPERACIONES, 1, shop.look().cols[VERSION], "ver"))
    with pytest.raises(NotMigrated, match="has no version column"):
        shop.service.spools()


def test_bad_operation_is_a_usage_error(shop):
    from spoolsheet.errors import UsageError

    with pytest.raises(UsageError, match="--op must be ARM or SOLD, got 'PINTURA'"):
        shop.service.tomar(shop.fresh_spool().tag, worker=1, op="PINTURA")


# --- what it costs ---------------------------------------------------------------------------

@pytest.mark.parametrize("backend_kind", ["google"])
def test_each_operation_is_one_read_and_one_write_on_google(shop, fake_google):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    cold = OccupationService(shop.reopen())  # a fresh connection, as the CLI makes
    fake_google.reset_log()
    cold.tomar(tag, worker=a.id, op="ARM")
    # cold: the sheet list (ids for the write), one values:batchGet, the batchUpdate
    assert [e.kind for e in fake_google.log] == ["read", "read", "write"]
    for op in (lambda: cold.pausar(tag, worker=a.id),
               lambda: cold.tomar(tag, worker=a.id, op="ARM"),
               lambda: cold.completar(tag, worker=a.id)):
        fake_google.reset_log()
        op()
        assert [(e.kind, e.method) for e in fake_google.log] == [("read", "GET"), ("write", "POST")]
        assert fake_google.log[1].path.endswith(":batchUpdate") and fake_google.log[1].status == 200


def test_workers_are_cached_for_a_short_while(shop):
    now = [0.0]
    svc = OccupationService(shop.wb, cache_ttl=60, clock=lambda: now[0])
    a, b = shop.qualified("Armador")[:2]
    tag = shop.fresh_spool().tag
    svc.tomar(tag, worker=a.id, op="ARM")
    trabajadores = shop.wb.read_sheet(TRABAJADORES)
    cols = columns(trabajadores).require(("Id", "Activo"))
    row = next(r for r in range(2, len(trabajadores.rows) + 1)
               if trabajadores.cell(r, cols["Id"]) == a.id)
    shop.wb.apply(ChangeSet().put(TRABAJADORES, row, cols["Activo"], False))
    now[0] = 59.0
    svc.pausar(tag, worker=a.id)  # within the cache's life the deactivation is not seen yet
    svc.tomar(tag, worker=a.id, op="ARM")
    svc.pausar(tag, worker=a.id)
    now[0] = 61.0
    with pytest.raises(WorkerInactive):
        svc.tomar(tag, worker=a.id, op="ARM")
    assert svc.tomar(tag, worker=b.id, op="ARM").version_after == 5


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_on_xlsx_an_operation_is_one_save_and_no_reload(shop):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    shop.service.get(tag)
    reads, writes = shop.wb.stats.reads, shop.wb.stats.writes
    shop.service.tomar(tag, worker=a.id, op="ARM")
    shop.service.pausar(tag, worker=a.id)
    assert (shop.wb.stats.reads - reads, shop.wb.stats.writes - writes) == (0, 2)
    other = shop.reopen()  # another writer: the next operation must reload the file
    other.apply(ChangeSet().put(OPERACIONES, 1, 1, "NV"))
    shop.service.tomar(tag, worker=a.id, op="ARM")
    assert (shop.wb.stats.reads - reads, shop.wb.stats.writes - writes) == (1, 3)


# --- races -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shared", [False, True], ids=["a-connection-each", "one-connection"])
def test_ten_threads_take_one_spool_one_wins(shop, shared):
    """Ten threads TOMAR the same spool at once, each with its own connection to the workbook
    (on .xlsx: its own file handle and lock) and no expectation, or all through one connection
    with the version they read: either way one wins and nine get a conflict."""
    seen = shop.fresh_spool()
    armadores = shop.qualified("Armador")[:10]
    assert len(armadores) == 10
    services = [OccupationService(shop.wb if shared else shop.reopen()) for _ in armadores]
    start = threading.Barrier(len(services))
    results: list[object] = []

    def attempt(svc: OccupationService, worker_id: int) -> None:
        start.wait()
        try:
            results.append(svc.tomar(seen.tag, worker=worker_id, op="ARM",
                                     expect_version=seen.version if shared else None))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(svc, w.id))
               for svc, w in zip(services, armadores, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [r for r in results if isinstance(r, Outcome)]
    losers = [r for r in results if not isinstance(r, Outcome)]
    assert len(wins) == 1 and len(losers) == 9
    assert all(isinstance(r, VersionConflict if shared else SpoolOccupied) for r in losers), losers
    assert all(isinstance(r, ConflictError) and r.exit_code == 3 for r in losers)
    after = shop.service.get(seen.tag)
    assert after.version == seen.version + 1 and after.holder == wins[0].worker
    assert [e.id for e in shop.events(seen.tag) if e.evento_tipo == "TOMAR_SPOOL"] == [
        wins[0].event_id]


# --- writes that fail ------------------------------------------------------------------------

@pytest.mark.parametrize("backend_kind", ["google"])
def test_a_failed_write_on_google_leaves_row_version_and_log(shop, fake_google):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    before = state(shop)
    fake_google.inject(kind="write", nth=1, fault="500")
    with pytest.raises(TransientBackendError, match="it did not land, nothing changed; try again"):
        shop.service.tomar(tag, worker=a.id, op="ARM")
    assert state(shop) == before
    assert shop.service.tomar(tag, worker=a.id, op="ARM").version_after == 1


@pytest.mark.parametrize("backend_kind", ["google"])
def test_when_even_the_check_fails_it_says_unknown_and_does_not_guess(shop, fake_google):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    shop.service.get(tag)
    fake_google.inject(kind="write", nth=1, fault="503")
    fake_google.inject(kind="read", nth=2, fault="503", times=20)
    with pytest.raises(AmbiguousWriteError, match="may have been applied"):
        shop.service.tomar(tag, worker=a.id, op="ARM")


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_a_failed_save_leaves_the_file_as_it_was(shop, monkeypatch):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    before = state(shop)
    on_disk = shop.wb.backend.path.read_bytes()

    def disk_full(fd):  # the OS edge: where a full disk shows when the new file is flushed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(BackendError, match="No space left on device"):
        shop.service.tomar(tag, worker=a.id, op="ARM")
    monkeypatch.undo()
    assert shop.wb.backend.path.read_bytes() == on_disk and state(shop) == before
    assert shop.service.tomar(tag, worker=a.id, op="ARM").version_after == 1
    assert len([e for e in shop.events(tag)]) == 1
