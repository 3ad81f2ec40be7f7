"""`/api/v1/docs` is served from a package's files, under a CSP that keeps scripts to this server (#17.6)."""

from __future__ import annotations

import re

from web.support import make_client


def test_swagger_ui_comes_from_this_server(app):
    c = make_client(app, "10.7.0.1")
    page = c.get("/api/v1/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text and "http://" not in page.text
    assert "<script>" not in page.text  # no inline script: the start-up code is a file
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        asset = c.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src
    bundle = c.get("/api/v1/docs/aset/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    assert c.get("/api/v1/openapi.json").json()["openapi"].startswith("3.")
