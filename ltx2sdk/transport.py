"""The wire: ComfyUI's HTTP routes (requests) and its WebSocket (websocket-client).

This layer knows URLs, status codes and frame formats, and turns every failure
into a typed :mod:`ltx2sdk.errors` exception. It knows nothing of prompts'
life cycles; :mod:`ltx2sdk.client` builds those on top of it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import websocket

from .errors import (
    NodeError,
    PromptRejectedError,
    ServerResponseError,
    ServerUnavailableError,
    UploadError,
)

DOWNLOAD_CHUNK = 1 << 20  # 1 MiB: steady memory whatever the file size


def _describe_connection_error(url: str, exc: Exception) -> str:
    return f"cannot reach ComfyUI at {url}: {type(exc).__name__}: {exc}"


class HttpTransport:
    """JSON over HTTP to one ComfyUI server. ``timeout`` bounds each request."""

    def __init__(self, base_url: str, *, timeout: float = 30.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(self, method: str, path: str, *, timeout: float | None = None,
                **kwargs: Any) -> requests.Response:
        url = self.url(path)
        try:
            return self.session.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc

    def get_json(self, path: str, *, timeout: float | None = None) -> Any:
        response = self.request("GET", path, timeout=timeout)
        return _json_or_raise(response, path)

    def post_json(self, path: str, body: Mapping[str, Any] | None = None) -> requests.Response:
        return self.request("POST", path, json=body if body is not None else {})

    def post_prompt(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /prompt``; a 400 becomes :class:`PromptRejectedError` with each node error."""
        response = self.post_json("/prompt", body)
        if response.status_code == 400:
            raise rejection_from_body(_json_or_raise(response, "/prompt", accept=(400,)))
        result: dict[str, Any] = _json_or_raise(response, "/prompt")
        return result

    def upload_image(self, data: bytes, filename: str, *, overwrite: bool = False,
                     subfolder: str = "", kind: str = "input") -> dict[str, Any]:
        """``POST /upload/image``: the server's ``{"name", "subfolder", "type"}``."""
        form = {"overwrite": "true" if overwrite else "false", "type": kind}
        if subfolder:
            form["subfolder"] = subfolder
        response = self.request("POST", "/upload/image", files={"image": (filename, data)},
                                data=form)
        if response.status_code == 413:
            raise UploadError(f"ComfyUI refused the upload of {filename} ({len(data)} bytes): "
                              f"{response.text.strip() or 'request body too large'}")
        if response.status_code != 200:
            raise UploadError(f"ComfyUI refused the upload of {filename}: HTTP "
                              f"{response.status_code} {response.text.strip()[:200]}")
        result: dict[str, Any] = _json_or_raise(response, "/upload/image")
        return result

    def download(self, params: Mapping[str, str], dest: Path,
                 on_chunk: Callable[[int], None] | None = None) -> int:
        """Stream ``GET /view`` into ``dest`` (never whole in memory); returns the size.

        The file is written next to ``dest`` and renamed when complete, so a failed
        download never leaves a truncated file under the final name.
        """
        path = "/view?" + urlencode(params)
        url = self.url(path)
        partial = dest.with_name(dest.name + ".part")
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise ServerResponseError(
                        f"GET {path} answered HTTP {response.status_code}",
                        status=response.status_code, body=response.text[:500])
                size = 0
                with open(partial, "wb") as out:
                    for chunk in response.iter_content(DOWNLOAD_CHUNK):
                        out.write(chunk)
                        size += len(chunk)
                        if on_chunk:
                            on_chunk(len(chunk))
                expected = response.headers.get("Content-Length")
                if expected is not None and int(expected) != size:
                    raise ServerResponseError(
                        f"GET {path} ended after {size} of {expected} bytes")
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, dest)
        return size

    def view_exists(self, params: Mapping[str, str]) -> bool | None:
        """Whether ``GET /view`` has the file: ``True`` (200), ``False`` (404), ``None``
        when the answer says neither. Only the headers are read."""
        path = "/view?" + urlencode(params)
        url = self.url(path)
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as response:
                status = response.status_code
        except requests.RequestException as exc:
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
        return True if status == 200 else False if status == 404 else None

    def ws_url(self, client_id: str) -> str:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path + "/ws",
                           urlencode({"clientId": client_id}), ""))


def _json_or_raise(response: requests.Response, path: str, accept: tuple[int, ...] = (200,)
                   ) -> Any:
    if response.status_code not in accept:
        raise ServerResponseError(
            f"{response.request.method} {path} answered HTTP {response.status_code}: "
            f"{response.text.strip()[:300]}", status=response.status_code, body=response.text)
    try:
        return response.json()
    except ValueError as exc:
        raise ServerResponseError(f"{path} answered with a body that is not JSON: "
                                  f"{response.text.strip()[:200]!r}",
                                  status=response.status_code, body=response.text) from exc


def rejection_from_body(body: Any) -> PromptRejectedError:
    """Turn ComfyUI's 400 body into :class:`PromptRejectedError` (one NodeError each)."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if isinstance(error, str):  # very old servers answer {"error": "message"}
        error = {"type": "error", "message": error}
    node_errors = []
    for node_id, entry in (body.get("node_errors") or {}).items():
        for item in entry.get("errors", []):
            extra = item.get("extra_info") or {}
            node_errors.append(NodeError(
                node_id=str(node_id), class_type=str(entry.get("class_type", "?")),
                type=str(item.get("type", "")), message=str(item.get("message", "")),
                details=str(item.get("details", "")), input_name=extra.get("input_name")))
    message = str(error.get("message", "invalid prompt"))
    details = str(error.get("details") or "")
    if details and not node_errors:
        message = f"{message}: {details}"
    return PromptRejectedError(str(error.get("type", "unknown")), message, node_errors, raw=body)


class Socket:
    """One WebSocket to ComfyUI for ``client_id``.

    :meth:`receive` returns a decoded text message, ``None`` when ``timeout``
    passed without one, and raises :class:`ServerUnavailableError` when the
    connection is gone. Binary frames (previews, progress text) are skipped.
    """

    def __init__(self, url: str, *, connect_timeout: float) -> None:
        try:
            self._ws = websocket.create_connection(url, timeout=connect_timeout,
                                                   enable_multithread=True)
        except (OSError, websocket.WebSocketException) as exc:
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc

    def receive(self, timeout: float) -> dict[str, Any] | None:
        self._ws.settimeout(max(timeout, 0.001))
        while True:
            try:
                opcode, payload = self._ws.recv_data()
            except websocket.WebSocketTimeoutException:
                return None
            except (OSError, websocket.WebSocketException) as exc:
                raise ServerUnavailableError(f"the WebSocket to ComfyUI closed: {exc}") from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ServerUnavailableError("the WebSocket to ComfyUI closed")
            if opcode != websocket.ABNF.OPCODE_TEXT:
                continue
            try:
                message = json.loads(payload)
            except ValueError:
                continue
            if isinstance(message, dict):
                return message

    def close(self) -> None:
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self._ws.close(timeout=1)
