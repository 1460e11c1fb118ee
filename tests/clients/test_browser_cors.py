"""A real browser against bucket CORS: a page served from another origin (a small http.server on another
loopback port) uploads with a presigned PUT URL through fetch() in headless Chromium (Debian's, driven by
Playwright), reads the exposed ETag and the object back; a page from an origin the rules do not name is
stopped by the browser's preflight, and nothing is stored."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo

from clients.conftest import S3Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BROWSER_TIMEOUT_MS = 30_000

# The uploader page: what a web application would ship. fetch() with a non-safelisted Content-Type makes
# the browser send a preflight naming content-type before the PUT.
PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>uploader</title></head><body>
<script>
async function upload(url, text) {
  try {
    const r = await fetch(url, {method: "PUT", body: text, headers: {"Content-Type": "application/octet-stream"}});
    return {ok: true, status: r.status, etag: r.headers.get("ETag")};
  } catch (e) {
    return {ok: false, error: String(e)};
  }
}
async function download(url) {
  try {
    const r = await fetch(url);
    return {ok: true, status: r.status, text: await r.text()};
  } catch (e) {
    return {ok: false, error: String(e)};
  }
}
</script></body></html>
"""


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        pass


def _serve_page() -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[str, str]]:
    """Two page origins on other loopback ports: one the bucket's rules allow, one they do not."""
    allowed, allowed_origin = _serve_page()
    other, other_origin = _serve_page()
    yield allowed_origin, other_origin
    for httpd in (allowed, other):
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium under Playwright (scripts/test installs both: a missing one fails, never skips)."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium (scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=BROWSER_TIMEOUT_MS)
        yield chromium
        chromium.close()


def _page_at(browser: object, origin: str):  # type: ignore[no-untyped-def]
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(origin + "/uploader.html")
    return page


@pytest.fixture
def cors_bucket(s3: S3Client, origins: tuple[str, str]) -> str:
    name = f"browser-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [origins[0]], "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["content-type"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60,
    }]})
    return name


def test_a_page_from_an_allowed_origin_uploads_with_a_presigned_url(
    server: ServerInfo, s3: S3Client, browser: object, origins: tuple[str, str], cors_bucket: str
) -> None:
    url = s3.generate_presigned_url("put_object", Params={"Bucket": cors_bucket, "Key": "from-browser.txt"}, ExpiresIn=300)
    page = _page_at(browser, origins[0])
    try:
        result = page.evaluate("([url, text]) => upload(url, text)", [url, "uploaded by chromium"])
        assert result["ok"], result
        assert result["status"] == 200
        stored = s3.get_object(Bucket=cors_bucket, Key="from-browser.txt")
        assert stored["Body"].read() == b"uploaded by chromium"
        assert result["etag"] == stored["ETag"]  # readable by the page only because the rule exposes it
        get_url = s3.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "from-browser.txt"}, ExpiresIn=300)
        read = page.evaluate("(url) => download(url)", get_url)
        assert read == {"ok": True, "status": 200, "text": "uploaded by chromium"}
    finally:
        page.close()


def test_a_page_from_another_origin_is_stopped_by_the_browser(
    server: ServerInfo, s3: S3Client, browser: object, origins: tuple[str, str], cors_bucket: str
) -> None:
    url = s3.generate_presigned_url("put_object", Params={"Bucket": cors_bucket, "Key": "blocked.txt"}, ExpiresIn=300)
    page = _page_at(browser, origins[1])
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        result = page.evaluate("([url, text]) => upload(url, text)", [url, "should never arrive"])
    finally:
        page.close()
    assert result["ok"] is False and "TypeError" in result["error"], result
    assert any("blocked by CORS policy" in line and "preflight" in line for line in console), console
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=cors_bucket, Key="blocked.txt")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
