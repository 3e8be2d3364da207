"""Checking a batch's jobs before anything runs: every problem of every line, at once.

    from ltx2sdk.app.batch.check import check_jobs

    report = check_jobs("jobs.jsonl")                                 # offline: the catalog
    report = check_jobs("jobs.jsonl", targets=["http://gpu-a:8188"])  # and that server
    for line in report.lines():
        print(line)                  # jobs.jsonl:3: duration: ... (at most 20 s ...)
    print(report.summary())          # 6 jobs, all valid

**What is checked**, for every job (a line of a JOBS.jsonl file, or an item of an iterable):
it is JSON, an object, a valid :class:`~ltx2sdk.request.GenerationRequest`, and a request a
pipeline of the catalog can make as asked (:func:`builders.check_request`), and its input files
given inline (``image_base64``, ``last_image_base64``, ``audio_base64``) decoded as ``generate``
decodes them, within the same limits (:class:`~ltx2sdk.app.generate.InputPolicy`): base64 an
image or a sound file can be read from, and that size, pixel count and length. Input files
given by URL are **not fetched**: their URL is checked by the request model's rule, and their
host judged as the fetcher will (:func:`~ltx2sdk.media.safe_fetch.resolve`): an address that
is not public (unless the host is trusted) is a problem in the run's words. :func:`check_jobs`
(``ltx2 batch --check``, :meth:`Batch.check`) resolves a host name too, once per check and
bounded by the fetch timeout (:class:`~ltx2sdk.app.generate.InputPolicy`): a name that does
not resolve, or resolves to an address that is not public, is a problem. The check a run makes
first (:func:`scan_jobs`) judges IP literals only: a name is the fetch's, when its job runs (a
name that does not resolve then is a failure a re-run tries again). Server targets are not
judged so: a server on a loopback address is fine. The file must hold at least one job (blank
lines and ``#`` comments are none). A job repeating an earlier one (the same key:
:func:`~ltx2sdk.app.batch.jobs.job_key`) is noted, not refused: a batch makes it once.

**Given server targets**, each valid job's graph is also built for each server (its ComfyUI
release and node schemas) and checked by the server's own rules, as ``generate`` does before
queueing: node types it lacks, model files it does not list, input files (``image``,
``audio``...) not in its input folder; a ``video`` already there is read and measured as
``generate`` measures it (a ``video_start`` past its end, a part too short, a file that is
no video). A server that cannot be reached (or does not answer
like a ComfyUI) is no problem of the jobs: a run would drop it too. It is listed in
:attr:`JobsReport.unreachable`, with why, and the jobs are checked on the servers that
answer (:attr:`JobsReport.reached_none` says when none did). A Comfy API v2 server and a RunPod
endpoint publish no node schemas or model lists: they are listed in
:attr:`JobsReport.unchecked`, with why, and their jobs are checked when they run. A RunPod
endpoint is first asked ``/health`` as a run asks it (within the same wait, with
``$RUNPOD_API_KEY``): one nobody answers at, or without a key, is unreachable as above.

Nothing is queued, uploaded or written. A problem names the job by its line number (its
1-based position for an iterable); :meth:`JobsReport.lines` says ``FILE:LINE: problem``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builders import build
from builders.pipelines import (
    PLACEHOLDER_AUDIO,
    PLACEHOLDER_IMAGE,
    PLACEHOLDER_LAST_IMAGE,
    PLACEHOLDER_VIDEO,
)
from ltx2sdk.app.batch.jobs import GIVEN_JOBS, BatchJob, JobSource, key_id
from ltx2sdk.backends.server_urls import DEFAULT_READY_TIMEOUT, REFUSED_GRACE
from ltx2sdk.errors import FetchError, InputFileError, InvalidJobsError, LTX2Error
from ltx2sdk.vocabulary import AUDIO, INPUT_FILES, VIDEO
from ltx2sdk.wording import exception_line

if TYPE_CHECKING:
    from ltx2sdk.app.generate import InputPolicy
    from ltx2sdk.backends.protocol import Backend
    from ltx2sdk.graph.schema import SchemaSet
    from ltx2sdk.media.video import VideoData
    from ltx2sdk.request import GenerationRequest
    from ltx2sdk.web_urls import Target

    _Server = tuple[str, Backend, SchemaSet | None]

__all__ = ["JobProblem", "JobsReport", "check_jobs", "scan_jobs"]

SHOWN_IN_ERROR = 3  # problems an InvalidJobsError's one line quotes (the report has them all)


@dataclass(frozen=True)
class JobProblem:
    """One problem: ``job`` is the line number (``None``: the file as a whole), ``message``
    one line, ``target`` the server whose check found it (``None``: the catalog's)."""

    job: int | None
    message: str
    target: str | None = None

    def describe(self, source: str) -> str:
        """``jobs.jsonl:3: duration: ...``; on a server ``jobs.jsonl:3: on URL: ...``; jobs
        given as a list: ``job 3: ...``."""
        if self.job is None:
            where = source
        else:
            where = f"job {self.job}" if source == GIVEN_JOBS else f"{source}:{self.job}"
        on = f"on {self.target}: " if self.target is not None else ""
        return f"{where}: {on}{self.message}"

    def as_json(self, source: str) -> dict[str, Any]:
        """The problem as a JSON object (``ltx2 batch --check --json``)."""
        return {"type": "problem", "file": source, "line": self.job, "target": self.target,
                "message": self.message}


@dataclass(frozen=True)
class JobsReport:
    """What a check found: ``jobs`` jobs in ``source`` (blank and comment lines not
    counted), ``problems`` (each refuses its job, or the file), ``repeats`` (notes: jobs
    made once, as an earlier one), ``checked_on`` the servers the jobs were checked on,
    ``unchecked`` the targets that cannot check them (``target (why)``: a RunPod endpoint,
    a Comfy API v2 server), ``unreachable`` the servers that could not be reached to check
    them (``URL (why)``)."""

    source: str
    jobs: int
    problems: tuple[JobProblem, ...] = ()
    repeats: tuple[JobProblem, ...] = ()
    checked_on: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()

    @property
    def invalid_jobs(self) -> tuple[int, ...]:
        """The line numbers of the jobs with a problem, in order, each once."""
        return tuple(sorted({p.job for p in self.problems if p.job is not None}))

    @property
    def valid_jobs(self) -> int:
        """How many jobs have no problem: what skipping the invalid ones would run."""
        return self.jobs - len(self.invalid_jobs)

    @property
    def ok(self) -> bool:
        """At least one job, and no problem anywhere (a server that could not be reached is
        none: see :attr:`reached_none`)."""
        return self.jobs > 0 and not self.problems

    @property
    def reached_none(self) -> bool:
        """Servers were given to check on, and none of them could be reached: the check on
        a server that was asked for was not made at all."""
        # (an unchecked target was reached: a v2 server, a RunPod endpoint that answered)
        return bool(self.unreachable) and not self.checked_on and not self.unchecked

    def lines(self) -> list[str]:
        """Every server that could not be reached (``FILE: note: not checked on URL
        (why)...``), every problem, then every repeat, as ``FILE:LINE: ...`` lines (a
        repeat's ``FILE:LINE: note: ...``)."""
        return [*(f"{self.source}: note: not checked on {server}: a run would drop it"
                  for server in self.unreachable),
                *(p.describe(self.source) for p in self.problems),
                *(JobProblem(p.job, f"note: {p.message}", p.target).describe(self.source)
                  for p in self.repeats)]

    def summary(self) -> str:
        """One line: ``6 jobs, all valid`` or ``6 jobs: 2 invalid (lines 3, 5)`` (``jobs 3,
        5`` for jobs given as a list)."""
        if self.jobs == 0:
            return no_jobs_message(self.source)
        jobs = f"{self.jobs} job{'s' if self.jobs != 1 else ''}"
        invalid = self.invalid_jobs
        whole = [p for p in self.problems if p.job is None]
        if not invalid and not whole:
            text = f"{jobs}, all valid"
        else:
            parts = []
            if invalid:
                parts.append(f"{len(invalid)} invalid "
                             f"({_number_list(invalid, self.source == GIVEN_JOBS)})")
            if whole:
                parts.append(f"{len(whole)} problem{'s' if len(whole) != 1 else ''} of the "
                             "whole file")
            text = f"{jobs}: " + ", ".join(parts)
        if self.repeats:
            n = len(self.repeats)
            text += f"; {n} {'repeats' if n == 1 else 'repeat'} an earlier job (made once)"
        if self.checked_on:
            text += f"; checked on {', '.join(self.checked_on)}"
        if self.unchecked:
            text += "; not checked on " + "; ".join(self.unchecked)
        if self.unreachable:
            text += "; could not check on " + "; ".join(self.unreachable)
        return text

    def as_json(self) -> dict[str, Any]:
        """The summary as a JSON object (``ltx2 batch --check --json``'s last line)."""
        return {"type": "summary", "file": self.source, "jobs": self.jobs, "ok": self.ok,
                "invalid": list(self.invalid_jobs),
                "problems": len(self.problems), "repeats": [p.job for p in self.repeats],
                "checked_on": list(self.checked_on), "unchecked": list(self.unchecked),
                "unreachable": list(self.unreachable), "message": self.summary()}

    def raise_if_failed(self) -> None:
        """:class:`~ltx2sdk.errors.InvalidJobsError` (every problem's line in its
        ``problems``) unless :attr:`ok`."""
        if self.ok:
            return
        described = [p.describe(self.source) for p in self.problems]
        if self.jobs == 0:
            raise InvalidJobsError(no_jobs_message(self.source), described)
        shown = "; ".join(described[:SHOWN_IN_ERROR])
        more = len(described) - SHOWN_IN_ERROR
        if more > 0:
            shown += f"; and {more} more"
        if self.valid_jobs == 0:  # skipping them would leave nothing: not advised
            raise InvalidJobsError(f"{self.summary()}: {shown}. Nothing to run, no job is "
                                   "valid: fix them", described)
        raise InvalidJobsError(f"{self.summary()}: {shown}. Nothing was run: fix them, or "
                               "skip them (skip_invalid=True; ltx2 batch --skip-invalid)",
                               described)


def no_jobs_message(source: str) -> str:
    """What a file (or jobs given in Python) without a job is told."""
    if source == GIVEN_JOBS:
        return "no jobs were given (an empty list or iterable): nothing to run"
    return f"{source} has no jobs (only blank lines and # comments, or nothing)"


def _number_list(numbers: Sequence[int], given: bool, limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    noun = "job" if given else "line"
    return f"{noun}{'s' if len(numbers) != 1 else ''} {shown}{more}"


@dataclass
class _Scan:
    source: str
    policy: InputPolicy | None = None  # the limits of inline input files (None: generate's)
    jobs: int = 0
    problems: list[JobProblem] = field(default_factory=list)
    repeats: list[JobProblem] = field(default_factory=list)
    first_of: dict[int, int] = field(default_factory=dict)  # key_id -> its first line
    resolve_names: bool = False  # a URL's host name resolved and judged (else literals only)
    # (host, checked) -> why the fetcher would refuse it (None: it would not): once a host
    resolved: dict[tuple[str, bool], str | None] = field(default_factory=dict)

    @property
    def noun(self) -> str:
        return "job" if self.source == GIVEN_JOBS else "line"

    def add(self, job: BatchJob) -> bool:
        """Count and check ``job``; whether it is valid and the first of its key (a job
        to check on the servers too)."""
        self.jobs += 1
        if job.problem is not None:
            self.problems.append(JobProblem(job.number, job.problem))
            return False
        compact = key_id(job.key)
        first = self.first_of.setdefault(compact, job.number)
        if first != job.number:
            self.repeats.append(JobProblem(
                job.number, f"the same request as {self.noun} {first}: made once (give it "
                            "another seed for another video)"))
            return False  # its inputs are its first's: checked there
        assert job.request is not None  # no problem: checked
        found = [JobProblem(job.number, line) for line in (
            *_url_address_problems(job.request, self.policy,
                                   self.resolved if self.resolve_names else None),
            *_inline_input_problems(job.request, self.policy))]
        self.problems.extend(found)
        return not found

    def report(self, **more: Any) -> JobsReport:
        return JobsReport(self.source, self.jobs, tuple(self.problems), tuple(self.repeats),
                          **more)


def _url_address_problems(request: GenerationRequest, policy: InputPolicy | None,
                          resolved: dict[tuple[str, bool], str | None] | None
                          ) -> Iterator[str]:
    """The input URLs of ``request`` the fetcher would refuse by their host, one line each in
    its words (``image_url: refusing to fetch from the non-public address 127.0.0.1
    (loopback; localhost resolves to it)``, ``image_url: cannot resolve x.invalid: ...``),
    every address judged unless ``policy`` trusts the host, as
    :func:`~ltx2sdk.media.safe_fetch.resolve` does for the run. A name is resolved when
    ``resolved`` is given (once: it keeps what each host came to); else IP literals alone
    are judged."""
    from ltx2sdk.app.generate import InputPolicy  # start-up: only a job with a URL
    from ltx2sdk.media.safe_fetch import trusted_name  # start-up: likewise
    from ltx2sdk.web_urls import parse_url  # start-up: likewise

    limits = policy or InputPolicy()
    trusted = {trusted_name(host) for host in limits.trusted_hosts}
    for which in INPUT_FILES:
        url = getattr(request, which.url)
        if url is None:
            continue
        try:
            target = parse_url(url)
        except LTX2Error:  # the request model's rule said it already
            continue
        checked = target.host not in trusted
        if resolved is None:  # literals only
            if target.literal is None:
                continue
            resolved = {}
        if (target.host, checked) not in resolved:
            timeout = limits.video_fetch_timeout if which is VIDEO else limits.fetch_timeout
            resolved[target.host, checked] = _host_refusal(target, checked, timeout)
        reason = resolved[target.host, checked]
        if reason is not None:
            yield f"{which.url}: {reason}"


def _host_refusal(target: Target, checked: bool, timeout: float) -> str | None:
    """Why the fetcher would refuse ``target``'s host (``checked``: its addresses judged),
    resolving it within ``timeout`` seconds as the run would; ``None`` when it would not."""
    from ltx2sdk.deadline import Deadline  # start-up: only a job with a URL
    from ltx2sdk.media.safe_fetch import resolve  # start-up: likewise

    try:
        resolve(target, Deadline.after(timeout), check=checked)
    except FetchError as exc:  # not public, or no address (FetchFailedError)
        return str(exc)
    except TimeoutError:
        return f"cannot resolve {target.host}: no answer within {timeout:g} s"
    return None


def _inline_input_problems(request: GenerationRequest, policy: InputPolicy | None
                           ) -> Iterator[str]:
    """What ``generate`` would refuse in ``request``'s input files given as base64, decoded
    by the same functions under the same limits (``policy``; ``None``: generate's defaults),
    one line each (``image_base64: not a readable image ...``). URLs are not fetched."""
    from ltx2sdk.app.generate import InputPolicy  # start-up: only a job with inline inputs
    from ltx2sdk.media.audio import audio_from_base64  # start-up: decoded when there is one
    from ltx2sdk.media.images import image_from_base64  # start-up: likewise
    from ltx2sdk.media.video import video_from_base64  # start-up: likewise

    limits = policy or InputPolicy()
    for which in INPUT_FILES:
        data = getattr(request, which.base64)
        if data is None:
            continue
        try:
            if which is AUDIO:
                audio_from_base64(data, field=which.base64, max_bytes=limits.max_audio_bytes,
                                  max_seconds=limits.max_audio_seconds)
            elif which is VIDEO:
                video_from_base64(data, field=which.base64, limits=limits.video)
            else:
                image_from_base64(data, field=which.base64, max_bytes=limits.max_bytes,
                                  max_pixels=limits.max_pixels)
        except InputFileError as exc:  # names the field: image_base64: ...
            yield str(exc)


def scan_jobs(jobs: Iterable[BatchJob], source: str, *, input_policy: InputPolicy | None = None
              ) -> tuple[JobsReport, set[int]]:
    """The catalog check of ``jobs`` (offline; inline input files decoded under
    ``input_policy``, ``None``: generate's limits), and the :func:`key_id` s of every valid
    job (what a batch counts its work by). One pass; memory grows with the number of distinct
    jobs."""
    scan = _Scan(source, input_policy)
    for job in jobs:
        scan.add(job)
    refused = {p.job for p in scan.problems}  # a line the check refused is no job to run
    return scan.report(), {k for k, line in scan.first_of.items() if line not in refused}


def check_jobs(jobs: str | Path | Iterable[Mapping[str, Any]] | JobSource, *,
               targets: str | Sequence[str] | None = None, api_key: str | None = None,
               api: str | None = None, ready_timeout: float | None = None,
               input_policy: InputPolicy | None = None) -> JobsReport:
    """Check every job of ``jobs`` (a JOBS.jsonl path, an iterable of request mappings, or a
    :class:`~ltx2sdk.app.batch.jobs.JobSource`) without running anything; see the module.

    ``targets``: server URLs (and ``runpod:ENDPOINT_ID`` s, which cannot be checked) to check
    the jobs on too; ``api_key`` and ``api`` as for :func:`~ltx2sdk.backends.connect.connect`;
    ``ready_timeout`` the wait for a server that is starting, as for
    :func:`~ltx2sdk.app.generate.generate` (``None``: one that refuses connections gets
    :data:`~ltx2sdk.backends.server_urls.REFUSED_GRACE` seconds, one that accepts but does
    not answer yet :data:`~ltx2sdk.backends.server_urls.DEFAULT_READY_TIMEOUT`);
    ``input_policy`` the limits inline input files are decoded under (``None``: those of
    :func:`~ltx2sdk.app.generate.generate`). Raises
    ``FileNotFoundError`` for a missing file; every other problem is in the report."""
    source = jobs if isinstance(jobs, JobSource) else JobSource(jobs)
    names = [targets] if isinstance(targets, str) else list(targets or [])
    scan = _Scan(source.name, input_policy, resolve_names=True)
    servers: list[_Server] = []
    unchecked: list[str] = []
    unreachable: list[str] = []
    videos: dict[tuple[str, str], VideoData | LTX2Error | None] = {}  # read once per server
    with contextlib.ExitStack() as stack:
        for name in names:
            opened = _open_server(name, api_key=api_key, api=api, ready_timeout=ready_timeout)
            if isinstance(opened, _NotReached):
                unreachable.append(opened.text)
            elif isinstance(opened, str):
                unchecked.append(opened)
            elif isinstance(opened, JobProblem):
                scan.problems.append(opened)  # the file's problem: listed first
            else:
                stack.callback(opened[1].close)
                servers.append(opened)
        for job in source:
            if not scan.add(job):
                continue  # invalid (said already), or a repeat (checked as its first line)
            for server in servers:
                scan.problems.extend(_server_problems(job, server, input_policy, videos))
    return scan.report(checked_on=tuple(server[0] for server in servers),
                       unchecked=tuple(unchecked), unreachable=tuple(unreachable))


@dataclass(frozen=True)
class _NotReached:
    """A server the check could not reach: ``URL (why)``."""

    text: str


def _not_reached(shown: str, exc: BaseException) -> _NotReached:
    """Why ``shown`` could not be checked, in its :class:`ServerUnreachableError`'s few words
    (``connection refused``), else the error's one line."""
    reason = getattr(exc, "reason", "") or exception_line(exc)
    return _NotReached(f"{shown} ({reason})")


def _open_server(text: str, *, api_key: str | None, api: str | None,
                 ready_timeout: float | None) -> _Server | str | JobProblem | _NotReached:
    """A server to check on, ready (``(name, backend, its schemas)``); a target that cannot
    check (its ``unchecked`` line); one that could not be reached (or answers not as a
    ComfyUI would: a run would drop it too); or the problem that its URL is not one."""
    from ltx2sdk.app.batch.target_names import RUNPOD_PREFIX  # start-up: the RunPod client
    from ltx2sdk.backends.connect import connect  # start-up: requests
    from ltx2sdk.backends.server_urls import (  # start-up: with connect
        normalize_server_url,
        shown_url,
    )

    stripped = text.strip()
    if stripped.lower().startswith(RUNPOD_PREFIX):
        return _probe_endpoint(stripped, ready_timeout)
    try:
        url = normalize_server_url(stripped)
    except LTX2Error as exc:
        return JobProblem(None, f"cannot check on {stripped!r}: {exc}")
    shown = shown_url(url)
    wait = ready_timeout or DEFAULT_READY_TIMEOUT
    probed = time.monotonic()
    try:  # the probe is part of the wait (never longer): one limit for both, as for generate
        backend = connect(url, api_key=api_key, api=api,
                          probe_timeout=min(REFUSED_GRACE, wait))
    except (LTX2Error, ValueError, ModuleNotFoundError) as exc:  # a setting, not the server
        return JobProblem(None, f"cannot check the jobs: {exc}", shown)
    if not backend.can_check:
        backend.close()
        return (f"{shown} (the Comfy API v2 publishes no node schemas or model lists: the "
                "server checks each job when it is submitted)")
    try:
        backend.wait_ready(timeout=wait, waited=time.monotonic() - probed,
                           refused_grace=REFUSED_GRACE if ready_timeout is None else None)
        schemas = backend.schemas()
    except LTX2Error as exc:  # no answer in time, or not a ComfyUI's
        backend.close()
        return _not_reached(shown, exc)
    return shown, backend, schemas


def _probe_endpoint(text: str, ready_timeout: float | None) -> str | JobProblem | _NotReached:
    """A RunPod endpoint (``runpod:ID``) asked ``/health`` as a run's first contact asks it,
    within the same wait: one nobody answers at (or without a key) is a target a run would
    drop; one that answers cannot check the jobs (its worker checks each one it runs)."""
    import threading

    from ltx2sdk.app.batch.runpod_target import RunPodTarget  # start-up: the RunPod target
    from ltx2sdk.app.batch.targets import JobSettings, Runner, WaitsForReady  # start-up: too

    try:  # the key is RunPod's own ($RUNPOD_API_KEY), never a ComfyUI's
        target = RunPodTarget(text[len("runpod:"):], settings=JobSettings(
            ready_timeout=ready_timeout))
    except LTX2Error as exc:
        return JobProblem(None, f"cannot check on {text!r}: {exc}")
    runners: list[Runner] = []
    try:
        runners = target.open(1)
        if isinstance(runners[0], WaitsForReady):  # (a RunPod runner is one)
            runners[0].wait_ready(threading.Event())
    except LTX2Error as exc:  # refused, an unknown host, no answer, no key, a key refused
        return _not_reached(text, exc)
    finally:
        for runner in runners:
            runner.close()
    return (f"{text} (a RunPod endpoint's worker checks each job when it runs it; run its "
            "ComfyUI's check with ltx2 check there)")


def _server_problems(job: BatchJob, server: _Server, policy: InputPolicy | None,
                     videos: dict[tuple[str, str], VideoData | LTX2Error | None]
                     ) -> Iterator[JobProblem]:
    """What the server would refuse in ``job``'s graph (see the module). A ``video`` already
    in its input folder is read and measured as ``generate`` does (a start past its end, a
    part too short, a file that is no video), once per server and name (``videos``)."""
    from ltx2sdk.app.generate import InputPolicy, read_server_video  # start-up: media

    name, backend, schemas = server
    assert job.checked is not None
    video: VideoData | None = None
    if job.checked.request.video is not None:
        key = (name, job.checked.request.video)
        if key not in videos:
            try:
                videos[key] = read_server_video(backend, key[1], policy or InputPolicy())
            except LTX2Error as exc:
                videos[key] = exc
        measured = videos[key]
        if isinstance(measured, LTX2Error):
            yield JobProblem(job.number, str(measured), name)
            return
        video = measured
    try:
        graph = build(job.checked, schemas=schemas, video=video).graph
        found = backend.check(graph, pending_uploads=(PLACEHOLDER_IMAGE, PLACEHOLDER_LAST_IMAGE,
                                                      PLACEHOLDER_AUDIO, PLACEHOLDER_VIDEO))
        partner_key = getattr(backend, "check_partner_key", None)  # (native ComfyUI only)
        if partner_key is not None and not found.missing_nodes:
            partner_key(graph)  # a partner node and no Comfy account key to send it
    except LTX2Error as exc:  # a release too old for the pipeline, a node it lacks, no key
        yield JobProblem(job.number, str(exc), name)
        return
    for node in found.missing_nodes:
        yield JobProblem(job.number, f"missing node type {node} (update ComfyUI, or install "
                                     "the custom node that has it)", name)
    for folder, file in found.missing_models:
        yield JobProblem(job.number, f"missing model file models/{folder}/{file} (ltx2 check "
                                     "says where to download it)", name)
    for line in (*found.other, *found.runtime):
        yield JobProblem(job.number, line, name)
