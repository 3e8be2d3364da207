"""``connect(url)``: the backend (:mod:`ltx2sdk.backends.protocol`) for a server, native or the
Comfy API v2.

``api="comfyui"`` or ``api="v2"`` says which; otherwise the address decides when it is known
(Comfy Cloud, ``*.run.comfy.app``), else the server is asked once: a Comfy API v2 deployment
answers ``GET /api/v2/health`` (200, JSON), or any ``/api/v2/`` route with its JSON error
envelope; native ComfyUI answers both with a plain 404. A server that does not answer at all
is taken for native ComfyUI, whose client then waits for it or says it cannot be reached
(pass ``api="v2"`` to wait for a v2 server that is starting).

The implementations load with their choice: ``requests`` for native ComfyUI, ``comfy-sdk``
(``pip install 'ltx2sdk[cloud]'``) for the v2 API. The probe itself uses the standard library.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Literal

from ltx2sdk.backends.protocol import NO_SUCH_JOB, is_known_v2
from ltx2sdk.backends.server_urls import basic_auth, normalize_server_url, without_credentials

if TYPE_CHECKING:
    from ltx2sdk.backends.protocol import Backend

__all__ = ["APIS", "connect", "detect_api"]

Api = Literal["comfyui", "v2"]
APIS: tuple[Api, ...] = ("comfyui", "v2")
PROBE_TIMEOUT = 5.0


def connect(url: str, *, api_key: str | None = None, api: str | None = None,
            probe_timeout: float = PROBE_TIMEOUT) -> Backend:
    """The backend for the server at ``url`` (typed as people type it: ``127.0.0.1:8188``).

    ``api``: ``"comfyui"``, ``"v2"``, or ``None`` to find out (see the module). ``api_key``
    is a Comfy account key (default ``$COMFY_API_KEY``): the Comfy API v2 takes it for every
    request (Comfy Cloud requires one); native ComfyUI gets it only with a prompt that has a
    partner node (the hosted LTX-2.5 API), in ``POST /prompt``'s ``extra_data``, which is
    where ComfyUI gives it to those nodes. It is sent to that server only, never shown.
    Raises :class:`~ltx2sdk.errors.ServerUrlError` (a ``ValueError``) for a URL
    that cannot work, and ``ModuleNotFoundError`` naming ``ltx2sdk[cloud]`` when the v2 API is
    chosen without comfy-sdk installed.
    """
    base = normalize_server_url(url)
    if api is not None and api not in APIS:
        raise ValueError(f"api must be one of {', '.join(APIS)} (or None to ask the server), "
                         f"not {api!r}")
    chosen = api if api is not None else detect_api(base, timeout=probe_timeout)
    if chosen == "v2":
        from ltx2sdk.backends.comfy_api_v2.backend import (  # extra: comfy-sdk
            V2Backend,  # comfy-sdk: only for the v2 API
        )

        return V2Backend(base, api_key=api_key)
    from ltx2sdk.backends.comfyui.client import (  # start-up: requests, websocket-client
        ComfyClient,  # requests and websocket-client: only for native ComfyUI
    )

    return ComfyClient(base, api_key=api_key)


def detect_api(url: str, *, timeout: float = PROBE_TIMEOUT) -> Api:
    """``"v2"`` when ``url`` is a Comfy API v2 deployment, else ``"comfyui"`` (see the module).
    No API key is sent; a user and password in ``url`` (a proxy's basic auth) are, to that
    server only. Its requests take ``timeout`` seconds together, not each (the probe is part
    of the wait for the server): the second has what the first left."""
    base, _ = without_credentials(normalize_server_url(url))
    if is_known_v2(base):
        return "v2"
    auth = basic_auth(normalize_server_url(url))  # urllib would take user:pass@ for the host
    end = time.monotonic() + timeout  # both requests within it: the probe is part of a wait
    status, body = _probe(f"{base}/api/v2/health", timeout, auth)
    if status == 200 and isinstance(body, dict):
        return "v2"
    left = end - time.monotonic()
    if status is None or left <= 0:  # nothing answers (or no time to ask again): the
        return "comfyui"  # native client waits, or says so
    status, body = _probe(f"{base}/api/v2/jobs/{NO_SUCH_JOB}", left, auth)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return "v2"  # the v2 error envelope (not_found, unauthorized...)
    return "comfyui"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the answer (an HTTPError): where the server points is not asked."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _probe(url: str, timeout: float,
           auth: dict[str, str] | None = None) -> tuple[int | None, object]:
    """``(status, JSON body or None)`` of ``GET url``; ``(None, None)`` when nothing answered."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    for name, value in (auth or {}).items():
        request.add_unredirected_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = int(response.status), response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(64 * 1024) if exc.fp is not None else b""
    except (OSError, ValueError):  # refused, unresolvable, timed out, not HTTP
        return None, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None
