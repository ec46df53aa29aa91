"""A long Google read shows its bytes as they arrive: on a terminal, never on stdout, from the
real backend reading a real socket, with the edge's retries still around the body.

The fake serves from its own process with a ``--bandwidth``, so that its answers come in slowly,
gzip and chunked, as Google's do; the read of the workbook then takes seconds on any machine.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from test_progress_pty import ANSI, on_a_terminal

from spoolsheet.progress import Step, phase
from spoolsheet.schema import OPERACIONES
from spoolsheet.testing.fake_google import FakeGoogle
from spoolsheet.testing.fake_google.server import FakeServer
from spoolsheet.workbook import GoogleBackend
from spoolsheet.workbook.retry import FAST_RETRY

#: Bytes a second the fake sends: the 200-spool workbook's read (~50 kB gzip) takes about 3 s.
BANDWIDTH = 15_000
BYTES = re.compile(r"reading the workbook\S*\s.*?(\d+(?:\.\d+)?) (kB|MB|bytes)\b.*?/s")


@pytest.fixture(scope="module")
def slow_google(sample_small) -> Iterator[str]:
    """The fake in its own process, sending every answer at ``BANDWIDTH``; its base URL (one
    for the module: each test makes a backup of its own, whatever the others made)."""
    fake = subprocess.Popen([sys.executable, "-m", "spoolsheet.testing.fake_google", "serve",
                             "--load", str(sample_small), "--id", "live",
                             "--bandwidth", str(BANDWIDTH)], stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    try:
        yield fake.stdout.readline().strip()
    finally:
        fake.terminate()
        fake.wait(10)
        fake.stdout.close()


def test_a_long_google_read_counts_its_bytes_on_the_terminal_and_stdout_keeps_only_json(
        slow_google, tmp_path):
    chunks, code, out = on_a_terminal(["--sheet-id", "live", "backup", "create", "--json"],
                                      tmp_path, {"SPOOLSHEET_GOOGLE_ENDPOINT": slow_google},
                                      stdout=subprocess.PIPE)
    screen = ANSI.sub(b"", b"".join(c for _, c in chunks)).decode(errors="replace")
    assert code == 0, screen
    assert json.loads(out)["backup"]["name"].startswith("Kronos_small_v2.1_backup_"), out
    counts = [(t, kilobytes(ANSI.sub(b"", c).decode(errors="replace"))) for t, c in chunks]
    drawn = [(t, kb) for t, kb in counts if kb is not None]
    assert drawn, f"no byte count on the display: {screen[-500:]!r}"
    whole = max(kb for _, kb in drawn)
    start, end = drawn[0][0], next(t for t, kb in drawn if kb == whole)
    assert whole > 100 and end - start > 2, "the read was not slow: nothing to learn"
    during = [kb for t, kb in drawn if t <= end]
    assert len(set(during)) >= 4 and during == sorted(during), f"the bytes did not move: {during}"
    times = [t for t, _ in counts if start <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) <= 1.0, f"the screen stood still for {max(gaps):.1f} s during the read"


def test_a_run_after_another_shows_the_first_reads_total_as_an_estimate(slow_google, tmp_path):
    """Google sends no length: the first run's read has no total; the run after it, a new
    process, shows the size the first one kept (``≈``), and the cache holds no id or name."""
    env = {"SPOOLSHEET_GOOGLE_ENDPOINT": slow_google}
    screens = []
    for _ in range(2):
        chunks, code, _ = on_a_terminal(["--sheet-id", "live", "backup", "create"], tmp_path, env)
        screen = ANSI.sub(b"", b"".join(c for _, c in chunks)).decode(errors="replace")
        assert code == 0, screen
        screens.append([line for line in screen.replace("\r", "\n").splitlines()
                        if "reading the workbook" in line and "/s" in line])
    first, second = screens
    assert first and not any("/≈" in line for line in first), first
    assert any("/≈" in line for line in second), second
    kept = (tmp_path / "cache" / "spoolsheet" / "answer-sizes.json").read_text()
    assert json.loads(kept) and "live" not in kept and "Operaciones" not in kept


def kilobytes(screen: str) -> float | None:
    """The last byte count the read's line shows in ``screen``, in kB (None: not drawn)."""
    found = BYTES.findall(screen)
    if not found:
        return None
    number, unit = found[-1]
    return float(number) * {"bytes": 1e-3, "kB": 1, "MB": 1e3}[unit]


def test_piped_a_slow_read_draws_nothing(slow_google, tmp_path):
    env = {**os.environ, "SPOOLSHEET_GOOGLE_ENDPOINT": slow_google}
    out = subprocess.run([sys.executable, "-m", "spoolsheet", "--sheet-id", "live", "backup",
                          "create"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "" and "\x1b[" not in out.stdout and "kB" not in out.stdout


def steps_of_a_read(backend: GoogleBackend) -> list[Step]:
    steps: list[Step] = []
    with phase(steps.append, "reading the workbook"):
        sheets = backend.read()
    assert len(sheets[OPERACIONES].rows) > 200
    return steps


@pytest.fixture
def served(sample_small) -> Iterator[tuple[FakeGoogle, str]]:
    fake = FakeGoogle()
    fake.load_xlsx(sample_small, "live")
    with fake.serve() as server:
        yield fake, server.base_url


def test_with_a_content_length_the_bytes_count_up_to_it(served):
    fake, url = served
    session = requests.Session()
    session.headers["Accept-Encoding"] = "identity"  # Google then says how long its answer is
    steps = steps_of_a_read(GoogleBackend("live", session=session, endpoint=url, retry=FAST_RETRY))
    answer = fake.log[-1].response_bytes
    counted = [s for s in steps if s.unit == "bytes"]
    assert len(counted) > 3 and all(s.total == answer for s in counted if s.done < answer)
    assert [s.done for s in counted] == sorted(s.done for s in counted)
    assert not any(s.finished for s in counted[:-1]), "a step closed the phase before its end"
    assert counted[-1].done == answer and counted[-1].finished


def test_gzip_and_chunked_count_the_bytes_of_no_known_total(served):
    fake, url = served
    steps = steps_of_a_read(GoogleBackend("live", session=requests.Session(), endpoint=url,
                                          retry=FAST_RETRY))
    counted = [s for s in steps if s.unit == "bytes"]
    assert len(counted) > 3 and all(s.total is None for s in counted[:-1])
    assert counted[-1].finished and counted[-1].done == fake.log[-1].response_bytes


def test_a_read_heard_or_not_gives_the_same_sheets(served):
    _, url = served
    backend = GoogleBackend("live", session=requests.Session(), endpoint=url, retry=FAST_RETRY)
    heard: list[Step] = []
    with phase(heard.append, "reading"):
        listened = backend.read()
    assert any(s.unit == "bytes" for s in heard) and backend.read() == listened


@pytest.fixture
def cut_once() -> Iterator[str]:
    """A server whose first answer is cut mid-body (chunked, the line dropped), the next whole."""
    listener = socket.create_server(("127.0.0.1", 0))
    body = json.dumps({"answer": "x" * 100_000}).encode()

    def serve() -> None:
        for n in range(2):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                if n == 0:
                    conn.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n"
                                 + b"%x\r\n%s\r\n" % (len(body), body[:50_000]))
                    time.sleep(0.1)
                else:
                    conn.sendall(head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    time.sleep(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread.join(5)
    listener.close()


def test_a_body_cut_mid_way_is_retried_at_the_edge(cut_once):
    backend = GoogleBackend("live", session=requests.Session(), endpoint=cut_once,
                            retry=FAST_RETRY)
    got = backend.http.call("GET", f"{cut_once}/v4/spreadsheets/live", what="reading")
    assert got == {"answer": "x" * 100_000}
    assert backend.stats.snapshot()["retries"] == 1


def test_the_fake_serves_gzip_chunked_to_who_asks_and_a_length_to_who_does_not(served):
    _, url = served
    raw = requests.get(f"{url}/v4/spreadsheets/live", stream=True,
                       headers={"Accept-Encoding": "gzip"})
    assert raw.headers["Content-Encoding"] == "gzip" and "Content-Length" not in raw.headers
    assert raw.headers["Transfer-Encoding"] == "chunked" and raw.json()["sheets"]
    plain = requests.get(f"{url}/v4/spreadsheets/live", headers={"Accept-Encoding": "identity"})
    assert int(plain.headers["Content-Length"]) == len(plain.content)
    assert plain.json() == raw.json()


def test_the_fake_s_bandwidth_paces_its_answers(sample_small):
    fake = FakeGoogle()
    fake.load_xlsx(sample_small, "live")
    with FakeServer(fake, bandwidth=200_000) as server:
        t0 = time.monotonic()
        size = len(requests.get(f"{server.base_url}/v4/spreadsheets/live?includeGridData=true",
                                headers={"Accept-Encoding": "identity"}).content)
        took = time.monotonic() - t0
    assert size > 400_000 and took >= size / 200_000 * 0.9, (size, took)
