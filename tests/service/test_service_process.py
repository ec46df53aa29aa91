"""``spoolsheet serve`` as a real process: SIGKILLed while a group write is in flight, restarted,
and every change either landed whole (row + version + event) or not at all; an idempotent retry
of each gives the right answer. Also: it refuses to listen beyond loopback without tokens."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from served import SECRET, TOKENS

from spoolsheet.audit import read_events
from spoolsheet.occupation import OccupationService, Operation, Stage
from spoolsheet.schema import METADATA

CLEAN = ("SPOOLSHEET_", "GOOGLE_")


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    return {**env, "SPOOLSHEET_API_TOKENS": TOKENS, "SPOOLSHEET_WRITES_PER_MINUTE": "6000",
            "SPOOLSHEET_VIEW_TTL": "0", **extra}


def file_size_limit(size: int) -> Callable[[], None]:
    """For a child: files it writes cannot grow past ``size`` bytes (a write past it fails with
    EFBIG, as on a full disk), the signal that would kill it for trying ignored."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


@contextmanager
def server(tmp_path: Path, env: dict[str, str], *args: str,
           limit: Callable[[], None] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """``spoolsheet serve --port 0`` in its own process; yields it and its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "spoolsheet", "serve", "--port", "0", *args],
                            cwd=tmp_path, env=env, text=True, stderr=subprocess.PIPE,
                            preexec_fn=limit)
    assert proc.stderr is not None
    base = None
    lines = []
    deadline = time.monotonic() + 60
    while base is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
        base = found.group(1) if found else None
    assert base, "".join(lines)
    drain = threading.Thread(target=proc.stderr.read, daemon=True)  # never block on a full pipe
    drain.start()
    try:
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        drain.join(5)
        proc.stderr.close()


def kill_mid_group_then_retry(tmp_path: Path, env: dict[str, str], look: OccupationService,
                              in_flight: float, arm=None, count: int = 8) -> None:
    """``count`` TOMARs of free spools sent at once; SIGKILL after ``in_flight`` seconds."""
    armadores = [w for w in look.workers() if w.activo and w.has_role("Armador")]
    tags = [s.tag for s in look.spools() if s.free and s.version == 0 and s.materiales is not None
            and s.stage(Operation.ARM) is not Stage.DONE][:count]
    changes = [(f"kill9-{in_flight}-{i}", tag, armadores[i % len(armadores)].id)
               for i, tag in enumerate(tags)]
    auth = {"Authorization": f"Bearer {SECRET}"}

    def send(client: httpx.Client, key: str, tag: str, worker: int) -> httpx.Response | None:
        try:
            return client.post(f"/spools/{tag}/tomar", json={"worker": worker, "op": "ARM"},
                               headers={**auth, "Idempotency-Key": key})
        except httpx.TransportError:
            return None  # the server died under us: the answer is lost, not the change

    with server(tmp_path, env) as (proc, base), httpx.Client(base_url=base, timeout=30) as client:
        if arm is not None:
            arm()
        threads = [threading.Thread(target=send, args=(client, *c)) for c in changes]
        for t in threads:
            t.start()
        time.sleep(in_flight)
        proc.send_signal(signal.SIGKILL)
        for t in threads:
            t.join(30)
    check_whole(look, changes)
    with server(tmp_path, env) as (_, base), httpx.Client(base_url=base, timeout=30) as client:
        answers = {key: send(client, key, tag, worker) for key, tag, worker in changes}
    events = check_whole(look, changes)
    for key, tag, _ in changes:
        answer = answers[key]
        assert answer is not None and answer.status_code == 200, answer and answer.text
        (logged,) = [e for e in events if e.metadata.get("idempotency_key") == key]
        assert answer.json()["event_id"] == logged.id and answer.json()["tag"] == tag


def check_whole(look: OccupationService, changes: list[tuple[str, str, int]]) -> list:
    """Each change is there whole or not at all: its event iff its row (holder, version)."""
    events = list(read_events(look.workbook.read_sheet(METADATA)))
    for key, tag, worker in changes:
        logged = [e for e in events if e.metadata.get("idempotency_key") == key]
        spool = look.get(tag)
        assert len(logged) <= 1
        if logged:
            assert (spool.version, spool.holder and spool.holder.id) == (1, worker), key
        else:
            assert (spool.version, spool.holder) == (0, None), key
    return events


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_kill_9_mid_group_on_xlsx(opener, tmp_path, v3_workbook):
    path = tmp_path / v3_workbook.name  # the copy ``opener`` opens
    env = environment(tmp_path, SPOOLSHEET_WORKBOOK=str(path))
    with opener() as wb:
        for in_flight in (0.01, 0.05):  # early in the groups and later: both must hold
            kill_mid_group_then_retry(tmp_path, env, OccupationService(wb), in_flight, count=6)


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["google"])
def test_kill_9_while_the_group_write_hangs_on_google(opener, tmp_path, fake_google):
    fake_google.hang_seconds = 3.0
    with fake_google.serve() as fake, opener() as wb:
        env = environment(tmp_path, GOOGLE_SHEET_ID="live", SPOOLSHEET_GOOGLE_ENDPOINT=fake.base_url)

        def arm() -> None:
            fake_google.inject(kind="write", nth=1, fault="hang")

        kill_mid_group_then_retry(tmp_path, env, OccupationService(wb), 1.0, arm)
        assert fake_google.count(kind="write", status=None) >= 1  # it really was in flight


@pytest.mark.slow
@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_a_write_failing_mid_file_on_xlsx_fails_every_caller_and_changes_nothing(
        opener, tmp_path, v3_workbook):
    """A real failure in the middle of the group's file write (the file may not grow past half
    its size: EFBIG, like a full disk): every caller of the group gets an error, the file is
    byte-identical, and after a restart without the limit each retry applies once."""
    path = tmp_path / v3_workbook.name
    env = environment(tmp_path, SPOOLSHEET_WORKBOOK=str(path), SPOOLSHEET_WRITES_PER_MINUTE="60")
    with opener() as wb:
        look = OccupationService(wb)
        armadores = [w.id for w in look.workers() if w.activo and w.has_role("Armador")]
        tags = [s.tag for s in look.spools() if s.free and s.materiales is not None
                and s.stage(Operation.ARM) is Stage.PENDING][:4]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    auth = {"Authorization": f"Bearer {SECRET}"}
    answers: dict[int, httpx.Response] = {}

    def tomar(client: httpx.Client, i: int) -> httpx.Response:
        return client.post(f"/spools/{tags[i]}/tomar", headers={**auth, "Idempotency-Key": f"fs-{i}"},
                           json={"worker": armadores[i % len(armadores)], "op": "ARM"})

    with server(tmp_path, env, limit=file_size_limit(path.stat().st_size // 2)) as (_, base), \
            httpx.Client(base_url=base, timeout=30) as client:
        threads = [threading.Thread(target=lambda i=i: answers.update({i: tomar(client, i)}))
                   for i in range(4)]  # the first opens a group; the other three share the next
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    for answer in answers.values():
        assert (answer.status_code, answer.json()["error"]) == (502, "storage_refused"), answer.text
        assert "was not changed" in answer.json()["message"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob(f".{path.name}.*.tmp"))  # no half-written file left behind
    with server(tmp_path, env) as (_, base), httpx.Client(base_url=base, timeout=30) as client:
        retried = [tomar(client, i) for i in range(4)]
    assert [(r.status_code, r.json()["version"], r.json()["replayed"]) for r in retried] == [
        (200, 1, False)] * 4
    with opener() as wb:
        logged = [e.metadata.get("idempotency_key") for e in read_events(wb.read_sheet(METADATA))]
    assert sorted(k for k in logged if k and k.startswith("fs-")) == [f"fs-{i}" for i in range(4)]


def test_no_listening_beyond_loopback_without_tokens(tmp_path, v3_workbook):
    env = {k: v for k, v in environment(tmp_path, SPOOLSHEET_WORKBOOK=str(v3_workbook)).items()
           if k != "SPOOLSHEET_API_TOKENS"}
    done = subprocess.run([sys.executable, "-m", "spoolsheet", "serve", "--host", "0.0.0.0",
                           "--port", "0"], cwd=tmp_path, env=env, text=True, capture_output=True,
                          timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "refusing to listen on 0.0.0.0 without tokens" in done.stderr
    assert done.stderr.count("\n") == 1
