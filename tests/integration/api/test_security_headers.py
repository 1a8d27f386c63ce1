"""Pages run only the server's own scripts and cannot be framed; files never run in the app's origin.

The attack: a PDF with JavaScript or an HTML-looking file, opened from its URL, ran as a page of
CaseTrail's origin, where it could read the CSRF cookie and call the API as the officer.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from backend.settings import Settings
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, open_case
from tests.integration.uploads import upload_media

PWA = Path(__file__).resolve().parents[3] / "pwa"
PAGES = ["/", "/party/", "/notices/"]


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            out[name] = values
    return out


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_allows_only_its_own_scripts_and_styles_and_no_framing(app_client, path):
    page = await app_client.get(path)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = directives(page.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    # Besides its own files, a page may carry the exact inline styles the server wrote into it.
    assert policy["style-src"] == ["'self'", *inline_style_hashes(page.text)]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'self'", "blob:"]  # the party's PDF, fetched with its token
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert "'unsafe-eval'" not in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] in ("no-referrer", "same-origin")
    permissions = page.headers["permissions-policy"]
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=(self)" in permissions


def inline_style_hashes(html: str) -> list[str]:
    bodies = re.findall(r"<style>(.*?)</style>", html, re.S)
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies
    ]


async def test_the_apps_splash_paints_from_the_page_itself_allowed_by_its_hash_alone(app_client):
    """The splash needs no second round trip; a style injected into the page matches no hash."""
    page = await app_client.get("/")
    splash = (PWA / "css" / "splash.css").read_text()
    assert f"<style>{splash}</style>" in page.text
    assert 'href="/css/splash.css"' not in page.text
    policy = directives(page.headers["content-security-policy"])
    assert policy["style-src"] == ["'self'", *inline_style_hashes(page.text)]
    assert len(policy["style-src"]) == 2
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]


class InlineCode(HTMLParser):
    """Finds what a strict CSP refuses: script bodies, on* handlers, style elements and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.found.append(f"<{self._in}> body")

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def test_no_html_file_of_the_app_carries_inline_script_or_style():
    for html in PWA.rglob("*.html"):
        parser = InlineCode()
        parser.feed(html.read_text())
        assert parser.found == [], f"{html.relative_to(PWA)}: {parser.found}"


async def test_api_answers_and_refusals_are_not_sniffed_and_send_no_referrer(app_client):
    for answer in (
        await app_client.get("/api/time"),
        await app_client.get("/api/cases"),  # 401
        await app_client.get("/api/no-such-route"),  # 404
    ):
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["content-security-policy"] == "sandbox"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


PDF_WITH_SCRIPT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"3 0 obj<</S/JavaScript/JS(app.alert(document.cookie))>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def test_a_pdf_from_the_blob_route_is_a_sandboxed_download_and_a_photo_stays_inline(
    app_client,
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    claimed = {"time": datetime.now(UTC).isoformat(), "clock_offset_ms": 0}
    doc = await upload_media(
        app_client, officer, case_id, PDF_WITH_SCRIPT, claimed=claimed,
        kind="media.document", media_type="application/pdf", filename="合同.pdf",
    )  # fmt: skip
    photo = await upload_media(app_client, officer, case_id, jpeg(), claimed=claimed)

    pdf = await app_client.get(f"/api/blobs/{doc['blobs'][0]}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-security-policy"] == "sandbox"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["x-content-type-options"] == "nosniff"

    image = await app_client.get(f"/api/blobs/{photo['blobs'][0]}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert "content-disposition" not in image.headers
    assert image.headers["content-security-policy"] == "sandbox"
    assert image.headers["x-content-type-options"] == "nosniff"


def test_the_service_worker_script_carries_the_pages_policy(settings: Settings):
    from backend.security_headers import PAGE_POLICY, headers_for

    assert headers_for(b"text/javascript")[b"content-security-policy"] == PAGE_POLICY.encode()
    assert headers_for(b"application/pdf")[b"content-security-policy"] == b"sandbox"
    assert headers_for(b"text/html")[b"content-security-policy"] == PAGE_POLICY.encode()
