"""Server-rendered pages: templates, the session cookie, and what 401/403 look like.

`install(app)` is called once by the composition root: it mounts the static files, adds the page
and session routers and the authentication error handlers, and serves the API docs to signed-in
users only.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from review_ui.policy import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Forbidden,
    LoginRequired,
    Principal,
    signed_in,
)
from scribe.settings import Settings

__all__ = ["clear_session_cookie", "install", "render", "set_session_cookie", "templates"]

LOGIN_CSRF_COOKIE = "scribe_login_csrf"
# Pages hold PHI: never cached, never framed, scripts and forms only from this site.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("review_ui"))) / name


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The page templates (autoescaped HTML), loaded once."""
    env = Environment(
        loader=FileSystemLoader(str(_package_dir("templates"))),
        autoescape=select_autoescape(default=True),
    )
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in user and the CSRF token its forms must carry."""
    principal: Principal | None = getattr(request.state, "principal", None)
    page = {
        "user": principal,
        "csrf_field": CSRF_FIELD,
        "csrf_token": principal.csrf_token if principal else "",
        **(context or {}),
    }
    response = templates().TemplateResponse(request, name, page, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    if settings.session_cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.session_cookie_secure == "always"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure as configured."""
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_absolute_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    """The sign-in form's double-submit token (there is no session to bind it to yet)."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api") or "text/html" not in accept


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _error: LoginRequired) -> Response:
        response: Response
        if _wants_json(request):
            response = JSONResponse({"detail": "sign in required"}, status_code=401)
        else:
            target = quote(request.url.path, safe="/")
            response = RedirectResponse(f"/login?next={target}", status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            clear_session_cookie(response, request)
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(error)}, status_code=403)
        return render(request, "error.html", {"message": str(error)}, status_code=403)


def _install_docs(app: FastAPI) -> None:
    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(signed_in)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(signed_in)])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")


def install(app: FastAPI) -> None:
    """Add static files, pages, session API, docs and the 401/403 handlers to `app`."""
    from review_ui import (
        api_session,
        pages_admin,
        pages_auth,
        pages_capture,
        pages_compliance,
        pages_encounters,
    )
    from review_ui.pages_queue import router as queue_pages

    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")
    app.include_router(api_session.router)
    app.include_router(pages_auth.router)
    app.include_router(pages_admin.router)
    app.include_router(queue_pages)
    app.include_router(pages_encounters.router)
    app.include_router(pages_compliance.router)
    app.include_router(pages_capture.router)
    _install_docs(app)
    _install_error_handlers(app)
