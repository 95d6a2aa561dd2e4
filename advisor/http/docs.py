"""/docs and /redoc served from this server: Swagger UI and ReDoc assets come from a pip package.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so offline they are blank. The
`fastapi-offline` package ships the same files (Swagger UI bundle and CSS, ReDoc standalone,
favicon); they are mounted under STATIC_DOCS_PATH and the pages point there.
Nothing is fetched at run time: Google Fonts are off for ReDoc and Swagger UI's online spec
validator is disabled (it would send the spec to validator.swagger.io). The pages'
Content-Security-Policy (advisor.http.headers.DOCS_POLICY) keeps images, fonts and fetches on this server.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DOCS_PATH = "/static-docs"
DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
OAUTH2_REDIRECT_PATH = DOCS_PATH + "/oauth2-redirect"


def assets_dir() -> str:
    """The folder of Swagger UI / ReDoc files inside the installed `fastapi_offline` package."""
    return str(files("fastapi_offline") / "static")



def install_offline_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc with local assets; the app must be created with docs_url=redoc_url=None."""
    app.mount(STATIC_DOCS_PATH, StaticFiles(directory=assets_dir()), name="static-docs")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{STATIC_DOCS_PATH}/favicon.png"

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
            swagger_js_url=f"{STATIC_DOCS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_DOCS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_PATH, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API reference",
            redoc_js_url=f"{STATIC_DOCS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
