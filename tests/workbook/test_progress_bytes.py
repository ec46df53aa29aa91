"""What the backends tell a running phase of the bytes they move: an .xlsx save and a Google
write count up to their totals, a Google read's total is known (estimated) before its end, an
.xlsx read moves within a sheet (as it inflates, as its rows are typed). Real files, the real
backend over real HTTP to the fake."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator

import pytest
import requests

from spoolsheet.progress import Step, phase
from spoolsheet.schema import OPERACIONES
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.workbook import ChangeSet, GoogleBackend, XlsxBackend
from spoolsheet.workbook.retry import FAST_RETRY
from spoolsheet.workbook.xlsx_package import PIECE_BYTES, Package

#: A column of text long enough that the request writing it is sent in several pieces.
TEXT = "x" * 400


def bytes_of(steps: list[Step]) -> list[Step]:
    return [s for s in steps if s.unit == "bytes"]


def rising(steps: list[Step]) -> bool:
    return all(a.done <= b.done for a, b in itertools.pairwise(steps))


def a_column(rows: int) -> ChangeSet:
    return ChangeSet().set_block(OPERACIONES, 2, 40, [[f"{TEXT}{r}"] for r in range(rows)])


def test_an_xlsx_save_counts_the_parts_laid_out_then_the_file_written_to_its_size(
        tmp_path, sample_small):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_small, path)
    backend = XlsxBackend(path)
    steps: list[Step] = []
    with phase(steps.append, "writing"):
        backend.apply(a_column(200))
    counted = bytes_of(steps)
    assert len({s.done for s in counted}) > 5 and rising(counted), counted
    assert counted[-1].finished and not any(s.finished for s in counted[:-1])
    totals = sorted({s.total for s in counted[:-1] if s.total is not None})
    file = path.stat().st_size
    assert counted[-1].done - file in totals  # the file's bytes came last, from the parts' end
    assert any(0 < s.done < totals[0] for s in counted), "the rows' part did not move within"
    backend.close()


@pytest.fixture
def served(sample_small) -> Iterator[tuple[FakeGoogle, GoogleBackend]]:
    fake = FakeGoogle()
    fake.load_xlsx(sample_small, "live")
    with fake.serve() as server:
        yield fake, GoogleBackend("live", session=requests.Session(), endpoint=server.base_url,
                                  retry=FAST_RETRY)


def test_a_google_write_counts_the_request_body_sent_up_to_its_size(served):
    fake, backend = served
    backend.sheets()
    steps: list[Step] = []
    with phase(steps.append, "writing"):
        backend.apply(a_column(400))
    sent = next(e for e in fake.log if e.method == "POST").request_bytes
    assert sent > 150_000  # several 64 KiB pieces
    body = [s for s in bytes_of(steps) if s.done <= sent]
    assert len(body) >= 3 and rising(body) and body[-1].done == sent, bytes_of(steps)
    assert all(s.total == sent for s in body[:-1])
    assert body[-1].total is None and not body[-1].finished  # Google still has to apply it
    assert backend.read([OPERACIONES])[OPERACIONES].rows[1][39] == f"{TEXT}0"


def test_a_google_read_shows_an_estimated_total_before_its_end_and_the_real_one_at_it(served):
    fake, backend = served
    backend.read()  # the same request once before: its answer's size is the estimate
    first = fake.log[-1].response_bytes
    backend.apply(a_column(50))  # the next answer is larger than the estimate
    steps: list[Step] = []
    with phase(steps.append, "reading"):
        backend.read()
    counted, size = bytes_of(steps), fake.log[-1].response_bytes
    assert size > first
    before = [s for s in counted if s.done < first]
    assert before and all(s.estimated and s.total == first for s in before), counted
    assert all(s.total is None for s in counted[:-1] if s.done >= first)  # past it: unknown
    assert not any(s.finished for s in counted[:-1])
    assert counted[-1].finished and counted[-1].done == size


def test_an_xlsx_read_moves_within_a_sheet_as_its_part_inflates_and_its_rows_are_typed(
        tmp_path, sample_2500):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_2500, path)
    backend = XlsxBackend(path)
    steps: list[Step] = []
    with phase(steps.append, "reading"):
        sheets = backend.read()
    counted = bytes_of(steps)
    package = Package.open(path)
    first = package.zip.getinfo(package.sheet_entries[0].part).file_size  # read first
    # its first half as its part inflates (pieces of PIECE_BYTES), its second as rows are typed
    inflating = [s for s in counted if 0 < s.done <= first // 2]
    typing = [s for s in counted if first // 2 < s.done < first and s.done % (PIECE_BYTES // 2)]
    assert len(inflating) >= 2 and len(typing) >= 2, counted
    assert rising(counted) and counted[-1].finished and len(sheets[OPERACIONES].rows) > 2500
    backend.close()


def test_sizes_handed_in_are_the_estimate_and_a_read_measured_again_moves_last(served):
    """The sizes a program keeps between runs (``answered``): a read made before is estimated
    from them, and measured again it moves last, so a cache that keeps the newest keeps it."""
    _, first = served
    with phase(lambda s: None, "reading"):
        first.read([OPERACIONES])
    (key, size), = first.http.answered.items()
    kept = {key: size, "older": 1}  # as loaded from a cache file: this read first
    backend = GoogleBackend("live", session=requests.Session(), endpoint=first.http.endpoint,
                            retry=FAST_RETRY, answered=kept)
    steps: list[Step] = []
    with phase(steps.append, "reading"):
        backend.read([OPERACIONES])
    assert any(s.estimated and s.total == size for s in bytes_of(steps)), steps
    assert list(kept) == ["older", key]
