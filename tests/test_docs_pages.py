"""`/docs`: the API reference rendered from /openapi.json by the Swagger UI files the package ships, and a
getting-started page; nothing is loaded from another origin (docs/api.md "Docs pages")."""

from __future__ import annotations

import re

import requests


def test_the_reference_page_loads_only_this_gateways_files(gateway):
    page = requests.get(f"{gateway.url}/docs", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # no CDN, no other origin
    for source in sources:
        response = requests.get(f"{gateway.url}{source}", timeout=30)
        assert response.status_code == 200, source
        assert len(response.content) > 100, source
    script = requests.get(f"{gateway.url}/docs/unigate.js", timeout=30).text
    assert 'url: "/openapi.json"' in script
    bundle = requests.get(f"{gateway.url}/docs/static/swagger-ui-bundle.js", timeout=30)
    assert "javascript" in bundle.headers["content-type"] and "SwaggerUIBundle" in bundle.text


def test_getting_started_needs_no_token_and_links_the_reference(gateway):
    page = requests.get(f"{gateway.url}/docs/getting-started", timeout=30)
    assert page.status_code == 200
    assert 'href="/docs"' in page.text and "unigate token create" in page.text
    assert requests.get(f"{gateway.url}/docs/static/../../app.py", timeout=30).status_code == 404
