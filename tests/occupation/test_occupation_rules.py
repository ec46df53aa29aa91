"""The state rules over spool records, with no workbook: every state, every refusal, every cell."""

import datetime as dt

import pytest

from spoolsheet.audit import Event, LoggedEvent
from spoolsheet.errors import ConflictError, DataError
from spoolsheet.occupation import (
    MissingRole,
    NotHolder,
    OperationDone,
    PrerequisiteMissing,
    SpoolOccupied,
    Worker,
    WorkerInactive,
    rules,
)
from spoolsheet.occupation.rules import Operation, Spool, Stage
from spoolsheet.values import WorkerRef

TODAY = dt.date(2026, 3, 13)
ARMADOR = Worker(93, "Mauricio", "Rojas Díaz", True, frozenset({"armador"}))
OTRO = Worker(12, "Juan Pablo", "Soto", True, frozenset({"armador", "soldador"}))
SOLDADOR = Worker(40, "Camila", "Vera", True, frozenset({"soldador"}))


def spool(**fields) -> Spool:
    base = dict(tag="MK-1", row=7, version=3, holder=None, since=None,
                materiales=dt.date(2026, 3, 1), armador=None, fecha_armado=None, soldador=None,
                fecha_soldadura=None, row_hash="h")
    return Spool(**{**base, **fields})


def held(by: Worker, **fields) -> Spool:
    return spool(holder=by.ref, since=dt.date(2026, 3, 12), **fields)


@pytest.mark.parametrize("fields, arm, sold", [
    ({}, Stage.PENDING, Stage.PENDING),
    ({"armador": "MR(93)"}, Stage.PAUSED, Stage.PENDING),
    ({"armador": "MR(93)", "holder": WorkerRef("MR", 93)}, Stage.IN_PROGRESS, Stage.PENDING),
    ({"armador": "MR(93)", "fecha_armado": TODAY, "soldador": "CV(40)"}, Stage.DONE, Stage.PAUSED),
    ({"armador": "MR(93)", "fecha_armado": TODAY, "soldador": "CV(40)",
      "fecha_soldadura": TODAY}, Stage.DONE, Stage.DONE),
])
def test_state_is_derived_from_columns(fields, arm, sold):
    s = spool(**fields)
    assert (s.stage(Operation.ARM), s.stage(Operation.SOLD)) == (arm, sold)


def test_tomar_sets_holder_date_worker_column_and_version():
    after = rules.tomar(spool(), ARMADOR, Operation.ARM, TODAY)
    assert rules.changed_cells(spool(), after) == {
        "Ocupado_Por": "MR(93)", "Fecha_Ocupacion": TODAY, "version": 4, "Armador": "MR(93)"}
    assert after.row_hash is None  # a record built from a write is not a read


def test_tomar_keeps_the_worker_column_of_whoever_started():
    before = spool(armador="MR(93)")
    after = rules.tomar(before, OTRO, Operation.ARM, TODAY)
    assert rules.changed_cells(before, after) == {
        "Ocupado_Por": "JS(12)", "Fecha_Ocupacion": TODAY, "version": 4}


def test_pausar_clears_occupation_and_keeps_progress():
    before = held(ARMADOR, armador="MR(93)")
    assert rules.changed_cells(before, rules.pausar(before, ARMADOR)) == {
        "Ocupado_Por": None, "Fecha_Ocupacion": None, "version": 4}


def test_completar_sets_the_operation_date_and_releases():
    before = held(SOLDADOR, armador="MR(93)", fecha_armado=TODAY, soldador="CV(40)")
    after = rules.completar(before, SOLDADOR, Operation.SOLD, TODAY)
    assert rules.changed_cells(before, after) == {
        "Ocupado_Por": None, "Fecha_Ocupacion": None, "version": 4, "Fecha_Soldadura": TODAY}


@pytest.mark.parametrize("before, worker, op, error, words", [
    (held(OTRO), ARMADOR, Operation.ARM, SpoolOccupied, "occupied by JS(12) since 12-03-2026"),
    (spool(), Worker(5, "Ana", "Paz", False, frozenset({"armador"})), Operation.ARM,
     WorkerInactive, "AP(5) (Ana Paz) is not active"),
    (spool(), SOLDADOR, Operation.ARM, MissingRole, "does not have the active role Armador"),
    (spool(materiales=None), ARMADOR, Operation.ARM, PrerequisiteMissing, "Fecha_Materiales"),
    (spool(), SOLDADOR, Operation.SOLD, PrerequisiteMissing, "SOLD needs ARM started"),
    (spool(armador="MR(93)", fecha_armado=TODAY), ARMADOR, Operation.ARM, OperationDone,
     "ARM is already done (13-03-2026)"),
])
def test_tomar_refusals(before, worker, op, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        rules.tomar(before, worker, op, TODAY)


def test_sold_may_start_while_arm_is_paused():
    after = rules.tomar(spool(armador="MR(93)"), SOLDADOR, Operation.SOLD, TODAY)
    assert after.soldador == "CV(40)" and after.fecha_armado is None


@pytest.mark.parametrize("before, message", [
    (held(OTRO, armador="JS(12)"), "MR(93) does not hold it (it is held by JS(12))"),
    (spool(armador="MR(93)"), "MR(93) does not hold it (nobody holds it)"),
])
def test_only_the_holder_pauses_or_completes(before, message):
    for attempt in (lambda: rules.pausar(before, ARMADOR),
                    lambda: rules.completar(before, ARMADOR, Operation.ARM, TODAY)):
        with pytest.raises(NotHolder, match=message.replace("(", r"\(").replace(")", r"\)")):
            attempt()


def test_conflicts_exit_3_other_refusals_exit_1():
    assert issubclass(SpoolOccupied, ConflictError) and SpoolOccupied.exit_code == 3
    assert issubclass(NotHolder, ConflictError) and NotHolder.exit_code == 3
    for error in (WorkerInactive, MissingRole, PrerequisiteMissing, OperationDone):
        assert not issubclass(error, ConflictError) and error.exit_code == 1


def test_holder_identity_is_the_id_not_the_initials():
    renamed = Worker(93, "Marta", "Rojas", True, frozenset({"armador"}))  # same id, new initials
    before = held(ARMADOR, armador="MR(93)")
    assert rules.pausar(before, renamed).holder is None


def logged(tipo: str, worker: Worker, op: str, at: dt.datetime, tag: str = "MK-1",
           meta: bool = True) -> LoggedEvent:
    e = Event(tipo, tag_spool=tag, worker_id=worker.id, worker_nombre=worker.name, operacion=op,
              timestamp=at)
    return LoggedEvent(0, e.id, at, tipo, tag, worker.id, worker.name, op, "",
                       {"worker": str(worker.ref)} if meta else {})


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 13, hour, minute)


def test_operation_from_log_is_the_holders_last_tomar():
    both = held(SOLDADOR, armador="MR(93)", soldador="CV(40)")
    assert rules.started_operations(both) == [Operation.ARM, Operation.SOLD]
    events = [logged("TOMAR_SPOOL", ARMADOR, "ARM", at(8)), logged("PAUSAR_SPOOL", ARMADOR, "ARM", at(9)),
              logged("TOMAR_SPOOL", SOLDADOR, "SOLD", at(10))]
    assert rules.operation_from_log(both, events) is Operation.SOLD
    with pytest.raises(DataError, match="neither its columns nor the Metadata log"):
        rules.operation_from_log(both, events[:2])


def test_holdings_pair_each_tomar_with_what_ended_it():
    events = [
        logged("TOMAR_SPOOL", ARMADOR, "ARM", at(8)),
        logged("TOMAR_SPOOL", OTRO, "ARM", at(8), tag="MK-2"),
        logged("PAUSAR_SPOOL", ARMADOR, "ARM", at(9, 30)),
        logged("COMPLETAR_ARM", OTRO, "ARM", at(9, 45)),  # v2.1 event with no TOMAR: not a holding
        logged("TOMAR_SPOOL", OTRO, "ARM", at(10)),
        logged("COMPLETAR_ARM", OTRO, "ARM", at(12)),
        logged("TOMAR_SPOOL", SOLDADOR, "SOLD", at(13), meta=False),
    ]
    spans = rules.holdings(events, "MK-1")
    assert [(h.worker, h.operation, h.ended_by) for h in spans] == [
        ("MR(93)", "ARM", "PAUSAR"), ("JS(12)", "ARM", "COMPLETAR"), ("Camila Vera", "SOLD", None)]
    assert spans[0].duration(at(18)) == dt.timedelta(hours=1, minutes=30)
    assert spans[2].duration(at(18)) == dt.timedelta(hours=5)  # still held: until now


def test_a_second_tomar_without_release_is_shown_not_hidden():
    events = [logged("TOMAR_SPOOL", ARMADOR, "ARM", at(8)), logged("TOMAR_SPOOL", OTRO, "ARM", at(8, 1))]
    assert [h.ended_by for h in rules.holdings(events, "MK-1")] == ["TOMAR again", None]


def test_public_names_are_all_there():
    import spoolsheet.occupation as occupation

    assert all(hasattr(occupation, name) for name in occupation.__all__)
    assert {"tomar", "pausar", "completar", "spools", "history"} <= set(occupation.__all__)
