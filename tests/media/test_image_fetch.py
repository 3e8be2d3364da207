"""Hostile image URLs and hostile image servers (ltx2sdk.media.safe_fetch behind fetch_image).

No test sends traffic off loopback: every test runs with resolution and connection patched
(``net``): ``socket.getaddrinfo`` answers from a table (loopback literals pass through),
``socket.socket.connect`` records every address and only reaches 127.0.0.1, either
directly or through a route that stands a loopback server in for a made-up public address.
The SSRF tests prove refusal by what was looked up and connected to, and by a "secret"
loopback server that must see no request.
"""

from __future__ import annotations

import base64
import datetime
import io
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from ltx2sdk.app.generate import InputPolicy, prepare_image
from ltx2sdk.errors import FetchError, ImageInputError, LocalFileError
from ltx2sdk.media.images import (
    DEFAULT_MAX_PIXELS,
    ImageData,
    decode_image,
    fetch_image,
    image_from_base64,
)
from ltx2sdk.media.safe_fetch import address_refusal, fetch_to_file, parse_url
from ltx2sdk.request import GenerationRequest
from tests.helpers import (
    DEADLINE_SLACK,
    FakeNet,
    ImageServer,
    RawHandler,
    Route,
    patch_network,
    png_bytes,
    redirect,
    reply,
)

if TYPE_CHECKING:
    from tests.comfyserver import ComfyTestServer

PUBLIC = "93.184.216.34"  # a global address; never really reached: routed to loopback
PUBLIC_2 = "198.51.99.7"  # another global one
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


# --- images -------------------------------------------------------------------------------


def frames_bytes(fmt: str, **options: Any) -> bytes:
    """An animated file: red, green, blue frames (40x30)."""
    frames = [Image.new("RGB", (40, 30), color) for color in
              ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   **options)
    return buffer.getvalue()


def mpo_bytes() -> bytes:
    """A two-picture MPO (what phones write): a red 64x48 first image, a blue 32x32 second."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (255, 0, 0)).save(
        buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (32, 32), "blue")])
    return buffer.getvalue()


def still_bytes(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, fmt)
    return buffer.getvalue()


_BOMB: list[bytes] = []


def bomb_bytes() -> bytes:
    """A ~20 KB PNG of 13000x13000 pixels (169 MP): a decompression bomb."""
    if not _BOMB:
        buffer = io.BytesIO()
        Image.new("1", (13000, 13000)).save(buffer, "PNG")
        _BOMB.append(buffer.getvalue())
    return _BOMB[0]


def first_pixel(image: ImageData) -> tuple[int, ...]:
    with Image.open(io.BytesIO(image.data)) as opened:
        assert getattr(opened, "n_frames", 1) == 1
        assert opened.format == image.format
        pixel = opened.convert("RGB").getpixel((0, 0))
    assert isinstance(pixel, tuple)
    return pixel


# --- the network, patched (tests.helpers.FakeNet) ---------------------------------


@pytest.fixture(autouse=True)
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    return patch_network(monkeypatch)


def image(body: bytes, content_type: str = "image/png") -> Route:
    return reply(200, {"Content-Type": content_type}, body)


def drip(head: bytes, body: bytes, interval: float) -> Route:
    """``head`` at once, then ``body`` one byte every ``interval`` seconds."""
    def route(handler: RawHandler) -> None:
        handler.raw(head)
        for byte in body:
            if handler.server.owner.stop.wait(interval):
                return
            handler.raw(bytes([byte]))
    return route


def endless(head: bytes, chunk: bytes, limit: int = 40 * 1024 * 1024) -> Route:
    """``head``, then ``chunk`` again and again (up to ``limit`` bytes) until the client quits."""
    def route(handler: RawHandler) -> None:
        handler.raw(head)
        sent = 0
        while sent < limit and not handler.server.owner.stop.is_set():
            handler.raw(chunk)
            sent += len(chunk)
    return route


def stall(head: bytes, seconds: float = 10.0) -> Route:
    def route(handler: RawHandler) -> None:
        handler.raw(head)
        handler.server.owner.stop.wait(seconds)
    return route


@pytest.fixture
def server() -> Iterator[ImageServer]:
    srv = ImageServer()
    png = png_bytes()
    srv.routes.update({
        "/ok.png": image(png),
        "/ok.jpg": image(still_bytes("JPEG"), "image/jpeg"),
        "/ok.webp": image(still_bytes("WEBP"), "image/webp"),
        "/still.gif": image(still_bytes("GIF"), "image/gif"),
        "/still.bmp": image(still_bytes("BMP"), "image/bmp"),
        "/still.tiff": image(still_bytes("TIFF"), "image/tiff"),
        "/anim.gif": image(frames_bytes("GIF"), "image/gif"),
        "/anim.png": image(frames_bytes("PNG"), "image/apng"),
        "/anim.webp": image(frames_bytes("WEBP", lossless=True), "image/webp"),
        "/photo.mpo": image(mpo_bytes(), "image/jpeg"),
        "/bomb.png": image(bomb_bytes()),
        "/html": reply(200, {"Content-Type": "text/html"}, b"<html>not an image</html>"),
        "/no-type": reply(200, {}, png),
        "/s3-object": reply(200, {"Content-Type": "binary/octet-stream"}, png),
        "/octets": reply(200, {"Content-Type": "application/octet-stream"}, png),
        "/octets-html": reply(200, {"Content-Type": "application/octet-stream"},
                              b"<html>not an image</html>"),
        "/empty.png": image(b""),
        "/fake.png": image(b"GIF89a but not really"),
        "/missing-length.png": reply(200, {"Content-Type": "image/png"}, png, length=False),
        "/chunked.png": _chunked(png),
        "/cut-short.png": reply(200, {"Content-Type": "image/png",
                                      "Content-Length": str(len(png) + 500)}, png,
                                length=False),
        "/cut-short-chunked.png": reply(200, {"Content-Type": "image/png",
                                              "Transfer-Encoding": "chunked"},
                                        b"100\r\n" + png[:20], length=False),
        "/bad-length.png": reply(200, {"Content-Type": "image/png", "Content-Length": "12abc"},
                                 png, length=False),
        "/negative-length.png": reply(200, {"Content-Type": "image/png",
                                            "Content-Length": "-1"}, png, length=False),
        "/two-lengths.png": reply(200, {"Content-Type": "image/png", "Content-Length": "5",
                                        "content-length": str(len(png))}, png, length=False),
        "/huge-length.png": stall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                                  b"Content-Length: 1000000000000\r\n\r\n\x89PNG"),
        "/endless.png": endless(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                                b"Connection: close\r\n\r\n", b"\0" * 65536),
        "/endless-chunked.png": endless(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                                        b"Transfer-Encoding: chunked\r\n\r\n",
                                        b"10000\r\n" + b"\0" * 65536 + b"\r\n"),
        "/drip-body.png": drip(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
                               + f"Content-Length: {len(png)}\r\n\r\n".encode(), png, 0.05),
        "/drip-headers.png": drip(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 2000, 0.02),
        "/silent": stall(b""),
        "/404": reply(404, {"Content-Type": "image/png"}),
        "/to-ok": redirect("/ok.png"),
        "/to-ok-301": redirect("/ok.png", 301),
        "/to-ok-303": redirect("/ok.png", 303),
        "/to-ok-307": redirect("/ok.png", 307),
        "/to-ok-308": redirect("/ok.png", 308),
        "/to-nowhere": reply(302, {}),
        "/to-backslash": redirect("http://127.0.0.1:1\\@evil.test/"),
        "/to-loop": redirect("/to-loop"),
    })
    for hops in range(1, 7):  # /chain-N: N redirects, then the image
        srv.routes[f"/chain-{hops}"] = redirect(f"/chain-{hops}-1" if hops > 1 else "/ok.png")
        for step in range(1, hops):
            target = f"/chain-{hops}-{step + 1}" if step + 1 < hops else "/ok.png"
            srv.routes[f"/chain-{hops}-{step}"] = redirect(target)
    for hop in range(5):  # /slow-N: five redirects (allowed), every hop takes 0.3 s
        srv.routes[f"/slow-{hop}"] = _slow(redirect(f"/slow-{hop + 1}"), 0.3)
    srv.routes["/slow-5"] = image(png)
    yield srv
    srv.close()


def _chunked(body: bytes) -> Route:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = head + b"".join(f"{len(body[i:i + 100]):x}\r\n".encode() + body[i:i + 100] + b"\r\n"
                           for i in range(0, len(body), 100)) + b"0\r\n\r\n"

    def route(handler: RawHandler) -> None:
        handler.raw(data)
    return route


def _slow(route: Route, seconds: float) -> Route:
    def slow(handler: RawHandler) -> None:
        handler.server.owner.stop.wait(seconds)
        route(handler)
    return slow


@pytest.fixture
def secret() -> Iterator[ImageServer]:
    """An internal service on loopback that no test may reach."""
    srv = ImageServer()
    srv.routes["/ok.png"] = image(png_bytes())
    srv.routes["/latest/meta-data"] = reply(200, {"Content-Type": "image/png"}, png_bytes())
    yield srv
    srv.close()
    assert srv.requests == [], f"a request reached the internal server: {srv.requests}"


TRUST = {"trusted_hosts": ("127.0.0.1",)}  # the loopback test server, and only in tests


# --- 1. URLs: one parser, strict, every malformed URL a clear ImageInputError -------------


@pytest.mark.parametrize(("url", "fragment"), [
    ("http://127.0.0.1:{port}\\@evil.test/ok.png", "backslash"),
    ("http://evil.test\\@127.0.0.1:{port}/ok.png", "backslash"),
    ("http:\\\\127.0.0.1:{port}/ok.png", "backslash"),
    ("http://evil.test@127.0.0.1:{port}/ok.png", "user info"),
    ("http://127.0.0.1:{port}@evil.test/ok.png", "user info"),
    ("http://user:pass@evil.test/ok.png", "user info"),
    ("http://evil.test%2f@127.0.0.1:{port}/", "user info"),
    ("http://evil.test /ok.png", "white space or a control character"),
    ("http://evil.test\t.com/", "white space or a control character"),
    ("http://evil.test\n/ok.png", "white space or a control character"),
    ("http://127.0.0.1:{port}\r\nX: y/", "white space or a control character"),
    ("http://evil.test\x00/", "white space or a control character"),
    ("http://evil.test\x7f/", "white space or a control character"),
    ("http://evil\u200b.test/", "white space or a control character"),  # zero-width space
    ("http://evil\u3000.test/", "white space or a control character"),  # ideographic space
    (" http://evil.test/", "white space or a control character"),
    ("http://evil.test:99999/", "Port out of range"),
    ("http://evil.test:0/", "bad port"),
    ("http://evil.test:-1/", "not a valid URL"),
    ("http://evil.test:80a/", "not a valid URL"),
    ("http://evil.test:+80/", "not a valid URL"),
    ("http://evil.test:8\u0668/", "not a valid URL"),  # an Arabic-Indic digit
    ("http://evil.test:80:80/", "not a valid URL"),
    ("http://" + "a" * 64 + ".test/", "longer than 63"),
    ("http://" + "a." * 127 + "test/", "longer than 253"),
    ("http://a..test/", "empty label"),
    ("http://.test/", "empty label"),
    ("http://-a.test/", "characters other than"),
    ("http://a$b.test/", "characters other than"),
    ("http://%31%32%37.0.0.1/", "percent-encoded"),
    ("http://[::1/", "Invalid IPv6 URL"),
    ("http://::1]/", "not a valid URL"),
    ("http://[::1]]/", "is not host"),
    ("http://[zz::1]/", "not a valid URL"),
    ("http://[1.2.3.4]/", "not a valid URL"),
    ("http://[v1.fe80::1]/", "not a valid IPv6 literal"),
    ("http://[fe80::1%25eth0]/", "zone ids"),
    ("http://[::1]x/", "is not host"),
    ("http://::1/", "not a valid URL"),
    ("http:///ok.png", "no host"),
    ("http://:80/ok.png", "no host"),
    ("http:ok.png", "no host"),
    ("//evil.test/ok.png", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("ftp://evil.test/a.png", "only http and https"),
    ("gopher://evil.test/", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("data:image/png;base64,AAAA", "only http and https"),
    ("/tmp/a.png", "only http and https"),
    ("", "empty"),
    ("http://evil.test/" + "a" * 9000, "longer than 8192"),
    ("http://127.1/", "not a plain dotted-quad"),
    ("http://127.0.1/", "not a plain dotted-quad"),
    ("http://0x7f.0.0.1/", "not a plain dotted-quad"),
    ("http://0177.0.0.1/", "not a plain dotted-quad"),
    ("http://2130706433/", "not a plain dotted-quad"),
    ("http://127.000.000.001/", "not a plain dotted-quad"),
    ("http://evil.0x10/", "not a plain dotted-quad"),
    ("http://\uff11\uff12\uff17.0.0.1/", "not a plain dotted-quad"),  # fullwidth digits
    ("http://127\u30020\u30020\u30021/", "not a plain dotted-quad"),  # ideographic dots
    ("http://" + "\u00e4" * 70 + ".test/", "cannot be IDNA-encoded"),
    ("http://\u2100.test/", "NFKC"),  # normalises to a/c: would change the authority
])
def test_malformed_urls_are_refused_before_any_lookup(
        net: FakeNet, server: ImageServer, url: str, fragment: str) -> None:
    net.name("evil.test", [PUBLIC])
    with pytest.raises(ImageInputError, match=fragment) as err:
        fetch_image(url.replace("{port}", str(server.port)), **TRUST)
    assert isinstance(err.value, ValueError) and err.value.field == "image_url"
    assert "\n" not in str(err.value)
    assert net.lookups == [] and net.connects == [] and server.requests == []


@pytest.mark.parametrize("value", [None, 42, b"http://evil.test/"])
def test_a_url_that_is_not_a_string_is_refused(value: Any) -> None:
    with pytest.raises(ImageInputError, match="must be a string"):
        fetch_image(value)


@pytest.mark.parametrize(("url", "host", "port", "path"), [
    ("http://Images.TEST/a.png", "images.test", 80, "/a.png"),
    ("HTTPS://images.test:8443", "images.test", 8443, "/"),
    ("http://images.test:/a?b=c#frag", "images.test", 80, "/a?b=c"),
    ("http://images.test./a", "images.test.", 80, "/a"),
    ("http://b\u00fccher.test/s\u00e4the?q=\u00fc", "xn--bcher-kva.test", 80,
     "/s%C3%A4the?q=%C3%BC"),
    ("http://[2606:2800:220:1:248:1893:25C8:1946]:81/x", PUBLIC_V6, 81, "/x"),
    ("http://93.184.216.34/x", PUBLIC, 80, "/x"),
    ("http://under_score.test/", "under_score.test", 80, "/"),
])
def test_well_formed_urls_read_one_way(url: str, host: str, port: int, path: str) -> None:
    target = parse_url(url)
    assert (target.host, target.port, target.path) == (host, port, path)


# --- 1. addresses: every non-global family refused, by name and by literal ----------------


NON_GLOBAL = [
    "127.0.0.1", "127.255.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.127.255.254",  # shared address space (CGNAT)
    "192.0.0.1", "192.0.0.8", "192.0.0.9", "192.0.0.170",  # IETF protocol assignments
    "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1",  # documentation, benchmarking
    "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::", "::1", "fe80::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1",
    "2001:db8::1", "100::1", "2001:10::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1", "::8.8.8.8", "::a00:1",  # IPv4-compatible (deprecated, refused whole)
    "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::169.254.169.254",  # NAT64
    "64:ff9b:1::8.8.8.8", "64:ff9b:1:2::1",  # local-use NAT64
    "2002:7f00:1::1", "2002:a00:1::1", "2002:a9fe:a9fe::1",  # 6to4 of private IPv4
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:808:808:8000:63bf:f7f7:f7f7",  # Teredo
]


@pytest.mark.parametrize("address", NON_GLOBAL)
def test_non_global_address_literals_are_refused(net: FakeNet, address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(ImageInputError, match="non-public address"):
        fetch_image(f"http://{host}/ok.png")
    assert net.lookups == [] and net.connects == []


@pytest.mark.parametrize("address", NON_GLOBAL)
def test_names_resolving_to_non_global_addresses_are_refused(net: FakeNet,
                                                             address: str) -> None:
    net.name("inside.test", [address])
    with pytest.raises(ImageInputError, match=r"non-public address .*inside\.test resolves"):
        fetch_image("https://inside.test/ok.png")
    assert net.lookups == ["inside.test"] and net.connects == []


@pytest.mark.parametrize(("address", "fragment"), [
    ("::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
    ("2002:7f00:1::1", "6to4 127.0.0.1"),
    ("2002:a00:1::1", "6to4 10.0.0.1"),
    ("::7f00:1", "IPv4-compatible"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo client 192.0.2.45"),
    ("192.0.0.9", "192.0.0.0/24"),
    ("100.64.0.1", "not globally reachable"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "private or special-purpose"),
    ("fec0::1", "site-local"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("fe80::1%2", "zone id"),
])
def test_embedded_addresses_are_checked_and_named(address: str, fragment: str) -> None:
    reason = address_refusal(address)
    assert reason is not None and fragment in reason


@pytest.mark.parametrize("address", [
    "8.8.8.8", PUBLIC, "1.1.1.1", PUBLIC_V6, "2001:4860:4860::8888",
    "::ffff:8.8.8.8",  # IPv4-mapped public: it reaches 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of a public address
    "2002:808:808::1",  # 6to4 of a public address
])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


def test_a_name_with_one_private_address_among_public_ones_is_refused(net: FakeNet,
                                                                     server: ImageServer,
                                                                     secret: ImageServer) -> None:
    net.route(PUBLIC, 80, server.port)
    for answer in ([PUBLIC, "127.0.0.1"], ["127.0.0.1", PUBLIC], [PUBLIC, PUBLIC_2, "10.0.0.1"],
                   [PUBLIC, "::1"], [PUBLIC, "::ffff:127.0.0.1"]):
        net.name("mixed.test", answer)
        with pytest.raises(ImageInputError, match="non-public address"):
            fetch_image("http://mixed.test/ok.png")
    assert net.connects == [] and server.requests == []


# --- 1. pinning: resolved once, connected to the checked address --------------------------


def test_rebinding_between_check_and_connect_cannot_reach_loopback(
        net: FakeNet, server: ImageServer, secret: ImageServer) -> None:
    # the first answer is public, every later one is the internal server: a fetcher that
    # resolves twice (once to check, once to connect) would end up at 127.0.0.1
    net.name("rebind.test", [PUBLIC], ["127.0.0.1"])
    net.route(PUBLIC, secret.port, server.port)  # the public address "serves" the image
    image = fetch_image(f"http://rebind.test:{secret.port}/ok.png")
    assert (image.format, image.width) == ("PNG", 32)
    assert net.lookups == ["rebind.test"]  # resolved once
    assert net.connects == [(PUBLIC, secret.port)]  # and connected to what was checked
    assert server.requests == [("/ok.png", f"rebind.test:{secret.port}")]  # Host keeps the name


def test_rebinding_on_a_redirect_hop_is_checked_again(net: FakeNet, server: ImageServer,
                                                      secret: ImageServer) -> None:
    net.name("rebind.test", [PUBLIC], ["127.0.0.1"])
    net.route(PUBLIC, secret.port, server.port)
    with pytest.raises(ImageInputError, match=r"non-public address 127\.0\.0\.1"):
        fetch_image(f"http://rebind.test:{secret.port}/to-ok")  # same host, second look-up
    assert net.lookups == ["rebind.test", "rebind.test"]
    assert net.connects == [(PUBLIC, secret.port)]
    assert server.paths == ["/to-ok"]


def test_an_unreachable_checked_address_falls_back_only_to_other_checked_ones(
        net: FakeNet, server: ImageServer) -> None:
    net.name("two.test", [PUBLIC_2, PUBLIC])
    net.route(PUBLIC, 80, server.port)  # PUBLIC_2 refuses connections
    image = fetch_image("http://two.test/ok.png")
    assert image.format == "PNG"
    assert net.connects == [(PUBLIC_2, 80), (PUBLIC, 80)]


def test_ipv6_public_addresses_are_pinned_too(net: FakeNet) -> None:
    net.name("six.test", [PUBLIC_V6])
    with pytest.raises(ImageInputError, match=r"cannot connect to six\.test:80"):
        fetch_image("http://six.test/ok.png")  # nothing listens: refused by the fake network
    assert net.connects == [(PUBLIC_V6, 80)]


def test_idna_host_names_are_resolved_and_sent_encoded(net: FakeNet,
                                                       server: ImageServer) -> None:
    net.name("xn--bcher-kva.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    fetch_image("http://b\u00fccher.test/ok.png")
    assert net.lookups == ["xn--bcher-kva.test"]
    assert server.requests == [("/ok.png", "xn--bcher-kva.test")]


@pytest.mark.parametrize(("answer", "fragment"), [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "cannot resolve"),
    ([], "no addresses"),
    ([(socket.AF_UNIX, socket.SOCK_STREAM, 0, "", "/tmp/x.sock")], "cannot check"),
    ([(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("not-an-ip", 80))], "cannot parse"),
    ([(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1", 80, 0, 3))], "zone id"),
    (OSError("resolver exploded"), "cannot resolve"),
])
def test_what_resolution_cannot_establish_is_a_refusal(
        monkeypatch: pytest.MonkeyPatch, net: FakeNet, answer: Any, fragment: str) -> None:
    def lookup(*args: Any, **kwargs: Any) -> Any:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    with pytest.raises(ImageInputError, match=fragment):
        fetch_image("http://odd.test/ok.png")
    assert net.connects == []


def test_a_hanging_resolver_is_cut_off_at_the_deadline(monkeypatch: pytest.MonkeyPatch,
                                                        net: FakeNet) -> None:
    release = threading.Event()

    def lookup(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    started = time.monotonic()
    with pytest.raises(ImageInputError, match=r"timed out after 0\.5 s"):
        fetch_image("http://slow-dns.test/ok.png", timeout=0.5)
    assert time.monotonic() - started < 0.5 + DEADLINE_SLACK  # not the resolver's 10 s
    release.set()
    assert net.connects == []


def test_connect_waits_only_for_what_is_left_of_the_deadline(net: FakeNet) -> None:
    net.name("blackhole.test", [PUBLIC])
    net.connect_delay = 10.0  # the fake connect sleeps for the socket's timeout
    started = time.monotonic()
    with pytest.raises(ImageInputError, match=r"timed out after 0\.5 s"):
        fetch_image("http://blackhole.test/ok.png", timeout=0.5)
    assert time.monotonic() - started < 0.5 + DEADLINE_SLACK  # not the connect's 10 s


# --- 1. the production default refuses loopback; trusted_hosts is the only way in ---------


def test_loopback_is_refused_by_default(net: FakeNet, secret: ImageServer) -> None:
    for url in (f"http://127.0.0.1:{secret.port}/ok.png", f"http://localhost:{secret.port}/ok.png",
                f"http://[::1]:{secret.port}/ok.png"):
        with pytest.raises(ImageInputError, match="non-public address"):
            fetch_image(url)
    request = GenerationRequest(prompt="p", type="i2v",
                                image_url=f"http://127.0.0.1:{secret.port}/ok.png")
    assert InputPolicy().trusted_hosts == ()
    with pytest.raises(ImageInputError, match=r"non-public address 127\.0\.0\.1"):
        prepare_image(request, InputPolicy())
    assert net.connects == []


def test_trusted_hosts_exempt_only_the_named_host(net: FakeNet, server: ImageServer) -> None:
    net.name("store.internal", ["10.1.2.3"])
    net.route("10.1.2.3", 80, server.port)
    image = fetch_image("http://store.internal/ok.png", trusted_hosts=("Store.Internal",))
    assert image.format == "PNG"
    with pytest.raises(ImageInputError, match=r"non-public address (127\.0\.0\.1|::1)"):
        fetch_image(f"http://localhost:{server.port}/ok.png", **TRUST)  # same IP, other name
    assert net.connects == [("10.1.2.3", 80)]


def test_a_trusted_first_hop_does_not_trust_its_redirects(net: FakeNet, server: ImageServer,
                                                          secret: ImageServer) -> None:
    server.routes["/to-secret"] = redirect(f"http://localhost:{secret.port}/latest/meta-data")
    server.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data")
    for path, address in (("/to-secret", r"127\.0\.0\.1|::1"), ("/to-metadata", "169.254")):
        with pytest.raises(ImageInputError, match=f"non-public address ({address})"):
            fetch_image(f"{server.base}{path}", **TRUST)
    assert net.connects == [("127.0.0.1", server.port)] * 2  # the first hops, nothing further
    assert server.paths == ["/to-secret", "/to-metadata"]


# --- 1. redirects: followed here, each hop checked, at most five --------------------------


@pytest.mark.parametrize("path", ["/to-ok", "/to-ok-301", "/to-ok-303", "/to-ok-307",
                                  "/to-ok-308", "/chain-5"])
def test_redirects_are_followed(server: ImageServer, path: str) -> None:
    image = fetch_image(f"{server.base}{path}", **TRUST)
    assert image.format == "PNG" and server.paths[-1] == "/ok.png"


def test_more_than_five_redirects_are_refused(server: ImageServer) -> None:
    with pytest.raises(ImageInputError, match="more than 5 redirects"):
        fetch_image(f"{server.base}/chain-6", **TRUST)
    assert len(server.requests) == 6 and "/ok.png" not in server.paths
    with pytest.raises(ImageInputError, match="more than 5 redirects"):
        fetch_image(f"{server.base}/to-loop", **TRUST)


@pytest.mark.parametrize(("location", "fragment"), [
    ("http://10.0.0.5/ok.png", r"non-public address 10\.0\.0\.5"),
    ("http://[::ffff:127.0.0.1]:{secret}/ok.png", "IPv4-mapped 127.0.0.1"),
    ("http://[64:ff9b::7f00:1]:{secret}/ok.png", "NAT64 of 127.0.0.1"),
    ("http://inside.test:{secret}/ok.png", "inside.test resolves to it"),
    ("http://0x7f.1:{secret}/ok.png", "not a plain dotted-quad"),
    ("http://127.0.0.1:{secret}\\@evil.test/ok.png", "backslash"),
    ("http://evil.test@127.0.0.1:{secret}/ok.png", "user info"),
    ("http://evil.test:{secret}/a\tb", "control character"),
    ("http://evil.test:{secret}/a b", "white space"),
    ("file:///etc/passwd", "only http and https"),
    ("//[::1]:{secret}/ok.png", "loopback"),
])
def test_redirects_to_anything_unsafe_are_refused(net: FakeNet, server: ImageServer,
                                                  secret: ImageServer, location: str,
                                                  fragment: str) -> None:
    net.name("public.test", [PUBLIC])
    net.name("inside.test", ["127.0.0.1"])
    net.name("evil.test", [PUBLIC_2])
    net.route(PUBLIC, 80, server.port)
    server.routes["/bounce"] = redirect(location.replace("{secret}", str(secret.port)))
    with pytest.raises(ImageInputError, match=fragment):
        fetch_image("http://public.test/bounce")
    assert net.connects == [(PUBLIC, 80)]


@pytest.mark.parametrize(("path", "fragment"), [
    ("/to-nowhere", "redirect without a Location"),
    ("/to-backslash", "backslash"),
])
def test_broken_redirects_are_refused(server: ImageServer, path: str, fragment: str) -> None:
    with pytest.raises(ImageInputError, match=fragment):
        fetch_image(f"{server.base}{path}", **TRUST)


# --- 1. size: capped on the wire ----------------------------------------------------------


def test_a_huge_content_length_is_refused_before_reading(server: ImageServer) -> None:
    # the server stalls after the headers: only a refusal from the header itself can say this
    with pytest.raises(ImageInputError, match=r"larger than the 20 MiB limit \(Content-Length"):
        fetch_image(f"{server.base}/huge-length.png", **TRUST)


@pytest.mark.parametrize("path", ["/endless.png", "/endless-chunked.png"])
def test_a_body_growing_past_the_cap_is_cut_off(server: ImageServer, path: str) -> None:
    with pytest.raises(ImageInputError, match="larger than the 1 MiB limit"):
        fetch_image(f"{server.base}{path}", max_bytes=1024 * 1024, **TRUST)
    time.sleep(0.2)
    assert server.sent < 20 * 1024 * 1024  # stopped long before the 40 MB on offer


def test_a_body_exactly_at_the_cap_is_accepted(server: ImageServer) -> None:
    size = len(png_bytes())
    assert fetch_image(f"{server.base}/ok.png", max_bytes=size, **TRUST).format == "PNG"
    with pytest.raises(ImageInputError, match="larger than"):
        fetch_image(f"{server.base}/missing-length.png", max_bytes=size - 1, **TRUST)


# --- 1. time: one deadline for the whole fetch --------------------------------------------


@pytest.mark.parametrize("path", ["/drip-body.png", "/drip-headers.png", "/silent", "/slow-0"])
def test_slow_servers_are_cut_off_at_the_total_deadline(server: ImageServer, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(ImageInputError, match="timed out after 1 s"):
        fetch_image(f"{server.base}{path}", timeout=1.0, **TRUST)
    # the subject: one deadline for the whole fetch, not one per read or per hop
    assert time.monotonic() - started < 1.0 + DEADLINE_SLACK


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_a_fetch_needs_a_finite_timeout(timeout: float) -> None:
    with pytest.raises(ImageInputError, match="timeout"):
        fetch_image("http://evil.test/ok.png", timeout=timeout)


# --- 1. answers: whatever the server sends, a clear error or a checked image --------------


@pytest.mark.parametrize(("path", "fragment"), [
    ("/html", "expected an image, the server sent text/html"),
    ("/no-type", "expected an image, the server sent no content type"),
    ("/octets-html", "not a readable image"),  # a generic type: the bytes still decide
    ("/empty.png", "not a readable image"),
    ("/fake.png", "not a readable image"),
    ("/still.tiff", "not a readable image"),  # TIFF is not among the formats read
    ("/404", "HTTP 404"),
    ("/cut-short.png", "cut short"),
    ("/cut-short-chunked.png", "IncompleteRead"),
    ("/bad-length.png", "bad Content-Length"),
    ("/negative-length.png", "bad Content-Length"),
    ("/two-lengths.png", "bad Content-Length"),
])
def test_broken_answers_are_clear_errors(server: ImageServer, path: str, fragment: str) -> None:
    with pytest.raises(ImageInputError, match=fragment) as err:
        fetch_image(f"{server.base}{path}", **TRUST)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("path", ["/s3-object", "/octets"])
def test_an_image_sent_with_a_generic_type_is_taken_for_its_bytes(server: ImageServer,
                                                                  path: str) -> None:
    image = fetch_image(f"{server.base}{path}", **TRUST)
    assert image.format == "PNG" and image.data == png_bytes()


@pytest.mark.parametrize("raw", [
    b"garbage\r\n\r\n",
    b"HTTP/1.1 abc OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\n\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: http://evil.test:99999/\r\n\r\n",
    b"HTTP/1.1 302 Found\r\nLocation: http://\xff\xfe/\r\n\r\n",
    b"",
])
def test_malformed_http_is_a_clear_error(server: ImageServer, raw: bytes) -> None:
    def route(handler: RawHandler) -> None:
        handler.raw(raw)
    server.routes["/raw"] = route
    with pytest.raises(ImageInputError) as err:
        fetch_image(f"{server.base}/raw", timeout=3, **TRUST)
    assert "\n" not in str(err.value) and str(err.value).startswith("image_url: ")


@pytest.mark.parametrize("path", ["/ok.png", "/missing-length.png", "/chunked.png"])
def test_plain_pngs_arrive_unchanged(server: ImageServer, path: str) -> None:
    image = fetch_image(f"{server.base}{path}", **TRUST)
    assert image.data == png_bytes() and (image.format, image.width, image.height) == (
        "PNG", 32, 24)


@pytest.mark.parametrize(("path", "kind"), [("/ok.jpg", "JPEG"), ("/ok.webp", "WEBP")])
def test_jpeg_and_webp_arrive_unchanged(server: ImageServer, path: str, kind: str) -> None:
    image = fetch_image(f"{server.base}{path}", **TRUST)
    assert (image.format, image.width, image.height) == (kind, 40, 30)
    assert image.filename("x") == f"x.{'jpg' if kind == 'JPEG' else 'webp'}"


# --- 1. pixels: capped from the header, before decoding -----------------------------------


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_decompression_bomb_is_refused_without_decoding(monkeypatch: pytest.MonkeyPatch,
                                                          server: ImageServer) -> None:
    from PIL import ImageFile

    decoded: list[object] = []

    def load(self: Any) -> Any:
        decoded.append(self)
        raise AssertionError("decoded the pixels")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    assert len(bomb_bytes()) < 100_000
    with pytest.raises(ImageInputError, match=r"13000x13000 pixels \(169.0 MP\), over the 36 MP"):
        fetch_image(f"{server.base}/bomb.png", **TRUST)
    with pytest.raises(ImageInputError, match="over the 36 MP limit"):
        image_from_base64(base64.b64encode(bomb_bytes()).decode())
    assert decoded == []


def test_pillows_own_bomb_limit_is_a_clear_error_too() -> None:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")  # past Pillow's 179 MP error limit
    with pytest.raises(ImageInputError, match="over the 36 MP limit"):
        decode_image(buffer.getvalue(), "image_base64")


def test_the_pixel_cap_is_configurable(server: ImageServer) -> None:
    assert DEFAULT_MAX_PIXELS == 36_000_000 and InputPolicy().max_pixels == DEFAULT_MAX_PIXELS
    assert fetch_image(f"{server.base}/ok.png", max_pixels=32 * 24, **TRUST).width == 32
    with pytest.raises(ImageInputError, match=r"32x24 pixels .* over the 0.000767 MP limit"):
        fetch_image(f"{server.base}/ok.png", max_pixels=32 * 24 - 1, **TRUST)
    policy = InputPolicy(max_pixels=100, trusted_hosts=("127.0.0.1",))
    for request in (GenerationRequest(prompt="p", type="i2v", image_url=f"{server.base}/ok.png"),
                    GenerationRequest(prompt="p", type="i2v",
                                      image_base64=base64.b64encode(png_bytes()).decode())):
        with pytest.raises(ImageInputError, match=r"over the 0\.0001 MP limit"):
            prepare_image(request, policy)


@pytest.mark.parametrize("changes", [{"max_pixels": 0}, {"max_bytes": -1},
                                     {"fetch_timeout": float("nan")}, {"fetch_timeout": 0},
                                     {"max_pixels": 1.5}])
def test_input_policy_refuses_nonsense_limits(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=rf"^InputPolicy\.{next(iter(changes))} must be"):
        InputPolicy(**changes)


# --- 1. animated files: the first frame only; MPO and other single-image containers -------


@pytest.mark.parametrize("path", ["/anim.gif", "/anim.png", "/anim.webp"])
def test_animated_files_give_their_first_frame(server: ImageServer, path: str) -> None:
    image = fetch_image(f"{server.base}{path}", **TRUST)
    assert (image.format, image.width, image.height) == ("PNG", 40, 30)
    assert first_pixel(image) == (255, 0, 0)  # red: the first frame, alone


def test_mpo_photos_are_accepted_as_their_first_image(server: ImageServer) -> None:
    with Image.open(io.BytesIO(mpo_bytes())) as original:
        assert (original.format, getattr(original, "n_frames", 1)) == ("MPO", 2)
    image = fetch_image(f"{server.base}/photo.mpo", **TRUST)
    assert (image.format, image.width, image.height) == ("JPEG", 64, 48)
    red, green, blue = first_pixel(image)[:3]
    assert red > 240 and green < 15 and blue < 15
    from_base64 = image_from_base64(base64.b64encode(mpo_bytes()).decode())
    assert (from_base64.format, from_base64.width) == ("JPEG", 64)


@pytest.mark.parametrize("path", ["/still.gif", "/still.bmp"])
def test_other_single_image_formats_are_re_encoded_to_png(server: ImageServer,
                                                          path: str) -> None:
    image = fetch_image(f"{server.base}{path}", **TRUST)
    assert (image.format, image.width, image.height) == ("PNG", 40, 30)
    assert image.filename("x") == "x.png"
    assert first_pixel(image)[:3] == (10, 200, 30)


# --- 1. HTTPS: pinned to the checked address, SNI and certificate keep the name -----------


def _certificate(name: str, directory: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ImageServer, list[str | None], Path]]:
    cert, key = _certificate("images.test", tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    srv = ImageServer(tls=context)
    srv.routes["/ok.png"] = image(png_bytes())
    yield srv, names, cert
    srv.close()


def test_https_connects_to_the_checked_address_and_verifies_the_name(
        net: FakeNet, tls_server: tuple[ImageServer, list[str | None], Path]) -> None:
    srv, names, cert = tls_server
    net.name("images.test", [PUBLIC])
    net.route(PUBLIC, 443, srv.port)
    trust = ssl.create_default_context(cafile=str(cert))
    image = fetch_image("https://images.test/ok.png", ssl_context=trust)
    assert image.format == "PNG"
    assert net.connects == [(PUBLIC, 443)] and names == ["images.test"]
    assert srv.requests == [("/ok.png", "images.test")]


def test_https_refuses_a_certificate_for_another_name(
        net: FakeNet, tls_server: tuple[ImageServer, list[str | None], Path]) -> None:
    srv, _names, cert = tls_server
    net.name("other.test", [PUBLIC])
    net.route(PUBLIC, 443, srv.port)
    trust = ssl.create_default_context(cafile=str(cert))
    with pytest.raises(ImageInputError, match=r"TLS certificate of other\.test"):
        fetch_image("https://other.test/ok.png", ssl_context=trust)
    net.name("images.test", [PUBLIC])
    with pytest.raises(ImageInputError, match=r"TLS certificate of images\.test"):
        fetch_image("https://images.test/ok.png")  # the default context does not know the CA
    assert srv.requests == []


# --- base64: limits count decoded bytes ---------------------------------------------------


def test_base64_line_breaks_and_padding_do_not_count() -> None:
    data = next(d for d in (png_bytes(w, 24) for w in range(32, 64)) if len(d) % 3)
    encoded = base64.b64encode(data).decode()
    assert encoded.endswith("=")  # padding that must not count
    wrapped = "\n".join(encoded[i:i + 4] for i in range(0, len(encoded), 4))  # 25% line breaks
    image = image_from_base64(f"  data:image/png;base64,{wrapped}\r\n", max_bytes=len(data))
    assert image.data == data
    assert image_from_base64(encoded.rstrip("="), max_bytes=len(data)).data == data  # unpadded
    assert image_from_base64("DATA:image/png;BASE64," + encoded).data == data
    with pytest.raises(ImageInputError, match="larger than"):
        image_from_base64(wrapped, max_bytes=len(data) - 1)


def test_base64_over_the_limit_is_refused_before_decoding(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def decode(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("decoded an oversized payload")

    monkeypatch.setattr(base64, "b64decode", decode)
    with pytest.raises(ImageInputError, match=r"larger than the 10 KiB limit"):
        image_from_base64("QUFB" * 4000 + "\n" * 10, max_bytes=10 * 1024)


@pytest.mark.parametrize(("payload", "fragment"), [
    ("", "empty"),
    ("\n \n", "empty"),
    ("data:image/png;base64,", "empty"),
    ("QUFB====", "too much padding"),
    ("QUFBQ", "length is not possible"),
    ("QU=FBQ==", "not valid base64"),
    ("QUFBQUF\u00e4", "not valid base64"),
    ("QUFB!!!!", "not valid base64"),
    ("data:image/png;base64", "must be base64-encoded"),
])
def test_malformed_base64_is_a_clear_error(payload: str, fragment: str) -> None:
    with pytest.raises(ImageInputError, match=fragment):
        image_from_base64(payload)


# --- the worker: a bad URL is a one-line {"error"}, never an exception --------------------


@pytest.mark.parametrize("url", [
    "http://evil.test:99999/a.png", "http://evil.test:0/a.png", "http://evil.test:abc/",
    "http://" + "a" * 64 + ".test/a.png", "http://[::1/a.png", "http://[zz]/",
    "http://[fe80::1%25eth0]/", "http://127.0.0.1:8188\\@evil.test/a.png",
    "http://user@evil.test/", "http:///a.png", "http://127.1/", "http://a..test/",
    "http://" + "\u00e4" * 70 + ".test/", "http://evil.test/a\x00.png",
    "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
    "http://unresolvable.test/a.png",
])
def test_the_worker_answers_bad_image_urls_with_an_error(ltx_server: ComfyTestServer,
                                                         net: FakeNet, url: str) -> None:
    import runpod_handler

    config = runpod_handler.WorkerConfig.from_env({
        "COMFY_URL": ltx_server.url, "LTX2_READY_TIMEOUT": "5", "LTX2_JOB_TIMEOUT": "30"})
    output = runpod_handler.run_job(
        {"id": "j", "input": {"prompt": "p", "type": "i2v", "image_url": url}}, config)
    assert set(output) == {"error"} and "image_url" in output["error"], output
    assert "\n" not in output["error"]
    assert not ltx_server.received.prompts and not ltx_server.received.uploads
    assert [ip for ip, _ in net.connects if ip != "127.0.0.1"] == []


def test_a_file_that_cannot_be_written_here_is_this_machines_failure(
        server: ImageServer, tmp_path: Path) -> None:
    """fetch_to_file: what the network did is a FetchError; a file this machine cannot write
    (a folder that is not there, a full disk) is a LocalFileError caused by the OSError, so
    a batch never retries it as the network's."""
    url = f"http://127.0.0.1:{server.port}/ok.png"
    fetched = fetch_to_file(url, tmp_path / "ok.png", max_bytes=1 << 20, timeout=5, **TRUST)
    assert fetched.size == (tmp_path / "ok.png").stat().st_size > 0
    with pytest.raises(LocalFileError, match="cannot write") as caught:
        fetch_to_file(url, tmp_path / "missing" / "ok.png", max_bytes=1 << 20, timeout=5,
                      **TRUST)
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(FetchError):
        fetch_to_file(f"http://127.0.0.1:{server.port}/404", tmp_path / "x.png",
                      max_bytes=1 << 20, timeout=5, **TRUST)
