"""The who-has-what board (``/``) and the tablet page (``/tablet``): server-rendered HTML.

The two pages carry no data, so a browser can open them without a token. What they show comes
from HTML fragments under ``/pages/`` that need the same bearer token as the JSON API: the page
asks for it once and keeps it in the browser (``static/pages.js``). State changes go to the JSON
API itself (``POST /spools/{tag}/tomar`` ...), so the tablet shows the very message the API gives
for a refusal. Text from the sheet reaches a page through Jinja's autoescape only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException

from ..occupation import OccupationService, Operation, Spool, Worker
from ..occupation.rules import concerns
from ..values import WorkerRef, format_date, shop_today
from .api import reader, writer_of
from .auth import Caller

HERE = Path(__file__).parent
STATIC = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}
#: Free spools listed per operation; the rest are counted (a search by TAG narrows them).
READY_SHOWN = 50
#: Seconds between two refreshes of the board in the browser.
REFRESH_SECONDS = 3

router = APIRouter(include_in_schema=False)
templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                               autoescape=True, undefined=jinja2.StrictUndefined)
templates.filters["date"] = lambda value: format_date(value) if value else ""


def held_for(since: dt.date | None) -> str:
    """How long a spool has been held, in the shop's days: what a supervisor looks for."""
    if since is None:
        return ""
    days = (shop_today() - since).days
    return "today" if days <= 0 else "1 day" if days == 1 else f"{days} days"


templates.filters["held_for"] = held_for


@dataclass(frozen=True)
class Board:
    """What the board shows: the spools held now, the free ones each operation can take (only
    those whose TAG contains ``query``), and the spools a bad cell keeps unreadable."""

    occupied: list[Spool]
    ready: dict[Operation, list[Spool]]
    unreadable: list[str]
    names: dict[int, str]  # worker Id → name, to say who a holder is
    query: str = ""

    def operations(self, spool: Spool) -> str:
        """What a holder is working on ("ARM or SOLD" when the columns cannot tell)."""
        return " or ".join(op.value for op in Operation if concerns(spool, op)) or "?"

    def holder(self, ref: WorkerRef | None) -> str:
        name = self.names.get(ref.id) if ref else None
        return f"{ref} {name}" if ref and name else str(ref or "")

    def matching(self, query: str) -> Board:
        """Only the spools whose TAG contains ``query`` (any case); unreadable rows always."""
        needle = query.strip().casefold()
        keep = lambda spools: [s for s in spools if needle in s.tag.casefold()]  # noqa: E731
        return replace(self, occupied=keep(self.occupied), query=query.strip(),
                       ready={op: keep(spools) for op, spools in self.ready.items()})


def board(service: OccupationService) -> Board:
    """The board as the service knows it now (its board cache, fresh within its view_ttl)."""
    survey = service.survey()
    spools = [s for s in survey if isinstance(s, Spool)]
    return Board(
        occupied=[s for s in spools if not s.free],
        ready={op: [s for s in spools if s.free and concerns(s, op)] for op in Operation},
        unreadable=[str(p) for p in survey if not isinstance(p, Spool)],
        names={w.id: w.name for w in service.directory.workers.values()},
    )


class Boards:
    """The last ``Board`` built, for as long as the service's board is the same object and no
    write landed since: building one reads every row (about 0.3 s at 2,500 spools, inside the
    writer's lock), and every open board polls it every few seconds."""

    def __init__(self) -> None:
        self._key: tuple[object, object] | None = None
        self._board: Board | None = None

    def get(self, service: OccupationService) -> Board:
        key = (service.board(), service.last_write)
        if self._board is None or self._key is None or self._key[0] is not key[0] \
                or self._key[1] != key[1]:
            self._board, self._key = board(service), key
        return self._board


def render(name: str, **context: object) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**context))


# --- the pages (no data: open without a token) ------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def board_page(q: str = "") -> HTMLResponse:
    """Who has what: the board, refreshing itself."""
    return render("board.html", page="board", query=q, refresh=REFRESH_SECONDS)


@router.get("/tablet", response_class=HTMLResponse)
def tablet_page() -> HTMLResponse:
    """A station's tablet: scan a TAG, pick the worker, TOMAR / PAUSAR / COMPLETAR."""
    return render("tablet.html", page="tablet", operations=list(Operation))


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """The pages' own script and style sheet (no build step, no other files)."""
    if name not in STATIC:
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(STATIC[name], headers={"Cache-Control": "no-cache"})


# --- the fragments (the data: a token, like the JSON API) -------------------------------------

@router.get("/pages/board", response_class=HTMLResponse)
def board_fragment(request: Request, _: Annotated[Caller, Depends(reader)],
                   q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The board's lists, for the page to swap in."""
    with writer_of(request).reading() as service:
        boards: Boards | None = getattr(request.app.state, "boards", None)
        if boards is None:
            boards = request.app.state.boards = Boards()
        shown = boards.get(service)
    return render("_board.html", board=shown.matching(q), shown=READY_SHOWN)


@router.get("/pages/spool", response_class=HTMLResponse)
def spool_fragment(request: Request, _: Annotated[Caller, Depends(reader)],
                   tag: Annotated[str, Query(min_length=1, max_length=200)]) -> HTMLResponse:
    """One spool's state on the tablet (the TAG as a query parameter: it may hold a ``/``)."""
    with writer_of(request).reading() as service:
        spool = service.get(tag)
        names = {w.id: w.name for w in service.directory.workers.values()}
    suggested = next((op for op in Operation if concerns(spool, op)), None)
    return render("_spool.html", spool=spool, operations=list(Operation), suggested=suggested,
                  holder=f"{spool.holder} {names.get(spool.holder.id, '')}".strip()
                  if spool.holder else None)


@router.get("/pages/workers", response_class=HTMLResponse)
def workers_fragment(request: Request, _: Annotated[Caller, Depends(reader)]) -> HTMLResponse:
    """The active workers as the tablet's choices, by name."""
    with writer_of(request).reading() as service:
        active: list[Worker] = sorted((w for w in service.workers() if w.activo),
                                      key=lambda w: (w.name.casefold(), w.id))
    return render("_workers.html", workers=active)
