"""The service keeps within the storage's read quota, not only its write quota (issue 9): GET
endpoints, cache refreshes and each group's fresh read all spend the same reads a minute, so
the service waits for room instead of drawing 429s from Google (the fake's real quota, with
its window shortened so a test sees it roll over)."""

from __future__ import annotations

import threading
import time

import pytest
from served import TOKENS, serve, settings

from spoolsheet.occupation import Operation, Stage
from spoolsheet.service import create_app
from spoolsheet.service.auth import Tokens
from spoolsheet.service.quota import Quota

WINDOW = 1.5  # seconds the fake and the service count their quotas over, instead of 60
READS = 4  # per window


def test_quota_counts_each_kind_over_its_window():
    now = [0.0]
    quota = Quota(2, 5, window=10, clock=lambda: now[0])
    quota.record("reads", 2)
    assert (quota.used("reads"), quota.used("writes")) == (2, 0)
    assert quota.delay("reads") == 10 and quota.delay("writes") == 0
    now[0] = 4.0
    quota.record("writes")
    assert quota.delay("reads") == 6
    now[0] = 10.0  # the two reads leave the window
    assert (quota.used("reads"), quota.delay("reads"), quota.used("writes")) == (0, 0, 1)


@pytest.mark.parametrize("backend_kind", ["google"])
def test_gets_and_state_changes_wait_for_the_read_quota_never_a_429(opener, fake_google):
    quota = Quota(READS, 6000, window=WINDOW)
    app = create_app(settings(), open_wb=opener, tokens=Tokens.parse(TOKENS, "test"), quota=quota)
    with serve(app, opener) as served:
        a = served.qualified("Armador")[0]
        tags = [s.tag for s in served.look().spools() if s.free and s.materiales is not None
                and s.stage(Operation.ARM) is Stage.PENDING][:3]
        time.sleep(WINDOW)  # the service's warm-up read leaves its window
        fake_google.quotas.window = WINDOW  # from now on, only the service reads
        fake_google.set_quota(read_per_user=READS, write_per_user=None)
        fake_google.quotas.reset()
        fake_google.reset_log()
        started = time.monotonic()
        answers = []
        reader = threading.Thread(target=lambda: answers.extend(
            served.client.get(f"/spools/{tags[i % 3]}") for i in range(8)))  # view_ttl 0: reads
        reader.start()
        answers += [served.post(tag, "tomar", worker=a.id, op="ARM") for tag in tags]
        reader.join()
        elapsed = time.monotonic() - started
        health = served.client.get("/healthz").json()
    assert [r.status_code for r in answers] == [200] * 11, [r.text for r in answers]
    reads = fake_google.count("read")
    assert fake_google.count(status=429) == 0 and reads >= 11  # every answer needed a read
    # READS a window: the reads cannot all have fitted in fewer windows than this
    assert elapsed >= (reads // READS - 1) * WINDOW * 0.9
    assert health["quota_per_minute"]["reads"] == READS
    assert 0 < health["quota_used_this_minute"]["reads"] <= READS
