"""The JSON routes: each a thin layer over one OccupationService call of the same name.

State changes go to the one ``Writer`` (group commit) and are awaited without holding a
worker thread; reads run between two groups. Errors are raised as library errors and turned
into JSON once, by the handlers ``app.py`` installs (``service/errors.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..errors import SpoolsheetError
from ..occupation import Action, Operation, Spool, StateChange
from .auth import Caller, Tokens
from .writer import Writer

router = APIRouter()

Worker = Annotated[int | str, Field(description="The worker's Id (93) or INICIALES(ID) (MR(93)).")]
ExpectVersion = Annotated[int | None, Field(None, description="Refuse (409) unless the spool is "
                                                                "at this version.")]
ExpectRowHash = Annotated[str | None, Field(None, max_length=64, description=(
    "Refuse (409 changed) unless every cell of the row is as when it was read (row_hash)."))]
IdempotencyKey = Annotated[str | None, Header(
    description="Any unique text per request: a retry with the same key gets the first answer "
                "and never applies twice (kept in the audit log, so across restarts).")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker: Worker
    expect_version: ExpectVersion = None
    expect_row_hash: ExpectRowHash = None


class TomarBody(Body):
    op: Operation


def writer_of(request: Request) -> Writer:
    writer: Writer = request.app.state.writer
    return writer


def tokens_of(request: Request) -> Tokens:
    tokens: Tokens = request.app.state.tokens
    return tokens


async def reader(request: Request,
                 authorization: Annotated[str | None, Header()] = None) -> Caller:
    """Any valid token (or none, when the service runs without tokens). ``async``: pure CPU, so
    it runs on the event loop instead of a hop to FastAPI's thread pool and back (the tablets'
    burst of requests after each group write is what decides whether they make the next group)."""
    return tokens_of(request).check(authorization, write=False)


async def changer(request: Request,
                  authorization: Annotated[str | None, Header()] = None) -> Caller:
    """A token that may write (``async`` as ``reader``)."""
    return tokens_of(request).check(authorization, write=True)


async def change(request: Request, action: Action, tag: str, body: Body, caller: Caller,
                 key: str | None) -> dict[str, object]:
    """Queue the change for the next group write and await its outcome (or raise its refusal)."""
    op = body.op if isinstance(body, TomarBody) else None
    state_change = StateChange.of(action, tag, body.worker, op, expect_version=body.expect_version,
                                  expect_row_hash=body.expect_row_hash, key=key, client=caller.name)
    result = await asyncio.wrap_future(writer_of(request).submit(state_change))
    if isinstance(result, SpoolsheetError):
        raise result
    return result.as_dict()


def change_route(action: Action, body_type: type[Body], summary: str) -> None:
    """``POST /spools/{tag}/<action>``: one route per action, the same body of work.

    ``{tag:path}``: a TAG may hold a ``/`` (sent as is or as ``%2F``).
    """

    async def route(request: Request, tag: str, body: Body,
                    caller: Annotated[Caller, Depends(changer)],
                    idempotency_key: IdempotencyKey = None) -> dict[str, object]:
        return await change(request, action, tag, body, caller, idempotency_key)

    route.__annotations__["body"] = body_type  # a class, not the name of a closure variable
    route.__name__ = route.__qualname__ = action.value.lower()
    route.__doc__ = summary
    router.post(f"/spools/{{tag:path}}/{action.value.lower()}", tags=["state changes"])(route)


change_route(Action.TOMAR, TomarBody, "Take a free spool for ARM or SOLD: the new version and the "
                                      "event id.")
change_route(Action.PAUSAR, Body, "Release a spool you hold, keeping its progress.")
change_route(Action.COMPLETAR, Body, "Finish the operation you took the spool for, and release it.")


@router.get("/spools", tags=["reads"])
def spools(request: Request, _: Annotated[Caller, Depends(reader)],
           state: Literal["free", "occupied", "all"] = "all",
           op: Operation | None = None,
           offset: Annotated[int, Query(ge=0)] = 0,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, object]:
    """Spools in sheet order (only the free or the occupied ones, only those an operation
    concerns now), a page at a time; ``unreadable`` names each spool a bad cell hides.

    Entries carry no ``row_hash``: a listing reads only the columns it shows (``GET
    /spools/{tag}`` gives the spool with the row_hash to expect)."""
    with writer_of(request).reading() as service:
        survey = service.survey(free=state == "free", occupied=state == "occupied", op=op)
    found = [s for s in survey if isinstance(s, Spool)]
    return {"total": len(found), "offset": offset, "limit": limit,
            "spools": [{k: v for k, v in s.as_dict().items() if k != "row_hash"}
                       for s in found[offset:offset + limit]],
            "unreadable": [str(p) for p in survey if not isinstance(p, Spool)]}


@router.get("/spools/{tag:path}/history", tags=["reads"])
def history(request: Request, tag: str,
            _: Annotated[Caller, Depends(reader)]) -> dict[str, object]:
    """Who held the spool, for which operation, from when to when. (Matched before ``GET
    /spools/{tag}``: a TAG ending in ``/history`` is asked for by the page's ``?tag=``.)"""
    with writer_of(request).reading() as service:
        found = service.history(tag)
    return {"tag": tag, "holdings": [
        {k: v.isoformat() if isinstance(v, dt.date) else v
         for k, v in dataclasses.asdict(h).items()} for h in found]}


@router.get("/spools/{tag:path}", tags=["reads"])
def spool(request: Request, tag: str, _: Annotated[Caller, Depends(reader)]) -> dict[str, object]:
    """The spool: its row, stages, holder and the version to expect when changing it."""
    with writer_of(request).reading() as service:
        return service.get(tag).as_dict()


@router.get("/workers", tags=["reads"])
def workers(request: Request, _: Annotated[Caller, Depends(reader)]) -> dict[str, object]:
    """Every worker: Id, INICIALES(ID), name, active or not, active roles."""
    with writer_of(request).reading() as service:
        return {"workers": [w.as_dict() for w in service.workers()]}


@router.get("/healthz", tags=["service"])
def healthz(request: Request) -> dict[str, object]:
    """Liveness without a token and without a request to the storage: what the writer knows
    (``drift``: what the last layout check found, re-checked when the directory reloads)."""
    writer = writer_of(request)
    last = writer.last_write
    problem: str | None = request.app.state.startup_error
    drift = writer.service.drift
    return {"status": "degraded" if problem or drift else "ok", "problem": problem,
            "drift": drift or None,
            "backend": request.app.state.backend,
            "schema_version": writer.service.directory.schema_version or None,
            "quota_per_minute": writer.quota.limits,
            "quota_used_this_minute": {k: writer.quota.used(k) for k in writer.quota.limits},
            "last_write": last.isoformat() if last else None,
            "queue_depth": writer.queue_depth, "groups_written": writer.groups}
