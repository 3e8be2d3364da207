"""A server as a batch target: native ComfyUI or the Comfy API v2, through :func:`generate`."""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.targets import JobSettings, JobStage, Runner
from ltx2sdk.app.generate import generate
from ltx2sdk.app.progress import ProgressUpdate
from ltx2sdk.backends.connect import PROBE_TIMEOUT, connect
from ltx2sdk.backends.protocol import Backend
from ltx2sdk.backends.server_urls import (
    DEFAULT_READY_TIMEOUT,
    REFUSED_GRACE,
    connection_failure,
    normalize_server_url,
    shown_url,
)
from ltx2sdk.errors import (
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
    TargetUnusableError,
)

__all__ = ["ServerTarget"]


class ServerTarget:
    """A server reached through :func:`~ltx2sdk.backends.connect.connect`: native ComfyUI (one
    job at a time) or the Comfy API v2 (``concurrency`` jobs at a time, default 1). ``api`` and
    ``api_key`` as for ``connect``; the key is never shown."""

    def __init__(self, url: str, *, api_key: str | None = None, api: str | None = None,
                 settings: JobSettings | None = None) -> None:
        self.url = normalize_server_url(url)
        self.api_key = api_key
        self.api = api
        self.settings = settings or JobSettings()

    @property
    def name(self) -> str:
        return shown_url(self.url)  # recorded and printed: a password in it is ***

    def __repr__(self) -> str:
        return f"ServerTarget({shown_url(self.url)!r}, api={self.api!r})"

    def open(self, concurrency: int | None) -> list[Runner]:
        opened = time.monotonic()  # the probe is part of the first wait for the server
        try:
            # a refused connection or an unknown host fails the probe at once; the first
            # wait for the server says so, and the batch drops the target then
            ready = self.settings.ready_timeout or DEFAULT_READY_TIMEOUT
            first = connect(self.url, api_key=self.api_key, api=self.api,
                            probe_timeout=max(0.5, min(PROBE_TIMEOUT, ready)))
        except (ValueError, ModuleNotFoundError) as exc:  # a key missing, an extra missing
            raise TargetUnusableError(f"{shown_url(self.url)}: {exc}") from exc
        backends = [first]
        if first.api == "v2":  # each runner its own client: no connection shared by threads
            backends += [connect(self.url, api_key=self.api_key, api="v2")
                         for _ in range(max(1, concurrency or 1) - 1)]
        answered = threading.Event()  # shared by the target's runners
        return [_ServerRunner(self.name, backend, self.settings, answered, opened)
                for backend in backends]


class _ServerRunner:
    """One job at a time through :func:`generate`, after a wait for the server (before its
    first job too: :meth:`wait_ready`, the probe of the server counted in that first wait): as
    ``settings.ready_timeout`` says when given; else a server that never answered in this
    batch fails fast if nobody answers (the batch drops it), and one that has answered and
    now refuses is restarting: its refusals are waited for too, as long as for a server
    that accepts but does not answer yet.

    A wait that ends without an answer makes the target unusable, whether or not it
    answered earlier: nobody answering (:class:`ServerUnreachableError`, as the client
    says), or a server that accepts connections and sends nothing within the wait (a
    :class:`ServerUnreachableError` of reason ``no answer within 30 s``; a proxy answering
    503 for it: ``not ready within 30 s (HTTP 503)``), or one that answers
    but not like a ComfyUI (:class:`TargetUnusableError`: every job would fail there)."""

    def __init__(self, name: str, backend: Backend, settings: JobSettings,
                 answered: threading.Event, opened: float | None = None) -> None:
        self.name = name
        self.backend = backend
        self.settings = settings
        self.answered = answered
        self._opened = opened  # when the first wait began (the probe), until it is done

    def wait_ready(self, cancel: threading.Event) -> None:
        """Before the first job: see :class:`~ltx2sdk.app.batch.targets.WaitsForReady`."""
        self._wait_ready(cancel)

    def _wait_ready(self, cancel: threading.Event) -> None:
        limit, grace = self.settings.ready_timeout, None
        if limit is None:
            limit = DEFAULT_READY_TIMEOUT
            grace = None if self.answered.is_set() else REFUSED_GRACE
        limit = min(limit, self.settings.timeout)
        waited = 0.0 if self._opened is None else time.monotonic() - self._opened
        self._opened = None
        try:
            self.backend.wait_ready(timeout=limit, refused_grace=grace, cancel=cancel,
                                    waited=waited)
        except ServerUnreachableError:
            raise  # nobody there: the batch drops the target, as the error says
        except ServerResponseError as exc:  # answered, but not as a ComfyUI would
            said = str(exc)
            where = said.find("does not answer like")
            raise TargetUnusableError(
                f"{self.name}: {said[where:] if where >= 0 else said}") from exc
        except ServerUnavailableError as exc:  # accepted, but silent (or a proxy's 502-504)
            why = connection_failure(exc.__cause__)[1] if exc.__cause__ is not None else ""
            reason = (f"no answer within {limit:g} s" if why in ("", "no answer in time")
                      else f"not ready within {limit:g} s ({why})")
            raise ServerUnreachableError(str(exc), url=self.name, reason=reason) from exc
        self.answered.set()

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None,
            on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        if job.checked is None:
            raise ValueError(job.problem or "the job has no valid request")
        started = time.monotonic()
        self._wait_ready(cancel)

        def progress(update: ProgressUpdate) -> None:
            if on_stage is not None:
                on_stage(JobStage(update.stage, update.step, update.steps,
                                  update.percent / 100, left=update.eta))

        # other outputs of the graph land in a folder of their own and go with it
        with tempfile.TemporaryDirectory(dir=video.parent, prefix=".outputs-") as others:
            result = generate(job.checked, self.backend, output=video, output_dir=others,
                              timeout=max(0.5, self.settings.timeout
                                          - (time.monotonic() - started)),
                              ready_timeout=0,  # waited for above
                              input_policy=self.settings.input_policy, cancel=cancel,
                              on_progress=progress if on_stage is not None else None)
        return result.metadata()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.backend.close()
