"""The writer's timing (issue 9, p95 on Google): past its slot it lingers while changes keep
arriving, so a burst of tablets re-sending after a group's answers is taken whole instead of
leaving its last ones a whole slot behind; the linger is capped, and the pacer counts the next
slot from the take. A real OccupationService on a real .xlsx, driven through ``Writer.submit``
(no HTTP: the test decides to the millisecond when each change arrives)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from spoolsheet.occupation import Action, OccupationService, Operation, Outcome, Stage, StateChange
from spoolsheet.occupation.service import Result
from spoolsheet.service.quota import Paced, Quota
from spoolsheet.service.writer import Pacer, Writer
from spoolsheet.settings import Settings
from spoolsheet.workbook import open_workbook


@pytest.fixture
def writer(request, tmp_path: Path, v3_workbook: Path) -> Iterator[Writer]:
    """A started Writer on a private copy, paced to ``request.param`` writes a minute."""
    path = tmp_path / v3_workbook.name
    shutil.copy(v3_workbook, path)
    quota = Quota(6000, request.param)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        writer = Writer(OccupationService(Paced(wb, quota)), quota)
        writer.service.workers()  # warm, as the app does before starting the thread
        writer.start()
        try:
            yield writer
        finally:
            writer.stop()


def tomar(writer: Writer, tag: str, worker: int) -> Future[Result]:
    return writer.submit(StateChange.of(Action.TOMAR, tag, worker, Operation.ARM))


def fresh(writer: Writer, n: int) -> tuple[list[str], list[int]]:
    with writer.reading() as service:
        tags = [s.tag for s in service.spools() if s.free and s.materiales is not None
                and s.stage(Operation.ARM) is Stage.PENDING][:n]
        workers = [w.id for w in service.workers() if w.activo and w.has_role("Armador")][:n]
    return tags, workers


def test_the_pacer_counts_the_next_slot_from_the_take():
    now = [100.0]
    pacer = Pacer(60, clock=lambda: now[0])  # a slot a second
    stopped = threading.Event()
    stopped.set()  # so that a wait that would sleep returns False at once instead
    assert pacer.wait(stopped)  # open from the start
    now[0] = 100.3  # the writer lingered 0.3 s past the slot before taking its batch
    pacer.book()
    now[0] = 101.0  # a second after the slot opened, only 0.7 s after the take: still shut
    assert not pacer.wait(stopped)
    now[0] = 101.3
    assert pacer.wait(stopped)


@pytest.mark.parametrize("writer", [6], indirect=True)  # a slot each 10 s: quiet 0.5 s, linger 2.5 s
def test_a_change_arriving_just_after_the_slot_joins_the_group(writer: Writer):
    tags, workers = fresh(writer, 2)
    first = tomar(writer, tags[0], workers[0])
    time.sleep(0.15)  # after the slot opened and woke the writer, well within its quiet time
    second = tomar(writer, tags[1], workers[1])
    started = time.monotonic()
    results = [first.result(timeout=8), second.result(timeout=8)]
    assert time.monotonic() - started < 5  # not the next slot, 10 s on
    assert all(isinstance(r, Outcome) for r in results), results
    assert writer.groups == 1


@pytest.mark.parametrize("writer", [12], indirect=True)  # a slot each 5 s: quiet 0.25 s, linger 1.25 s
def test_the_linger_is_capped_while_changes_keep_arriving(writer: Writer):
    tags, workers = fresh(writer, 1)
    started = time.monotonic()
    first = tomar(writer, tags[0], workers[0])
    later = []
    while time.monotonic() - started < 3.0:  # a change every 50 ms for 3 s: never quiet
        time.sleep(0.05)
        later.append(tomar(writer, tags[0], workers[0]))  # the same spool: refused, cheaply
        if first.done():
            break
    assert isinstance(first.result(timeout=10), Outcome)
    assert time.monotonic() - started < 2.5  # answered while the stream went on (no cap: > 3 s)
    assert not all(f.done() for f in later)  # those after the take wait for the next slot
