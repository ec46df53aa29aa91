"""The API over real HTTP on both backends: the life of a spool, every refusal with its status,
races, idempotent retries, failed and raced writes (real uvicorn, real client, real workbook)."""

from __future__ import annotations

import threading

import httpx
import pytest
from served import TABLET, Served

from spoolsheet.occupation import Operation, Stage
from spoolsheet.schema import OCUPADO_POR, OPERACIONES, TAG_COLUMN
from spoolsheet.workbook import ChangeSet, columns


def hand_edit(served: Served, tag: str, name: str, value) -> None:
    """What the office does in the spreadsheet: one cell, by hand, outside the service."""
    ops = served.wb.read_sheet(OPERACIONES)
    cmap = columns(ops)
    row = next(r for r in range(2, len(ops.rows) + 1) if ops.cell(r, cmap.index(TAG_COLUMN)) == tag)
    served.wb.apply(ChangeSet().put(OPERACIONES, row, cmap.index(name), value))


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_full_life_of_a_spool(served: Served):
    a, b = served.qualified("Armador")[:2]
    s = next(w for w in served.qualified("Soldador") if w.id not in (a.id, b.id))
    tag = served.fresh_spool().tag
    steps = [("tomar", a, {"op": "ARM"}, "TOMAR_SPOOL"), ("pausar", a, {}, "PAUSAR_SPOOL"),
             ("tomar", b, {"op": "ARM"}, "TOMAR_SPOOL"), ("completar", b, {}, "COMPLETAR_ARM"),
             ("tomar", s, {"op": "SOLD"}, "TOMAR_SPOOL"), ("completar", s, {}, "COMPLETAR_SOLD")]
    ids = []
    for version, (action, worker, extra, event_type) in enumerate(steps):
        got = ok(served.post(tag, action, worker=worker.id, expect_version=version, **extra))
        assert (got["version_before"], got["version"], got["event_type"]) == (
            version, version + 1, event_type)
        ids.append(got["event_id"])
        if action == "tomar":
            now = ok(served.client.get(f"/spools/{tag}"))
            assert (now["holder"], now["version"]) == (str(worker.ref), version + 1)
    events = served.events(tag)
    assert [e.id for e in events] == ids
    assert {e.metadata.get("client") for e in events} == {TABLET}  # which tablet sent each
    final = ok(served.client.get(f"/spools/{tag}"))
    assert (final["holder"], final["arm_stage"], final["sold_stage"], final["version"]) == (
        None, "done", "done", 6)
    history = ok(served.client.get(f"/spools/{tag}/history"))["holdings"]
    assert [(h["worker"], h["operation"], h["ended_by"]) for h in history] == [
        (str(a.ref), "ARM", "PAUSAR"), (str(b.ref), "ARM", "COMPLETAR"),
        (str(s.ref), "SOLD", "COMPLETAR")]


def test_listings(served: Served):
    a = served.qualified("Armador")[0]
    tag = served.fresh_spool().tag
    ok(served.post(tag, "tomar", worker=a.id, op="ARM"))
    every = ok(served.client.get("/spools", params={"limit": 1000}))
    assert every["total"] == len(served.look().spools()) == len(every["spools"])
    occupied = ok(served.client.get("/spools", params={"state": "occupied"}))["spools"]
    assert tag in [s["tag"] for s in occupied] and all(s["holder"] for s in occupied)
    free_arm = ok(served.client.get("/spools", params={"state": "free", "op": "ARM",
                                                       "limit": 1000}))["spools"]
    assert free_arm and tag not in [s["tag"] for s in free_arm]
    assert all(s["holder"] is None and s["arm_stage"] != "done" and s["materiales"]
               for s in free_arm)
    assert not any("row_hash" in s for s in every["spools"] + occupied + free_arm)  # GET one has it
    page = ok(served.client.get("/spools", params={"offset": 2, "limit": 3}))
    assert [s["tag"] for s in page["spools"]] == [s["tag"] for s in every["spools"][2:5]]
    workers = ok(served.client.get("/workers"))["workers"]
    assert {w["id"] for w in workers} == {w.id for w in served.look().workers()}


def test_a_tag_with_slashes_routes_to_every_spool_endpoint_and_page(served: Served):
    a = served.qualified("Armador")[0]
    old = served.fresh_spool().tag
    tag = f"MK/{old}/B"  # what the office typed into a TAG cell
    hand_edit(served, old, TAG_COLUMN, tag)
    assert ok(served.client.get(f"/spools/{tag}"))["tag"] == tag
    assert ok(served.client.get(f"/spools/{tag.replace('/', '%2F')}"))["tag"] == tag
    taken = ok(served.post(tag, "tomar", worker=a.id, op="ARM"))
    assert (taken["tag"], taken["version"]) == (tag, 1)
    page = served.client.get("/pages/spool", params={"tag": tag})
    assert page.status_code == 200 and tag in page.text
    assert ok(served.post(tag.replace("/", "%2F"), "pausar", worker=a.id))["version"] == 2
    history = ok(served.client.get(f"/spools/{tag}/history"))
    assert (history["tag"], [h["ended_by"] for h in history["holdings"]]) == (tag, ["PAUSAR"])
    assert [e.tag_spool for e in served.events(tag)] == [tag, tag]
    refusal(served.client.get(f"/spools/{tag}X"), 404, "spool_not_found")


def refusal(response: httpx.Response, status: int, error: str) -> dict:
    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    body = response.json()
    assert body["message"] and "Traceback" not in response.text
    return body


def test_every_refusal_has_its_status_and_changes_nothing(served: Served):
    a, b = served.qualified("Armador")[:2]
    inactive = served.workers(lambda w: not w.activo)[0]
    no_arm = served.workers(lambda w: w.activo and not w.has_role("Armador"))[0]
    spool = served.fresh_spool()
    tag = spool.tag
    done = served.spool(lambda s: s.free and s.stage(Operation.ARM) is Stage.DONE)
    no_arm_yet = served.spool(lambda s: s.free and s.tag != spool.tag
                              and s.stage(Operation.ARM) is Stage.PENDING)
    taken = ok(served.post(tag, "tomar", worker=a.id, op="ARM"))
    before = served.state()
    cases = [
        (served.post("NO-SUCH-TAG", "tomar", worker=a.id, op="ARM"), 404, "spool_not_found"),
        (served.post(tag, "pausar", worker=99999), 404, "worker_not_found"),
        (served.post(tag, "tomar", worker=b.id, op="ARM"), 409, "occupied"),
        (served.post(tag, "pausar", worker=b.id), 409, "not_holder"),
        (served.post(tag, "pausar", worker=a.id, expect_version=0), 409, "version_conflict"),
        (served.post(done.tag, "tomar", worker=inactive.id, op="ARM"), 422, "worker_inactive"),
        (served.post(no_arm_yet.tag, "tomar", worker=no_arm.id, op="ARM"), 422, "missing_role"),
        (served.post(done.tag, "tomar", worker=a.id, op="ARM"), 422, "already_done"),
        (served.post(no_arm_yet.tag, "tomar",
                     worker=served.qualified("Soldador")[0].id, op="SOLD"),
         422, "prerequisite_missing"),
        (served.post(tag, "tomar", worker=a.id, op="PINTURA"), 422, "invalid"),
        (served.post(tag, "pausar", worker=a.id, expect_version=-1), 422, "invalid"),
        (served.post(tag, "pausar", worker=a.id, color="red"), 422, "invalid"),
        (served.post(tag, "pausar", worker="XX(abc)"), 422, "invalid"),
        (served.post(tag, "pausar"), 422, "invalid"),
        (served.client.post(f"/spools/{tag}/pausar", content=b"{not json"), 422, "invalid"),
        (served.client.get("/nowhere"), 404, "not_found"),
    ]
    for response, status, error in cases:
        refusal(response, status, error)
    conflict = refusal(served.post(tag, "tomar", worker=b.id, op="ARM"), 409, "occupied")
    assert (conflict["holder"], conflict["version"]) == (str(a.ref), taken["version"])
    version = refusal(served.post(tag, "pausar", worker=a.id, expect_version=0), 409,
                      "version_conflict")
    assert (version["version"], version["expected_version"]) == (taken["version"], 0)
    assert served.state() == before


def test_auth(served: Served):
    a = served.qualified("Armador")[0]
    tag = served.fresh_spool().tag
    before = served.state()
    body = {"worker": a.id, "op": "ARM"}
    with httpx.Client(base_url=served.base_url) as anonymous:
        refusal(anonymous.post(f"/spools/{tag}/tomar", json=body), 401, "unauthenticated")
        refusal(anonymous.get("/spools"), 401, "unauthenticated")
        wrong = {"Authorization": "Bearer not-the-token-at-all-xxxxxx"}
        refusal(anonymous.post(f"/spools/{tag}/tomar", json=body, headers=wrong), 401,
                "unauthenticated")
        office = {"Authorization": "Bearer read-only-office-token-1"}
        refusal(anonymous.post(f"/spools/{tag}/tomar", json=body, headers=office), 403,
                "forbidden")
        assert ok(anonymous.get(f"/spools/{tag}", headers=office))["tag"] == tag
        health = ok(anonymous.get("/healthz"))  # the one open endpoint
    assert served.state() == before
    assert health["status"] == "ok" and health["schema_version"] == "v3.0"
    assert health["queue_depth"] == 0 and health["last_write"] is None


def test_30_concurrent_tablets_take_the_same_spool_exactly_one_wins(served: Served):
    workers = served.qualified("Armador")
    tag = served.fresh_spool().tag
    start = threading.Barrier(30)
    answers: list[httpx.Response] = []

    def tablet(i: int) -> None:
        start.wait()
        answers.append(served.post(tag, "tomar", worker=workers[i % len(workers)].id, op="ARM",
                                   expect_version=0))

    threads = [threading.Thread(target=tablet, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * 29
    assert [e.evento_tipo for e in served.events(tag)] == ["TOMAR_SPOOL"]
    assert ok(served.client.get(f"/spools/{tag}"))["version"] == 1


def test_an_idempotent_retry_gets_the_first_answer_and_applies_once(served: Served):
    a, b = served.qualified("Armador")[:2]
    tag = served.fresh_spool().tag
    first = ok(served.post(tag, "tomar", key="tablet7-0001", worker=a.id, op="ARM"))
    again = ok(served.post(tag, "tomar", key="tablet7-0001", worker=a.id, op="ARM"))
    assert again["event_id"] == first["event_id"] and again["replayed"] is True
    assert again["version"] == first["version"] == 1
    refusal(served.post(tag, "pausar", key="tablet7-0001", worker=a.id), 422, "invalid")
    assert [e.id for e in served.events(tag)] == [first["event_id"]]
    refusal(served.post(tag, "tomar", key="tablet7-0002", worker=b.id, op="ARM"), 409, "occupied")


def test_a_hand_edit_between_read_and_write_is_refused_never_overwritten(served: Served):
    a, b = served.qualified("Armador")[:2]
    tag = served.fresh_spool().tag
    seen = ok(served.client.get(f"/spools/{tag}"))
    hand_edit(served, tag, "Fecha_Materiales", "2026-01-05")  # the office, between read and write
    refusal(served.post(tag, "tomar", worker=a.id, op="ARM", expect_version=seen["version"],
                        expect_row_hash=seen["row_hash"]), 409, "changed")
    hand_edit(served, tag, OCUPADO_POR, str(b.ref))  # someone took it by hand
    refusal(served.post(tag, "tomar", worker=a.id, op="ARM"), 409, "occupied")
    assert served.events(tag) == []


@pytest.mark.parametrize("backend_kind", ["google"])
def test_a_failed_group_write_fails_every_caller_and_lands_nothing(served: Served, fake_google):
    workers = served.qualified("Armador")[:4]
    tags = [s.tag for s in served.look().spools() if s.free and s.materiales is not None
            and s.stage(Operation.ARM) is not Stage.DONE][:4]
    ok(served.client.get("/spools"))
    before = served.state()
    fake_google.inject(kind="write", nth=1, fault="500", times=1000)  # past the retry budget
    answers: list[httpx.Response] = []
    start = threading.Barrier(4)

    def tablet(i: int) -> None:
        start.wait()
        answers.append(served.post(tags[i], "tomar", worker=workers[i].id, op="ARM"))

    threads = [threading.Thread(target=tablet, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for response in answers:
        body = refusal(response, 503, "unavailable")
        assert response.headers["Retry-After"].isdigit() and "nothing" in body["message"]
    fake_google.faults.clear()
    assert served.state() == before


@pytest.mark.parametrize("backend_kind", ["google"])
def test_a_group_write_whose_answer_was_lost_answers_every_tablet_once(served: Served, fake_google):
    """The write lands, its answer is lost: the service finds it landed before answering, each
    tablet gets its own event, and each one's idempotent retry gets that same event."""
    workers = served.qualified("Armador")[:4]
    tags = [s.tag for s in served.look().spools() if s.free and s.materiales is not None
            and s.stage(Operation.ARM) is not Stage.DONE][:4]
    ok(served.client.get("/spools"))
    fake_google.inject(kind="write", nth=1, fault="lost-reply")
    answers: dict[int, httpx.Response] = {}
    start = threading.Barrier(4)

    def tablet(i: int) -> None:
        start.wait()
        answers[i] = served.post(tags[i], "tomar", key=f"tablet{i}-lost", worker=workers[i].id,
                                 op="ARM")

    threads = [threading.Thread(target=tablet, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = {i: ok(answers[i]) for i in range(4)}
    assert [e.fault for e in fake_google.log if e.kind == "write"].count("lost-reply") == 1

    def taken(tag: str) -> list[str]:
        return [e.id for e in served.events(tag) if e.evento_tipo == "TOMAR_SPOOL"]

    for i, tag in enumerate(tags):
        assert taken(tag) == [first[i]["event_id"]]
        assert ok(served.client.get(f"/spools/{tag}"))["version"] == first[i]["version"] == 1
        again = ok(served.post(tag, "tomar", key=f"tablet{i}-lost", worker=workers[i].id, op="ARM"))
        assert (again["event_id"], again["replayed"]) == (first[i]["event_id"], True)
    assert [taken(tag) for tag in tags] == [[first[i]["event_id"]] for i in range(4)]
