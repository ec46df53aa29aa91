"""Group commit on both backends: a group judged in arrival order and written as one ChangeSet;
idempotent retries; names that must read back; cells that refuse one spool, not the workbook."""

from __future__ import annotations

import re

import pytest
from shop import Shop
from test_occupation_service import hand_edit, state

from spoolsheet.errors import DataError, TransientBackendError, UsageError
from spoolsheet.occupation import (
    OccupationService,
    Outcome,
    SpoolOccupied,
    StateChange,
    UnknownWorker,
)
from spoolsheet.schema import TRABAJADORES, VERSION
from spoolsheet.values import WorkerRef
from spoolsheet.workbook import ChangeSet, columns


def tomar(tag: str, worker, key: str | None = None) -> StateChange:
    return StateChange.of("TOMAR", tag, worker, "ARM", key=key)


def test_a_group_is_judged_in_order_and_written_once(shop: Shop):
    a, b, c = shop.qualified("Armador")[:3]
    one, two = [s.tag for s in shop.spools() if s.free and s.materiales is not None
                and s.armador is None][:2]
    writes = shop.wb.stats.writes
    results = shop.service.commit([tomar(one, a.id), tomar(one, b.id), tomar(two, c.id),
                                   StateChange.of("PAUSAR", one, a.id)])
    assert shop.wb.stats.writes - writes == 1
    won, lost, other, paused = results
    assert isinstance(won, Outcome) and isinstance(other, Outcome) and isinstance(paused, Outcome)
    assert isinstance(lost, SpoolOccupied) and str(a.ref) in str(lost)
    assert (won.version_after, paused.version_before, paused.version_after) == (1, 1, 2)
    events = shop.events(one)
    assert [e.evento_tipo for e in events] == ["TOMAR_SPOOL", "PAUSAR_SPOOL"]
    assert shop.service.get(one).version == 2 and shop.service.get(two).holder == c.ref


@pytest.mark.parametrize("backend_kind", ["google"])
def test_a_failed_group_write_fails_every_change_and_lands_nothing(shop: Shop, fake_google):
    a, b = shop.qualified("Armador")[:2]
    one, two = [s.tag for s in shop.spools() if s.free and s.materiales is not None
                and s.armador is None][:2]
    shop.service.get(one)
    before = state(shop)
    fake_google.inject(kind="write", nth=1, fault="500")
    results = shop.service.commit([tomar(one, a.id), tomar(two, b.id)])
    assert all(isinstance(r, TransientBackendError) and "did not land" in str(r) for r in results)
    assert state(shop) == before


@pytest.mark.parametrize("fault", ["lost-reply", "applied-504"])
@pytest.mark.parametrize("backend_kind", ["google"])
def test_a_group_write_whose_answer_was_lost_is_found_landed_and_answered_once(
        shop: Shop, fake_google, fault):
    """The batchUpdate lands, its answer never comes: the service reads the events' ids back,
    answers every change with its outcome, sends the write once (never repeats it), and each
    idempotent retry, by this service or a restarted one, gets the same event."""
    workers = shop.qualified("Armador")[:3]
    tags = [s.tag for s in shop.spools() if s.free and s.materiales is not None
            and s.armador is None][:3]
    versions = {t: shop.service.get(t).version for t in tags}
    changes = [tomar(t, w.id, key=f"tablet-{i}/lost")
               for i, (t, w) in enumerate(zip(tags, workers, strict=True))]
    fake_google.reset_log()
    fake_google.inject(kind="write", nth=1, fault=fault)

    results = shop.service.commit(changes)

    assert all(isinstance(r, Outcome) and not r.replayed for r in results), results
    assert [e.fault for e in fake_google.log if e.kind == "write"] == [fault]  # sent once
    logged = [e for e in shop.events() if e.tag_spool in tags]
    assert sorted(e.id for e in logged) == sorted(r.event_id for r in results)  # once each
    for tag, worker, result in zip(tags, workers, results, strict=True):
        spool = shop.service.get(tag)
        assert spool.version == versions[tag] + 1 == result.version_after
        assert spool.holder == worker.ref
    for service in (shop.service, OccupationService(shop.reopen())):
        again = service.commit(changes)
        assert [(r.replayed, r.event_id) for r in again] == [(True, r.event_id) for r in results]
    assert len([e for e in shop.events() if e.tag_spool in tags]) == len(tags)
    assert fake_google.count(kind="write") == 1  # the retries wrote nothing


def test_an_idempotent_retry_returns_the_first_answer_even_after_a_restart(shop: Shop):
    a, b = shop.qualified("Armador")[:2]
    tag = shop.fresh_spool().tag
    first = shop.service.tomar(tag, worker=a.id, op="ARM", key="tablet-3/0001")
    again = shop.service.tomar(tag, worker=a.id, op="ARM", key="tablet-3/0001")
    restarted = OccupationService(shop.reopen()).tomar(tag, worker=a.id, op="ARM",
                                                       key="tablet-3/0001")
    for answer in (again, restarted):
        assert answer.replayed and answer.event_id == first.event_id
        assert (answer.version_before, answer.version_after) == (0, 1)
    assert [e.id for e in shop.events(tag)] == [first.event_id]
    assert shop.events(tag)[0].metadata["idempotency_key"] == "tablet-3/0001"
    with pytest.raises(UsageError, match="was used for another request"):
        shop.service.pausar(tag, worker=a.id, key="tablet-3/0001")
    same_group = shop.service.commit([tomar(tag, b.id, key="k2"), tomar(tag, b.id, key="k2")])
    assert all(isinstance(r, SpoolOccupied) for r in same_group)


NAMES = [("Ümit", "Özil"), ("Çelik", ""), ("Øyvind", "Berg"), ("1Juan", "Pérez"),
         ("(Juan)", "Soto"), ("", ""), ("=HYPERLINK(1)", "+x"), ("-Ana", "@Ruiz")]


@pytest.mark.parametrize("nombre,apellido", NAMES)
def test_what_is_written_for_any_name_reads_back(shop: Shop, nombre, apellido):
    a = shop.qualified("Armador")[0]
    trabajadores = shop.wb.read_sheet(TRABAJADORES)
    cols = columns(trabajadores).require(("Id", "Nombre", "Apellido"))
    row = next(r for r in range(2, len(trabajadores.rows) + 1)
               if trabajadores.cell(r, cols["Id"]) == a.id)
    shop.wb.apply(ChangeSet().put(TRABAJADORES, row, cols["Nombre"], nombre)
                  .put(TRABAJADORES, row, cols["Apellido"], apellido))
    svc = OccupationService(shop.wb)
    tag = shop.fresh_spool().tag
    taken = svc.tomar(tag, worker=str(WorkerRef.of(a.id, nombre, apellido)), op="ARM")
    assert not str(taken.worker).startswith(("=", "+", "-", "@"))
    assert WorkerRef.parse(str(taken.worker)) == taken.worker
    assert svc.get(tag).holder == taken.worker
    assert any(s.tag == tag for s in svc.spools(occupied=True))
    assert svc.pausar(tag, worker=a.id).version_after == 2
    assert [h.worker_id for h in svc.history(tag)] == [a.id]


def test_an_unreadable_cell_refuses_that_spool_only(shop: Shop):
    a = shop.qualified("Armador")[0]
    bad, good = [s for s in shop.spools() if s.free and s.materiales is not None
                 and s.armador is None][:2]
    hand_edit(shop, bad.tag, "Ocupado_Por", "alguien")
    hand_edit(shop, good.tag, VERSION, -5)
    survey = shop.service.survey()
    problems = [p for p in survey if isinstance(p, DataError)]
    assert len(problems) == 2 and len(survey) == len(shop.spools()) + 2
    assert any(f"row {bad.row}, column 'Ocupado_Por'" in str(p) for p in problems)
    with pytest.raises(DataError, match=f"row {good.row}, column 'version': version is -5"):
        shop.service.tomar(good.tag, worker=a.id, op="ARM")
    other = shop.fresh_spool()
    assert shop.service.tomar(other.tag, worker=a.id, op="ARM").version_after == 1


def test_a_worker_given_as_initials_must_match(shop: Shop):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    wrong = "ZZ" if a.ref.initials != "ZZ" else "YY"
    with pytest.raises(UnknownWorker, match=re.escape(f"worker {a.id} in Trabajadores is {a.ref}")):
        shop.service.tomar(tag, worker=f"{wrong}({a.id})", op="ARM")
    assert shop.service.tomar(tag, worker=str(a.ref), op="ARM").worker == a.ref
