"""`/api/v1/docs`: Swagger UI served from the `swagger-ui-py` package's files, never from a CDN (#17.6).

FastAPI's own page loads its script from a CDN without integrity and starts it with an inline script, so
it had to go without a Content-Security-Policy. Here the assets are this server's files and the start-up
script is a file too (`swagger-init.js`): the page keeps `script-src 'self'`. Swagger UI 5 reads the
OpenAPI 3.1 document FastAPI writes.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(swagger_ui.__file__).parent / "static"


def install(app: FastAPI, docs_path: str, openapi_url: str) -> None:
    """The page at `docs_path`, its assets under `docs_path/aset/`, and the start-up script."""
    assets = f"{docs_path}/aset"
    page = f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>siks API — dokumentasi</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{docs_path}/swagger-init.js"></script></body></html>"""
    init = """window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: el.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
});
"""

    @app.get(docs_path, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{docs_path}/swagger-init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(init, media_type="text/javascript")

    app.mount(assets, StaticFiles(directory=str(ASSETS)), name="swagger-ui")
