"""One protocol for servers: what ``generate()``, the CLI and the RunPod worker need of one.

A :class:`Backend` checks a graph (or says it cannot), uploads an input file, runs a graph
with typed events (:mod:`ltx2sdk.backends.events`) and a deadline, downloads the outputs streamed
and verified, and interrupts a job. Two implementations:

- :class:`ltx2sdk.backends.comfyui.client.ComfyClient`: ComfyUI's native ``/prompt`` + ``/ws``;
- :class:`ltx2sdk.backends.comfy_api_v2.backend.V2Backend`: the Comfy API v2 (Comfy Cloud,
  Comfy's serverless deployments, ``comfy-api-proxy`` in front of any ComfyUI), on ``comfy-sdk``
  (``pip install 'ltx2sdk[cloud]'``).

:func:`ltx2sdk.backends.connect.connect` picks one for a URL. Both raise the one exception tree of
:mod:`ltx2sdk.errors`. This module is the bottom layer of the two: it imports neither.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from ltx2sdk.backends.events import Event
from ltx2sdk.backends.outputs import OutputFile, local_names, publish, staging_file
from ltx2sdk.errors import MissingApiKeyError
from ltx2sdk.graph.core import Graph
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.graph.server_check import ServerCheck

__all__ = ["API_KEY_ENV", "CLEANUP_TIMEOUT", "COMFY_CLOUD_URL", "NO_SUCH_JOB", "Backend",
           "NotChecked", "RunResult", "download_all", "is_comfy_cloud", "resolve_api_key"]

EventCallback = Callable[[Event], None]

CLEANUP_TIMEOUT = 5.0  # seconds to stop a job after its deadline, or after the caller gave up
NO_SUCH_JOB = "00000000-0000-0000-0000-000000000000"  # a job id no server has: safe to ask for

COMFY_CLOUD_URL = "https://cloud.comfy.org"
"""Comfy Cloud's Comfy API v2 (comfy-sdk's ``COMFY_CLOUD_BASE_URL``): always v2, needs a key."""
V2_HOST_SUFFIXES = (".run.comfy.app",)
"""Host names that are Comfy API v2 deployments by construction (Comfy's serverless ones)."""
API_KEY_ENV = "COMFY_API_KEY"
"""Where the Comfy API v2 key is read from when none is given (as comfy-sdk reads it)."""


@dataclass
class RunResult:
    """A finished prompt (a job): its outputs and the local paths they were saved to."""

    prompt_id: str
    outputs: list[OutputFile]
    files: dict[OutputFile, Path] = field(default_factory=dict)
    cached_nodes: tuple[str, ...] = ()
    queued_at: float = 0.0
    started_at: float | None = None
    finished_at: float = 0.0


@dataclass(frozen=True)
class NotChecked(ServerCheck):
    """What a backend that cannot check a graph before running it says about one.

    ``ok`` is true (nothing is known to be wrong) but nothing was checked: ``reason`` says
    why, and it is the only entry of ``undecided``. The server validates the graph when the
    job is submitted instead (a refusal is a :class:`~ltx2sdk.errors.PromptRejectedError`).
    """

    reason: str = ""
    checked: bool = False


@runtime_checkable
class Backend(Protocol):
    """A server that runs ComfyUI graphs, whatever its protocol.

    Every method that waits takes ``deadline`` (a :func:`time.monotonic` instant) and ends
    by it; every failure is an :class:`~ltx2sdk.errors.LTX2Error`.
    """

    api: str
    """``"comfyui"`` (native ``/prompt`` + ``/ws``) or ``"v2"`` (the Comfy API v2)."""
    can_check: bool
    """Whether :meth:`check` asks the server (``False``: it answers :class:`NotChecked`)."""

    @property
    def base_url(self) -> str:
        """The server's URL, fit to show (no credential in it)."""
        ...

    def wait_ready(self, timeout: float = 60.0, interval: float = 0.5, *,
                   refused_grace: float | None = None,
                   on_wait: Callable[[], None] | None = None,
                   cancel: threading.Event | None = None,
                   waited: float = 0.0) -> dict[str, Any]:
        """Wait until the server can take jobs (see :meth:`ComfyClient.wait_ready`): at most
        ``timeout`` seconds, ``waited`` of them already spent (a probe before); a ``cancel``
        set ends it within a fraction of a second."""
        ...

    def schemas(self, *, deadline: float | None = None) -> SchemaSet | None:
        """The server's node schemas, or ``None`` when it does not publish them (build for
        the SDK's own then)."""
        ...

    def check(self, graph: Graph | Mapping[str, Any], *,
              pending_uploads: Collection[str] = (), deadline: float | None = None
              ) -> ServerCheck:
        """What the server would make of ``graph`` (:class:`NotChecked` when it cannot
        say before the job is submitted)."""
        ...

    def upload_file(self, data: bytes, filename: str, *, overwrite: bool = False,
                    deadline: float | None = None, reuse: bool = False) -> str:
        """Upload an input file (an image, an audio file) for LoadImage or LoadAudio; returns
        the name to give them, ``filename``'s own. Where the server keeps the file under
        another name or as an asset, the backend puts that into each prompt that uses the
        name when it checks or runs it (:mod:`ltx2sdk.backends.uploads`). ``reuse`` says
        ``filename`` names its content (:func:`~ltx2sdk.backends.uploads.content_stem`): a
        file the server has under that name already is these bytes, and is not sent again."""
        ...

    def run(self, graph: Graph | Mapping[str, Any], *, output_dir: Path | str | None = None,
            on_event: EventCallback | None = None, timeout: float = 3600.0,
            on_queued: Callable[[str], None] | None = None, check: bool = True,
            cancel: threading.Event | None = None, deadline: float | None = None
            ) -> RunResult:
        """Run ``graph`` to its end with typed events; setting ``cancel`` stops it with
        :class:`~ltx2sdk.errors.JobCancelledError` (see :meth:`ComfyClient.run`)."""
        ...

    def download(self, output: OutputFile, dest: Path, *,
                 deadline: float | None = None) -> Path:
        """Stream one output to ``dest`` and verify it is the file it claims to be."""
        ...

    def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        """Stop the job ``prompt_id`` (running or queued)."""
        ...

    def close(self) -> None:
        """Release connections; the backend is not used afterwards."""
        ...


def is_comfy_cloud(url: str) -> bool:
    """Whether ``url`` is Comfy Cloud (compared by origin, as comfy-sdk compares it)."""
    return _origin(url) == _origin(COMFY_CLOUD_URL)


def is_known_v2(url: str) -> bool:
    """Whether ``url`` is a Comfy API v2 deployment by its address alone."""
    host = (urlsplit(url).hostname or "").lower()
    return is_comfy_cloud(url) or host.endswith(V2_HOST_SUFFIXES)


def resolve_api_key(api_key: str | None, url: str) -> str | None:
    """The key to send to the Comfy API v2 at ``url``: ``api_key``, else ``$COMFY_API_KEY``
    (surrounding blanks stripped, a blank one counts as none), else ``None``. Comfy Cloud
    needs one: :class:`MissingApiKeyError` there (the message names the variable, never a
    key)."""
    for candidate in (api_key, os.environ.get(API_KEY_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    if is_comfy_cloud(url):
        raise MissingApiKeyError(f"Comfy Cloud ({COMFY_CLOUD_URL}) needs an API key: set "
                                 f"{API_KEY_ENV} (or pass api_key=..., or --api-key)")
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def download_all(backend: Backend, result: RunResult, output_dir: Path, *,
                 deadline: float | None = None) -> None:
    """Download every output of ``result`` from ``backend`` into ``output_dir``, each under
    its own local name, recording each finished one in ``result.files`` (so a failure leaves
    what was already done).

    The names are the server's, so none replaces a file: each output is downloaded and
    verified under a name of its own, then takes its name only if no file has it, else
    ``name (1).ext`` (:func:`~ltx2sdk.backends.outputs.publish`)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for output, name in local_names(result.outputs).items():
        staged = staging_file(output_dir, name)
        try:
            backend.download(output, staged, deadline=deadline)
            result.files[output] = publish(staged, output_dir / name)
        finally:
            staged.unlink(missing_ok=True)  # published (gone already) or failed
