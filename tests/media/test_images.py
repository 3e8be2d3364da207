"""I2V image inputs: base64 and URLs, with size caps, decode checks and SSRF refusals."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from ltx2sdk.errors import ImageInputError
from ltx2sdk.media.images import check_public_address, fetch_image, image_from_base64
from tests.helpers import png_bytes


def test_base64_and_data_uri() -> None:
    data = png_bytes()
    plain = image_from_base64(base64.b64encode(data).decode())
    uri = image_from_base64("data:image/png;base64," + base64.b64encode(data).decode())
    assert (plain.format, plain.width, plain.height) == ("PNG", 32, 24)
    assert uri.data == data
    assert plain.filename("x") == "x.png"


@pytest.mark.parametrize(("payload", "fragment"), [
    ("not base64!!", "not valid base64"),
    (base64.b64encode(b"hello, I am text").decode(), "not a readable image"),
    (base64.b64encode(png_bytes()[:60]).decode(), "not a readable image"),  # truncated
    ("data:image/png,rawbytes", "must be base64-encoded"),
])
def test_bad_base64_images(payload: str, fragment: str) -> None:
    with pytest.raises(ImageInputError, match=fragment) as err:
        image_from_base64(payload)
    assert err.value.field == "image_base64"


def test_base64_size_cap_is_checked_before_decoding() -> None:
    huge = "A" * (50 * 1024 * 1024)
    with pytest.raises(ImageInputError, match="larger than the 20 MiB limit"):
        image_from_base64(huge)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/a.png", "http://localhost/a.png", "http://169.254.169.254/latest/",
    "http://10.0.0.5/a.png", "http://[::1]/a.png", "http://0.0.0.0/a.png",
    "http://[::ffff:127.0.0.1]/a.png",
])
def test_private_and_special_addresses_are_refused(url: str) -> None:
    with pytest.raises(ImageInputError, match="non-public address") as err:
        fetch_image(url)
    assert err.value.field == "image_url"


@pytest.mark.parametrize(("url", "fragment"), [
    ("file:///etc/passwd", "only http and https"),
    ("ftp://example.com/a.png", "only http and https"),
    ("/tmp/a.png", "only http and https"),
])
def test_other_schemes_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(ImageInputError, match=fragment):
        fetch_image(url)


def test_public_addresses_pass_the_check() -> None:
    check_public_address("93.184.216.34", "image_url")  # no exception


class _ImageHandler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _ImageHandler.routes = {
        "/ok.png": (200, {"Content-Type": "image/png"}, png_bytes()),
        "/text": (200, {"Content-Type": "text/html"}, b"<html></html>"),
        "/fake.png": (200, {"Content-Type": "image/png"}, b"GIF89a but not really"),
        "/big.png": (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"0" * 300_000),
        "/to-ok": (302, {"Location": "/ok.png"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data"}, b""),
    }
    yield base
    server.shutdown()


def test_fetch_through_a_redirect(image_server: str) -> None:
    # loopback is trusted here only because the test server lives there
    image = fetch_image(f"{image_server}/to-ok", trusted_hosts={"127.0.0.1"})
    assert (image.format, image.width) == ("PNG", 32)


def test_loopback_test_server_is_refused_without_the_test_switch(image_server: str) -> None:
    with pytest.raises(ImageInputError, match=r"non-public address 127\.0\.0\.1"):
        fetch_image(f"{image_server}/ok.png")


@pytest.mark.parametrize(("path", "fragment"), [
    ("/text", "expected an image, the server sent text/html"),
    ("/fake.png", "not a readable image"),
    ("/big.png", "larger than the 100 KiB limit"),
    ("/missing.png", "HTTP 404"),
])
def test_fetch_failures(image_server: str, path: str, fragment: str) -> None:
    with pytest.raises(ImageInputError, match=fragment):
        fetch_image(f"{image_server}{path}", trusted_hosts={"127.0.0.1"}, max_bytes=100 * 1024)


def test_redirect_to_a_private_address_is_refused(image_server: str) -> None:
    # the first hop is trusted; the redirect target is checked like any other hop
    with pytest.raises(ImageInputError, match=r"non-public address 169\.254\.169\.254"):
        fetch_image(f"{image_server}/to-metadata", trusted_hosts={"127.0.0.1"})
