"""``ltx2 check --model ltx-2.5-api``: whether Comfy's partner API (the base the server's
``/system_stats`` argv names, else https://api.comfy.org) is reachable from here and takes the
key, probed under the fetcher's rules.

No traffic leaves loopback: resolution and connections are patched (:func:`patch_network`), the
partner API is a loopback stand-in reached through a public address the test routes to it, and
the key is checked over TLS against a certificate made here for api.comfy.org."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.cli.main import main
from ltx2sdk.backends.comfyui import partner_api
from ltx2sdk.media import safe_fetch
from tests.comfyserver import ComfyTestServer, identity
from tests.helpers import (
    DEADLINE_SLACK,
    FakeNet,
    ImageServer,
    RawHandler,
    catalog_models,
    patch_network,
    reply,
)

KEY = "comfyui-partner-probe-SECRET-0123456789abcdef"
PUBLIC_IP = "93.184.216.34"  # a global address the test network routes to loopback
REAL_PROBE = partner_api.probe  # taken before tests/conftest.py answers the probe itself


@pytest.fixture(autouse=True)
def real_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partner_api, "probe", REAL_PROBE)
    monkeypatch.delenv("COMFY_API_KEY", raising=False)


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    return patch_network(monkeypatch)


def _argv(monkeypatch: pytest.MonkeyPatch, *extra: str) -> None:
    """The stand-in ComfyUI's ``/system_stats`` argv, with ``extra`` at its end."""
    captured = identity.system_stats

    def stats(port: int, version: str | None = None) -> dict[str, Any]:
        found = captured(port, version)
        found["system"]["argv"] = [*found["system"]["argv"], *extra]
        return found

    monkeypatch.setattr(identity, "system_stats", stats)


@pytest.fixture
def comfy(tmp_path: Path) -> Iterator[ComfyTestServer]:
    # 0.33.0: the first captured release with the LTX-2.5 API's partner nodes
    with ComfyTestServer(models=catalog_models(), comfyui_version="0.33.0",
                         output_dir=tmp_path / "srv", input_dir=tmp_path / "srv-in") as srv:
        yield srv


class PartnerApi:
    """A loopback stand-in of Comfy's API: ``GET /customers/balance`` answers 200 to the
    right ``X-API-KEY``, 401 to anything else; the keys it was sent are kept."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.server = ImageServer(tls=tls)
        self.keys: list[str | None] = []
        self.server.routes[partner_api.BALANCE_ROUTE] = self.balance

    def balance(self, handler: RawHandler) -> None:
        sent = handler.headers.get(partner_api.KEY_HEADER)
        self.keys.append(sent)
        status, body = (200, b'{"amount_micros": 0}') if sent == KEY else (401, b"{}")
        handler.raw(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body)


@pytest.fixture
def plain_api(net: FakeNet) -> Iterator[PartnerApi]:
    """The stand-in over plain HTTP at http://partner.test (a base a server could name)."""
    api = PartnerApi()
    net.name("partner.test", [PUBLIC_IP])
    net.route(PUBLIC_IP, 80, api.server.port)
    yield api
    api.server.close()


def _certificate(name: str, folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` and its key, as PEM files in ``folder``."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name_attr = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    today = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name_attr).issuer_name(name_attr)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(today - datetime.timedelta(days=1))
            .not_valid_after(today + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def official_api(net: FakeNet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[PartnerApi]:
    """The stand-in as https://api.comfy.org: its name resolves to a public address routed to
    it, and this machine trusts the certificate made for it (the name is still checked)."""
    cert, key = _certificate("api.comfy.org", tmp_path)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    api = PartnerApi(tls=served)
    net.name("api.comfy.org", [PUBLIC_IP])
    net.route(PUBLIC_IP, 443, api.server.port)
    trusted = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(safe_fetch, "default_ssl_context", lambda: trusted)
    yield api
    api.server.close()


def _check(comfy: ComfyTestServer, capsys: pytest.CaptureFixture[str], *flags: str
           ) -> tuple[int, str, str]:
    code = main(["check", "--server", comfy.url, "--model", "ltx-2.5-api", "--mode", "both",
                 *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _partner_line(out: str) -> str:
    [line] = [line for line in out.splitlines() if line.startswith("partner API ")]
    return line


# --- the base: the server's --comfy-api-base, else ComfyUI's default ---------------------------


@pytest.mark.parametrize(("argv", "base", "named"), [
    (["main.py", "--listen"], "https://api.comfy.org", False),
    (["main.py", "--comfy-api-base", "https://a.test"], "https://a.test", True),
    (["main.py", "--comfy-api-base=https://b.test/x/"], "https://b.test/x/", True),
    (["main.py", "--comfy-api", "https://c.test"], "https://c.test", True),  # argparse's prefix
    (["main.py", "--comfy-api-base", "https://1.test", "--comfy-api-base=https://2.test"],
     "https://2.test", True),  # the last one wins, as in argparse
    (["main.py", "--", "--comfy-api-base", "https://d.test"], "https://api.comfy.org", False),
    (["main.py", "--comfy", "https://e.test"], "https://api.comfy.org", False),  # ambiguous
    (["main.py", "--comfy-api-base"], "https://api.comfy.org", False),  # no value
    (["main.py", 7, "--comfy-api-base", "https://f.test"], "https://api.comfy.org", False),
])
def test_the_base_is_read_from_the_servers_argv(argv: list[Any], base: str,
                                                named: bool) -> None:
    found = partner_api.api_base({"system": {"argv": argv}})
    assert (found.url, found.named) == (base, named)


@pytest.mark.parametrize("stats", [None, [], {}, {"system": None}, {"system": {"argv": "x"}}])
def test_system_stats_without_an_argv_mean_the_default(stats: Any) -> None:
    assert partner_api.api_base(stats) == partner_api.ApiBase(partner_api.DEFAULT_BASE, False)


# --- reachable, unreachable, refused by rule ---------------------------------------------------


def test_a_reachable_base_is_said_and_asked_once_under_its_name(
        comfy: ComfyTestServer, plain_api: PartnerApi, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _argv(monkeypatch, "--comfy-api-base", "http://partner.test")
    code, out, _ = _check(comfy, capsys)
    assert code == 1  # no key: the hosted model needs one
    assert _partner_line(out) == (
        "partner API http://partner.test (the server's --comfy-api-base): reachable from here "
        "(probed from this machine; the server's own reach shows on its first job)")
    assert plain_api.server.requests == [("/customers/balance", "partner.test")]
    assert plain_api.keys == [None]


def test_a_key_goes_only_to_the_official_base(
        comfy: ComfyTestServer, plain_api: PartnerApi, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server naming another base cannot make ltx2 check hand the key over to it."""
    _argv(monkeypatch, "--comfy-api-base=http://partner.test")
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    code, out, err = _check(comfy, capsys, "--json")
    assert plain_api.keys == [None]
    document = json.loads(out)
    assert document["partner_api"]["key"] == "not sent"
    assert document["partner_api"]["reachable"] is True
    assert code == 0 and document["ready"]  # reachable: nothing seen against it
    assert KEY not in out + err


def test_an_unreachable_base_fails_the_hosted_model_only(
        comfy: ComfyTestServer, net: FakeNet, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _argv(monkeypatch, "--comfy-api-base", "https://partner.test")
    net.name("partner.test", [PUBLIC_IP])  # resolves; nobody answers there
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    code = main(["check", "--server", comfy.url, "--model", "all", "--mode", "both"])
    out = capsys.readouterr().out
    assert code == 1
    line = _partner_line(out)
    assert line.startswith("partner API https://partner.test (the server's --comfy-api-base): "
                           "not reachable from here: cannot connect to partner.test:443"), line
    assert out.splitlines()[-1] == ("not ready for LTX-2.5-API (fast, pro); ready for LTX-2 "
                                    "(fast, pro), LTX-2.3 (fast, pro), LTX-2.5 (fast)")
    assert "Comfy's partner API https://partner.test is not reachable from here" in out
    assert (PUBLIC_IP, 443) in net.connects


def test_a_base_that_does_not_answer_is_given_up_at_the_probes_bound(
        comfy: ComfyTestServer, net: FakeNet, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _argv(monkeypatch, "--comfy-api-base", "https://partner.test")
    net.name("partner.test", [PUBLIC_IP])
    silent = socket.socket()  # takes the connection (its backlog) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    net.route(PUBLIC_IP, 443, silent.getsockname()[1])
    monkeypatch.setattr(partner_api, "PROBE_TIMEOUT", 0.5)
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    started = time.monotonic()
    try:
        reach = partner_api.probe(partner_api.ApiBase("https://partner.test", True), None)
        took = time.monotonic() - started
        code, out, _ = _check(comfy, capsys)
    finally:
        silent.close()
    assert took < 0.5 + DEADLINE_SLACK
    assert (reach.state, reach.reason) == ("unreachable", "timed out after 0.5 s")
    assert code == 1
    assert "not reachable from here: timed out after 0.5 s" in _partner_line(out)


@pytest.mark.parametrize(("base", "names", "reason"), [
    ("http://10.1.2.3", {}, "non-public address 10.1.2.3 (private or special-purpose)"),
    ("http://internal.test:8188", {"internal.test": ["127.0.0.1"]},
     "non-public address 127.0.0.1 (loopback; internal.test resolves to it)"),
    ("http://[::1]/", {}, "non-public address ::1 (loopback)"),
    ("http://169.254.169.254/latest", {}, "non-public address 169.254.169.254 (link-local)"),
    ("file:///etc/passwd", {}, "only http and https URLs are allowed, not 'file'"),
    ("http://user@api.comfy.org", {}, "user info ('@') in the URL's authority"),
])
def test_a_private_or_unusable_base_is_refused_without_a_connection(
        base: str, names: dict[str, list[str]], reason: str, comfy: ComfyTestServer,
        net: FakeNet, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile server's argv cannot make the CLI touch a private address: refused by rule,
    said in one line; it says nothing about the server's own reach, so no verdict changes."""
    for name, addresses in names.items():
        net.name(name, addresses)
    _argv(monkeypatch, "--comfy-api-base", base)
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    code, out, err = _check(comfy, capsys, "--json")
    document = json.loads(out)
    assert code == 0 and document["ready"]
    found = document["partner_api"]
    assert (found["state"], found["reachable"], found["key"]) == ("not probed", None, "not sent")
    assert reason in found["reason"]
    # every connection made was the CLI's to the stand-in ComfyUI
    assert {address for address in net.connects} <= {("127.0.0.1", comfy.port)}
    assert KEY not in out + err


def test_a_hostile_base_is_printed_on_one_line(
        comfy: ComfyTestServer, net: FakeNet, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _argv(monkeypatch, "--comfy-api-base", "http://10.0.0.1/\x1b[2J\nforged line")
    code, out, _ = _check(comfy, capsys)
    assert "\x1b" not in out and "\nforged line" not in out
    assert "not probed" in _partner_line(out)
    assert code == 1  # no key


# --- the key: accepted, refused, never shown ---------------------------------------------------


def test_the_official_api_accepts_the_key(
        comfy: ComfyTestServer, official_api: PartnerApi, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    code, out, err = _check(comfy, capsys)
    assert code == 0
    assert _partner_line(out) == (
        "partner API https://api.comfy.org (ComfyUI's default): reachable from here, key "
        "accepted (probed from this machine; the server's own reach shows on its first job)")
    assert out.splitlines()[-1] == "ready for LTX-2.5-API (fast, pro)"
    assert official_api.keys == [KEY]  # sent once, in X-API-KEY, over TLS
    assert official_api.server.requests == [("/customers/balance", "api.comfy.org")]
    assert KEY not in out + err


def test_a_refused_key_fails_the_hosted_model_and_is_never_shown(
        comfy: ComfyTestServer, official_api: PartnerApi, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = KEY.replace("SECRET", "WRONG")
    code, out, err = _check(comfy, capsys, "--api-key", wrong, "--json")
    assert code == 1
    document = json.loads(out)
    found = document["partner_api"]
    assert (found["state"], found["key"], found["status"]) == ("reachable", "refused", 401)
    [hosted] = [m for m in document["models"] if m["model"] == "ltx-2.5-api"]
    assert hosted["ready_pipelines"] == []
    assert any("refused the Comfy account key (HTTP 401)" in line for line in hosted["other"])
    assert official_api.keys == [wrong]
    assert wrong not in out + err
    code, out, err = _check(comfy, capsys, "--api-key", wrong)  # the text report too
    assert "but it refused the key (HTTP 401)" in _partner_line(out)
    assert "refused the Comfy account key (HTTP 401): check COMFY_API_KEY" in out
    assert wrong not in out + err


def test_the_default_check_does_not_probe(
        comfy: ComfyTestServer, net: FakeNet, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe leaves this machine only when the hosted model is what is asked about."""
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    net.name("api.comfy.org", [PUBLIC_IP])  # a look-up of it would be counted
    assert main(["check", "--server", comfy.url, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["partner_api"] is None
    assert net.lookups == []
    assert {address for address in net.connects} <= {("127.0.0.1", comfy.port)}


def test_no_probe_when_the_server_lacks_the_partner_nodes(
        tmp_path: Path, net: FakeNet, capsys: pytest.CaptureFixture[str]) -> None:
    net.name("api.comfy.org", [PUBLIC_IP])  # a look-up of it would be counted
    with ComfyTestServer(models=catalog_models(), comfyui_version="0.26.0",
                         output_dir=tmp_path / "srv") as srv:
        assert main(["check", "--server", srv.url, "--model", "ltx-2.5-api"]) == 1
    out = capsys.readouterr().out
    assert "partner API" not in out and net.lookups == []


def test_the_probe_never_raises_for_what_the_base_does(net: FakeNet) -> None:
    """Whatever the base answers, the probe is a result (a refusal by rule or no answer)."""
    for url in ("", "https://", "http://a b.test", "https://nowhere.test"):
        reach = partner_api.probe(partner_api.ApiBase(url, True), None, timeout=0.5)
        assert reach.state in (partner_api.NOT_PROBED, partner_api.UNREACHABLE)
        assert "\n" not in reach.line()


def test_a_redirect_is_not_followed_with_the_key(
        comfy: ComfyTestServer, official_api: PartnerApi, plain_api: PartnerApi,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The key goes to the host the base names and nowhere a redirect points."""
    official_api.server.routes[partner_api.BALANCE_ROUTE] = reply(
        302, {"Location": "http://partner.test/customers/balance"})
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    code, out, err = _check(comfy, capsys)
    assert "reachable from here (HTTP 302); the key could not be confirmed" in _partner_line(out)
    assert code == 0  # nothing seen against it: the server's first job will tell
    assert plain_api.server.requests == []
    assert KEY not in out + err


def test_a_key_no_header_can_carry_is_not_sent_nor_quoted(
        comfy: ComfyTestServer, official_api: PartnerApi, capsys: pytest.CaptureFixture[str]
        ) -> None:
    """http.client refuses such a header value in an error that quotes it: it is not sent."""
    odd = KEY[:20] + "\n" + KEY[20:]
    code, out, err = _check(comfy, capsys, "--api-key", odd, "--json")
    found = json.loads(out)["partner_api"]
    assert code == 0  # reachable, nothing seen against the key: the first job will tell
    assert (found["state"], found["key"]) == ("reachable", "not sent")
    assert found["reason"] == "it has characters an HTTP header cannot carry"
    assert official_api.keys == [None]
    assert KEY[:20] not in out + err and KEY[20:] not in out + err
