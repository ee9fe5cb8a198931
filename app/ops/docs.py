"""The API documentation page, served from vendored Swagger UI files (no CDN)."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "docs_assets"


def mount_docs(app: FastAPI, title: str) -> None:
    """Serve ``/docs`` and its assets (``/openapi.json`` is FastAPI's own)."""
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")

    async def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title}: API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    app.add_route("/docs", docs, include_in_schema=False)
