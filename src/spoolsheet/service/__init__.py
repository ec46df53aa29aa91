"""The shop-floor HTTP service: one long-lived writer per workbook, over HTTP (docs/service.md).

``create_app(settings)`` gives the FastAPI application; ``spoolsheet serve`` runs it on uvicorn.
"""

from __future__ import annotations

from .app import create_app, serve

__all__ = ["create_app", "serve"]
