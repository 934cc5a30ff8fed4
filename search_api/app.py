"""The HTTP API and web page, assembled: middleware, error handlers, the routers, static files.

The routes live in ``search_api.routes`` (``api``: JSON, the feed, originals; ``pages``: the web
page). The shell builds the configuration and the search service (``motesok.runtime.build_app``):
the model and the store are loaded once, before the app; requests only read.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_api.routes import api, pages
from search_api.routes.deps import AppConfig
from search_api.service import SearchService
from search_api.web import STATIC

__all__ = ["AppConfig", "create_app"]

log = logging.getLogger("motesok.api")


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = list(e.get("loc", ()))
        if loc and loc[0] in ("query", "path", "body", "header", "cookie"):  # where, not which field
            loc = loc[1:]  # (only the first: "body" is also the name of a filter)
        loc = [str(p) for p in loc]
        out.append({"field": ".".join(loc) or None, "message": e.get("msg", "invalid")})
    return out


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # registered for that class only
    details = _errors(exc)
    message = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
    return JSONResponse({"error": f"ogiltig förfrågan: {message}", "details": details}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # registered for that class only
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


def create_app(config: AppConfig, service: SearchService) -> FastAPI:
    """The app over ``service``, configured by ``config`` (both built by the shell)."""
    app = FastAPI(
        title="Mötessök API",
        version=config.version,
        description="Sök i protokoll, kallelser och handlingar från regioner och kommuner.",
    )
    app.state.service = service
    app.state.config = config

    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=config.cors_origins, allow_methods=["GET"])

    @app.middleware("http")
    async def log_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        outcome, status = "ok", 500
        try:
            response = await call_next(request)
            status = response.status_code
            outcome = "ok" if status < 400 else "client_error" if status < 500 else "error"
            return response
        except Exception:
            outcome = "error"
            log.exception("unhandled error", extra={"request_id": request_id, "path": request.url.path})
            return JSONResponse({"error": "internt fel", "request_id": request_id}, status_code=500)
        finally:
            extra: dict[str, Any] = {"request_id": request_id, "method": request.method, "path": request.url.path,
                                     "status": status, "outcome": outcome,
                                     "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
            if config.log_queries:
                extra["query"] = unquote_plus(str(request.url.query))  # readable: "q=ambulanshelikopter&year=2024"
            # One line per request; the query string only when MOTESOK_LOG_QUERIES is on.
            log.log(logging.ERROR if outcome == "error" else logging.INFO, "request", extra=extra)

    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # routing's own errors (no such path, wrong method): JSON under /api, a page elsewhere
    app.add_exception_handler(StarletteHTTPException, pages.unrouted)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
