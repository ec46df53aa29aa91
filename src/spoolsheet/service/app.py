"""``create_app``: the FastAPI application holding the one long-lived writer of one workbook.

The lifespan opens the workbook the settings name (or the one ``open_wb`` gives), keeps one
``OccupationService`` and its ``Writer`` thread for the process's life, and closes them on
shutdown. The service runs the migration chain's drift check (``SPOOLSHEET_MIGRATIONS``, as
``migrate check``) each time it reloads its directory: on drift every call is refused (503
``drift``) and /healthz says why, until the sheet is fixed. Routers are included here
(``api.router``; the pages' router beside it), so a new concern is one more ``include_router``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import migrations
from ..errors import ConfigurationError, SpoolsheetError
from ..occupation import LayoutDrift, OccupationService
from ..settings import Settings
from ..workbook import Workbook, open_workbook
from . import api, pages
from .auth import AuthError, Tokens
from .errors import error_body
from .quota import Paced, Quota
from .writer import Writer


def create_app(settings: Settings | None = None, *, open_wb: Callable[[], Workbook] | None = None,
               tokens: Tokens | None = None, quota: Quota | None = None) -> FastAPI:
    """The service for the workbook ``settings`` name (``open_wb`` overrides how it is opened,
    e.g. on a test's fake); ``tokens`` and ``quota`` default to the settings' ones."""
    settings = settings or Settings()
    tokens = tokens if tokens is not None else Tokens.from_settings(settings)
    layout_check = migrations.layout_check()  # a bad migrations folder stops the start, named

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        paced = quota or Quota(settings.reads_per_minute or settings.writes_per_minute,
                               settings.writes_per_minute)
        workbook = Paced(open_wb() if open_wb is not None else open_workbook(settings), paced)
        service = OccupationService(workbook, view_ttl=settings.view_ttl,
                                    layout_check=layout_check)
        writer = Writer(service, paced)
        app.state.writer, app.state.tokens = writer, tokens
        app.state.backend, app.state.startup_error = workbook.kind, None
        try:
            with writer.reading():
                service.workers()  # warm the directory: one read; a bad workbook shows at once
        except LayoutDrift:
            pass  # /healthz shows the service's drift, as the last check found it
        except SpoolsheetError as exc:
            app.state.startup_error = str(exc)
        writer.start()
        try:
            yield
        finally:
            writer.stop()
            workbook.close()

    app = FastAPI(title="spoolsheet", summary="Who has which spool: the shop floor's API",
                  lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the service on uvicorn until SIGINT/SIGTERM (the group in flight is finished first).

    Without tokens it listens on loopback only: anyone who reaches it could change the sheet.
    """
    import uvicorn

    settings = settings or Settings()
    tokens = Tokens.from_settings(settings)
    if not tokens and not loopback(host):
        raise ConfigurationError(f"refusing to listen on {host} without tokens: set "
                                 f"SPOOLSHEET_API_TOKENS or SPOOLSHEET_API_TOKENS_FILE, or listen "
                                 f"on 127.0.0.1 (e.g. behind a reverse proxy that adds them)")
    uvicorn.run(create_app(settings, tokens=tokens), host=host, port=port, log_level="info",
                proxy_headers=True, server_header=False)


def install_error_handlers(app: FastAPI) -> None:
    """Every failure as JSON ``{error, message, ...}``; never a stack trace to a client."""

    @app.exception_handler(SpoolsheetError)
    async def library_error(request: Request, exc: SpoolsheetError) -> JSONResponse:
        status, body, headers = error_body(exc)
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        code = "unauthenticated" if exc.status == 401 else "forbidden"
        return JSONResponse({"error": code, "message": str(exc)}, status_code=exc.status,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                             for e in exc.errors())
        return JSONResponse({"error": "invalid", "message": problems}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": code, "message": str(exc.detail)},
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal", "message": "internal error; the server log "
                                                             "has the details"}, status_code=500)
