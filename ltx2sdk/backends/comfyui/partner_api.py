"""Comfy's partner API as a ComfyUI server names it, and a probe of it from this machine.

ComfyUI's partner nodes (the hosted LTX-2.5 pipelines run on them) call Comfy's API at the base
ComfyUI was started with: ``--comfy-api-base URL``, default ``https://api.comfy.org``
(ComfyUI's ``comfy/cli_args.py``). A server's ``GET /system_stats`` carries its command line
(``system.argv``): :func:`api_base` reads the base there.

:func:`probe` asks that base **from the machine this runs on**, not from inside the server:
ComfyUI has no route that tests its own way out, so a base reachable from here may still be
out of the server's reach (a firewall, another network), and the other way round. The
server's own reach shows on its first job.

The route asked is ``GET {base}/customers/balance``: the one ComfyUI's frontend calls to show
an account's credits (Comfy-Org/ComfyUI_frontend, ``src/stores/authStore.ts``,
``fetchBalance``), which an API-key session authenticates with the ``X-API-KEY`` header
(``src/stores/apiKeyAuthStore.ts``, ``getAuthHeader``; the header ComfyUI's partner nodes send
the key in). It reads an account and spends nothing. With the key, 200 says the key is
accepted and 401 or 403 that it is refused; any other HTTP answer only that the API is
reachable. Without a key, any HTTP answer says that much.

The rules, against a server whose ``argv`` is hostile:

* the probe goes through :func:`ltx2sdk.media.safe_fetch.fetch_status`: public addresses only
  (a base that is, or resolves to, a private or loopback address is refused before any
  connection is made), resolved once and pinned, no redirect followed, bounded by
  :data:`PROBE_TIMEOUT` seconds (:class:`~ltx2sdk.deadline.Deadline`) from look-up to status;
* the key (a :class:`~.wire.PartnerKey`) is sent only to the official base
  (:data:`DEFAULT_BASE`, over TLS): a server naming another base cannot make ``ltx2 check``
  hand the key to a host of its choosing; there only reachability is probed;
* the key is never in a result, a line, an error or a log; the base the server named is
  printed one line, escaped (:func:`~ltx2sdk.wording.one_line`).

Import rule: as the package's (:mod:`ltx2sdk.backends.comfyui`); the fetcher is imported when
a probe is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ltx2sdk.backends.comfyui.wire import PartnerKey
from ltx2sdk.errors import FetchError, FetchFailedError
from ltx2sdk.wording import one_line

DEFAULT_BASE = "https://api.comfy.org"
"""ComfyUI's ``--comfy-api-base`` default (``comfy/cli_args.py``)."""
BASE_FLAG = "--comfy-api-base"
SHORTEST_FLAG = "--comfy-api"
"""The shortest abbreviation of :data:`BASE_FLAG` read as it (ComfyUI's argparse takes any
unambiguous prefix of a long option)."""
BALANCE_ROUTE = "/customers/balance"
KEY_HEADER = "X-API-KEY"
PROBE_TIMEOUT = 5.0
"""Seconds for the whole probe: look-up, connection, TLS, request and status line."""
REFUSED_STATUSES = frozenset({401, 403})

# the probe's outcomes (PartnerReach.state) and what is known of the key (PartnerReach.key)
REACHABLE, UNREACHABLE, NOT_PROBED = "reachable", "unreachable", "not probed"
KEY_ACCEPTED, KEY_REFUSED, KEY_UNCONFIRMED = "accepted", "refused", "not confirmed"
KEY_NOT_SENT, NO_KEY = "not sent", "none"

FROM_HERE = "probed from this machine; the server's own reach shows on its first job"


@dataclass(frozen=True)
class ApiBase:
    """The partner API base a server uses: ``url`` as its command line gives it (not yet
    checked: :func:`probe` does), and whether the server named it (``--comfy-api-base``) or
    it is ComfyUI's default."""

    url: str
    named: bool

    @property
    def source(self) -> str:
        return f"the server's {BASE_FLAG}" if self.named else "ComfyUI's default"


def api_base(system_stats: Any) -> ApiBase:
    """The base ComfyUI's partner nodes call, from ``GET /system_stats``'s ``system.argv``:
    the last ``--comfy-api-base URL`` or ``--comfy-api-base=URL`` (or an abbreviation down to
    ``--comfy-api``, as argparse reads it) before a ``--``, else :data:`DEFAULT_BASE`. An
    ``argv`` that is not a list of strings is read as far as it is one."""
    system = system_stats.get("system") if isinstance(system_stats, Mapping) else None
    argv = system.get("argv") if isinstance(system, Mapping) else None
    found: str | None = None
    items = list(argv) if isinstance(argv, list) else []
    for index, item in enumerate(items):
        if not isinstance(item, str) or item == "--":
            break
        name, equals, value = item.partition("=")
        if not (name.startswith(SHORTEST_FLAG) and BASE_FLAG.startswith(name)):
            continue
        if equals:
            found = value
        elif index + 1 < len(items) and isinstance(items[index + 1], str):
            found = items[index + 1]
    return ApiBase(found, True) if found is not None else ApiBase(DEFAULT_BASE, False)


@dataclass(frozen=True)
class PartnerReach:
    """What :func:`probe` found: the ``base`` (as the server gave it: print it through
    :attr:`shown`), the ``state`` (:data:`REACHABLE`, :data:`UNREACHABLE`, or
    :data:`NOT_PROBED` when the rules refused it), what is known of the key (:data:`KEY_ACCEPTED`,
    :data:`KEY_REFUSED`, :data:`KEY_UNCONFIRMED`, :data:`KEY_NOT_SENT`, :data:`NO_KEY`), the
    HTTP ``status`` when one came, and ``reason``: one line, why it is not reachable, not
    probed, or why the key was not sent. Never holds the key."""

    base: ApiBase
    state: str
    key: str
    status: int | None = None
    reason: str | None = None

    @property
    def shown(self) -> str:
        """The base, one printable line."""
        return one_line(self.base.url, limit=200) or "''"

    @property
    def problem(self) -> str | None:
        """Why the hosted pipelines would fail from what the probe saw (``None``: nothing
        seen): the API not reachable, or the key refused. A base the rules kept from being
        probed says nothing either way."""
        if self.state == UNREACHABLE:
            return (f"Comfy's partner API {self.shown} is not reachable from here: "
                    f"{self.reason} ({FROM_HERE})")
        if self.key == KEY_REFUSED:
            return (f"Comfy's partner API {self.shown} refused the Comfy account key "
                    f"(HTTP {self.status}): check COMFY_API_KEY (or --api-key)")
        return None

    def line(self) -> str:
        """``partner API https://api.comfy.org (ComfyUI's default): reachable from here,
        key accepted (probed from this machine; ...)``: the probe as ``ltx2 check`` says it."""
        head = f"partner API {self.shown} ({self.base.source})"
        if self.state == NOT_PROBED:
            return (f"{head}: not probed: {self.reason} (ltx2 probes public http(s) addresses "
                    "only; the server's own reach shows on its first job)")
        if self.state == UNREACHABLE:
            return f"{head}: not reachable from here: {self.reason} ({FROM_HERE})"
        key = {KEY_ACCEPTED: ", key accepted",
               KEY_REFUSED: f", but it refused the key (HTTP {self.status})",
               KEY_UNCONFIRMED: f" (HTTP {self.status}); the key could not be confirmed",
               KEY_NOT_SENT: f"; the key was not sent ({self.reason})",
               NO_KEY: ""}[self.key]
        return f"{head}: reachable from here{key} ({FROM_HERE})"

    def as_dict(self) -> dict[str, Any]:
        """``ltx2 check --json``'s ``"partner_api"``."""
        return {"base": self.base.url, "named_by_server": self.base.named,
                "state": self.state, "reachable": {REACHABLE: True, UNREACHABLE: False}.get(
                    self.state), "key": self.key, "status": self.status,
                "reason": self.reason, "probed_from": "this machine"}


def _official(url: str) -> bool:
    """Whether ``url`` is :data:`DEFAULT_BASE` (over TLS, its host and port)."""
    from ltx2sdk.web_urls import parse_url  # start-up: only a probe parses it

    try:
        target = parse_url(url)
    except FetchError:
        return False
    return (target.scheme, target.host, target.port) == ("https", "api.comfy.org", 443)


def probe(base: ApiBase, key: PartnerKey | None, *, timeout: float | None = None
          ) -> PartnerReach:
    """Ask ``base`` for :data:`BALANCE_ROUTE` from here, under the rules of the module
    docstring, with ``key`` when there is one and ``base`` is the official one, within
    ``timeout`` seconds (default :data:`PROBE_TIMEOUT`); never raises for what the base (or
    the server that named it) does."""
    from ltx2sdk.media.safe_fetch import fetch_status  # start-up: http.client, ssl

    timeout = PROBE_TIMEOUT if timeout is None else timeout

    url = base.url.rstrip("/") + BALANCE_ROUTE
    secret = key.reveal() if key is not None else None
    withheld: str | None = None  # why a key there is not sent
    if secret is not None and not _official(base.url):
        withheld = f"ltx2 sends it only to {DEFAULT_BASE}"
    elif secret is not None and not all(33 <= ord(char) < 127 for char in secret):
        # http.client would refuse it in an error that quotes it: never sent, never quoted
        withheld = "it has characters an HTTP header cannot carry"
    headers = {"Accept": "application/json"}
    if secret is not None and withheld is None:
        headers[KEY_HEADER] = secret
    try:
        status = fetch_status(url, timeout=timeout, headers=headers)
    except FetchFailedError as exc:  # no answer: a look-up, a connection, the time
        return PartnerReach(base, UNREACHABLE, NO_KEY if key is None else KEY_UNCONFIRMED,
                            reason=_scrubbed(str(exc), secret))
    except FetchError as exc:  # a refusal by rule: nothing was sent
        return PartnerReach(base, NOT_PROBED, NO_KEY if key is None else KEY_NOT_SENT,
                            reason=_scrubbed(str(exc), secret))
    if key is None:
        known = NO_KEY
    elif withheld is not None:
        return PartnerReach(base, REACHABLE, KEY_NOT_SENT, status=status, reason=withheld)
    elif status == 200:
        known = KEY_ACCEPTED
    elif status in REFUSED_STATUSES:
        known = KEY_REFUSED
    else:
        known = KEY_UNCONFIRMED
    return PartnerReach(base, REACHABLE, known, status=status)


def _scrubbed(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` blotted out (an error of the fetch never quotes the headers
    sent; this keeps it so whatever a library's message says)."""
    return text.replace(secret, "***") if secret else text
