"""What routes get from the app: its configuration and the search service (FastAPI dependencies).

Module level, not inside a function: with ``from __future__ import annotations`` FastAPI resolves
the route signatures' annotations in the module's globals, and a local alias is not found there
(every route then asked for "service" and "params" as query parameters and answered 422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, cast

from fastapi import Depends, Request

from search_api.service import SearchService


@dataclass(frozen=True)
class AppConfig:
    """What the app needs of the configuration, given by the shell (``motesok.runtime.build_app``)."""

    version: str
    #: saved searches' file (search_api/alerts.py), for the unsubscribe pages
    alerts_path: Path
    #: the key that signs unsubscribe links, read (or generated) only when a link is followed
    alert_key: Callable[[], bytes]
    cors_origins: list[str] = field(default_factory=list)
    log_queries: bool = False  # the query string in the request log lines
    public_base_url: str | None = None  # links in feeds; None: the request's own address


def get_service(request: Request) -> SearchService:
    return cast(SearchService, request.app.state.service)


def get_config(request: Request) -> AppConfig:
    return cast(AppConfig, request.app.state.config)


ServiceDep = Annotated[SearchService, Depends(get_service)]
ConfigDep = Annotated[AppConfig, Depends(get_config)]
