"""The composition root of the web service: `create_app` wires settings, database and routes."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from coding import migrations as coding_migrations
from review_ui import api, api_audio, api_audit, api_coding, api_exports, api_signoff, web
from review_ui import migrations as review_ui_migrations
from review_ui.api_capture import router as capture_router
from review_ui.api_queue import router as queue_router
from review_ui.policy import Public
from scribe.db import make_engine, upgrade_database
from scribe.services import Conflict, NotFound
from scribe.settings import Settings, get_settings
from scribe.tables import utcnow
from scribe.version import code_version

logger = logging.getLogger(__name__)


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema of every package (core, coding, web service)."""
    upgrade_database(
        database_url,
        extra_locations=[coding_migrations.versions_dir(), review_ui_migrations.versions_dir()],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI app on the configured database (migrated to head on creation)."""
    settings = settings or get_settings()
    migrate(settings.database_url)
    app = FastAPI(
        title="HCC Scribe",
        version=code_version(),
        description="Ambient scribe with grounded notes and HCC capture.",
        # The docs are served to signed-in users only (review_ui.web).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.clock = utcnow  # sessions and sign-in throttling read the time from here
    app.middleware("http")(log_requests)
    app.include_router(api.router)
    app.include_router(api_coding.router)
    app.include_router(queue_router)
    app.include_router(api_exports.router)
    app.include_router(api_signoff.router)
    app.include_router(api_audit.router)
    app.include_router(api_audio.router)
    app.include_router(capture_router)
    web.install(app)
    _install_error_handlers(app)

    @app.get("/api/health", dependencies=[Public])
    def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok", "version": code_version()}

    return app


async def log_requests(request: Request, call_next: Any) -> Any:
    """One log line per request: method, route template (never the raw path or query), status."""
    started = time.monotonic()
    response = await call_next(request)
    route = request.scope.get("route")
    template = getattr(route, "path", "(unmatched)")
    logger.info(
        "%s %s -> %s in %.0f ms",
        request.method,
        template,
        response.status_code,
        (time.monotonic() - started) * 1000,
    )
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        # Echo locations and messages only: the submitted values may be PHI.
        problems = [{"loc": item.get("loc"), "msg": item.get("msg")} for item in error.errors()]
        return JSONResponse({"detail": problems}, status_code=422)
