"""``ltx2 batch JOBS.jsonl``: every request of a file, on servers or a RunPod endpoint.

    ltx2 batch jobs.jsonl --server gpu-a:8188 --server gpu-b:8188 --output-dir out
    RUNPOD_API_KEY=... ltx2 batch jobs.jsonl --endpoint runpod:abc123 --jobs 8 -o out

The work is :class:`ltx2sdk.app.batch.scheduler.Batch`'s; this module reads the flags and shows
progress:
a line per finished job and per retry on stderr, and on a terminal a status line kept at the
bottom (done, running, failed, ETA); the final summary on stdout. Exit status: 0 when every
job is done, 1 when some failed (or no target could run them), 130 after Ctrl-C (the running
jobs are cancelled on their targets first, and the summary says what was left), 2 for bad
flags or an unreadable jobs file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ltx2sdk.app.cli.server_commands import (
    DEFAULT_SERVER,
    READY_TIMEOUT_HELP,
    seconds,
    server_url,
)
from ltx2sdk.backends.server_urls import normalize_server_url
from ltx2sdk.errors import (
    CommandLineError,
    NoTargetLeftError,
    OutputFolderBusyError,
    ServerUrlError,
)
from ltx2sdk.wording import escaped

if TYPE_CHECKING:
    from ltx2sdk.app.batch.scheduler import (
        BatchProgress,
        BatchSummary,
        DropNotice,
        JobResult,
        RetryNotice,
    )

__all__ = ["BatchDisplay", "add_batch_command", "cmd_batch"]

BAR_WIDTH = 24
REDRAW_INTERVAL = 0.25  # seconds between two redraws of the status line


def add_batch_command(commands: Any) -> None:
    """Register ``ltx2 batch`` on the ``ltx2`` command's subparsers."""
    cmd = commands.add_parser(
        "batch", help="run every request of a JOBS.jsonl file, resumable",
        description="Run every request of JOBS.jsonl (one per line, the RunPod worker's "
                    "input; ltx2 schema) on one or more servers or a RunPod endpoint. Each "
                    "job's video and a results.jsonl line go to --output-dir; running the "
                    "same command again skips the jobs done there. Transient failures are "
                    "retried; Ctrl-C cancels the running jobs.")
    cmd.add_argument("jobs_file", type=Path, metavar="JOBS.jsonl",
                     help="one request per line (a request object, or {\"input\": {...}})")
    where = cmd.add_argument_group(
        "where the jobs run (default: $COMFY_URL, else " + DEFAULT_SERVER + ")")
    where.add_argument("--server", action="append", type=server_url, default=[], metavar="URL",
                       help="a ComfyUI or Comfy API v2 server; repeat it to spread the jobs "
                            "over several (each ComfyUI runs one job at a time)")
    where.add_argument("--endpoint", action="append", type=endpoint, default=[],
                       metavar="runpod:ENDPOINT_ID",
                       help="a RunPod serverless endpoint running this project's worker "
                            "(API key from $RUNPOD_API_KEY)")
    where.add_argument("--jobs", "-j", dest="concurrency", type=positive_int, metavar="N",
                       help="jobs at once per RunPod endpoint (default 4) or Comfy API v2 "
                            "server (default 1)")
    where.add_argument("--api", choices=["auto", "comfyui", "v2"], default=None,
                       help="the servers' protocol (default: ask each server)")
    where.add_argument("--api-key", metavar="KEY",
                       help="the Comfy API v2 key (default: $COMFY_API_KEY); never printed")
    where.add_argument("--trusted-host", action="append", default=[], metavar="HOST",
                       help="download videos a worker returns by URL from this host even "
                            "though its address is not public (a MinIO on your network)")
    out = cmd.add_argument_group("results")
    out.add_argument("--output-dir", "-o", type=Path, required=True, metavar="DIR",
                     help="where the videos and results.jsonl go")
    limits = cmd.add_argument_group("retries and limits")
    limits.add_argument("--retries", type=non_negative_int, default=2, metavar="N",
                        help="tries after a transient failure (server unreachable, HTTP 5xx, "
                             "a lost worker), default 2; invalid requests are never retried")
    limits.add_argument("--retry-delay", type=seconds, default=2.0, metavar="SECONDS",
                        help="pause before the first retry, doubling for each next one up "
                             "to 60 s (default 2)")
    limits.add_argument("--timeout", type=seconds, default=3600.0, metavar="SECONDS",
                        help="limit for one try of one job (default 3600)")
    limits.add_argument("--ready-timeout", type=seconds, metavar="SECONDS",
                        help=READY_TIMEOUT_HELP + "; a target nobody answers at is dropped, "
                             "its job going to the others")
    cmd.set_defaults(func=cmd_batch)


def endpoint(text: str) -> str:
    """``--endpoint``: ``runpod:ENDPOINT_ID``."""
    if not text.strip().lower().startswith("runpod:") or not text.strip()[7:].strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not runpod:ENDPOINT_ID (the id on the "
                                         "endpoint's page, for example runpod:abc123xyz)")
    return text.strip()


def positive_int(text: str) -> int:
    """A whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def non_negative_int(text: str) -> int:
    """A whole number of 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return value


def cmd_batch(args: argparse.Namespace) -> int:
    from ltx2sdk.app.batch.scheduler import Batch, RetryPolicy  # start-up: pydantic, requests

    targets: list[str] = [*args.server, *args.endpoint]
    if not targets:
        targets = [_default_server()]
    display = BatchDisplay(sys.stderr)
    try:
        batch = Batch(
            args.jobs_file, targets, args.output_dir, concurrency=args.concurrency,
            retry=RetryPolicy(attempts=args.retries + 1, base_delay=args.retry_delay,
                              max_delay=max(60.0, args.retry_delay)),
            timeout=args.timeout, ready_timeout=args.ready_timeout, api_key=args.api_key,
            api=None if args.api in (None, "auto") else args.api,
            runpod_options={"trusted_hosts": tuple(args.trusted_host)},
            on_result=display.result, on_progress=display.progress, on_retry=display.retry,
            on_drop=display.dropped)
    except FileNotFoundError as exc:
        raise CommandLineError(str(exc), 2) from exc
    except ValueError as exc:
        raise CommandLineError(str(exc), 2) from exc
    try:
        summary = batch.run()
    except KeyboardInterrupt:
        display.close()
        if batch.summary is not None:
            print(escaped(describe_summary(batch.summary, args.output_dir)))
        return 130
    except NoTargetLeftError as exc:
        display.close()
        if batch.summary is not None:
            print(escaped(describe_summary(batch.summary, args.output_dir)))
        raise CommandLineError(str(exc)) from exc
    except OutputFolderBusyError as exc:
        display.close()
        raise CommandLineError(str(exc)) from exc
    display.close()
    print(escaped(describe_summary(summary, args.output_dir)))
    return 0 if summary.complete else 1


def _default_server() -> str:
    env = os.environ.get("COMFY_URL", "").strip()
    try:
        return normalize_server_url(env) if env else DEFAULT_SERVER
    except ServerUrlError as exc:
        raise CommandLineError(f"COMFY_URL: {exc}", 2) from exc


def describe_summary(summary: BatchSummary, output_dir: Path) -> str:
    """The last words of a batch: what was made, what failed, and after an interrupt what
    was cancelled and what is left to do by running the same command again."""
    p = summary.progress
    made = f"{p.ok} made"
    if p.skipped:
        made += f", {p.skipped} skipped (done before, or repeated)"
    if p.failed:
        made += f", {p.failed} failed"
    took = f"in {duration(p.elapsed)}"
    results = f"results in {output_dir / 'results.jsonl'}"
    if not summary.interrupted:
        ended = "stopped" if summary.unusable_stopped else "finished"
        text = f"batch {ended} {took}: {made}; {results}"
        if summary.unusable:
            text += "; " + "; ".join(f"not used: {why}" for why in summary.unusable)
        if summary.not_started:
            text += (f"; {summary.not_started} jobs not run: run the same command again once "
                     "a target can take them")
        return text
    cancelled = ", ".join(f"job {job} on {target}" for job, target in summary.cancelled_jobs)
    parts = [f"interrupted after {duration(p.elapsed)}"]
    parts.append(f"cancelled {len(summary.cancelled_jobs)} running "
                 f"job{'s' if len(summary.cancelled_jobs) != 1 else ''}"
                 + (f" ({cancelled})" if cancelled else ""))
    left = p.cancelled + (summary.not_started or 0)
    not_started = ("an unknown number of jobs not started" if summary.not_started is None
                   else f"{summary.not_started} not started")
    parts.append(f"{made}; {not_started}")
    return "; ".join(parts) + (f". Run the same command again to do the {left} left"
                               if summary.not_started is not None else
                               ". Run the same command again to do the rest") + f" ({results})"


def duration(seconds_: float) -> str:
    """``75.5`` as ``1m16s``; under a minute ``12.3s``."""
    if seconds_ < 60:
        return f"{seconds_:.1f}s"
    minutes, secs = divmod(round(seconds_), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class BatchDisplay:
    """What ``ltx2 batch`` shows while it runs, on ``stream``.

    One line per finished job (and per retry), prefixed on a non-terminal with the batch's
    count and ETA; on a terminal (``interactive``, default: ``stream.isatty()``) a status
    line (bar, done / total, ok, failed, running, ETA) is redrawn below them.
    """

    def __init__(self, stream: TextIO, *, interactive: bool | None = None) -> None:
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self._last: BatchProgress | None = None
        self._drawn = False
        self._drawn_at = 0.0

    def result(self, result: JobResult) -> None:
        if result.status == "skipped" and result.note == "done by an earlier run":
            return  # the count says it; one line each would drown the rest on a re-run
        if result.status == "ok":
            meta = result.metadata
            what = ", ".join(str(part) for part in (
                f"seed {meta['seed']}" if "seed" in meta else None,
                f"{meta['width']}x{meta['height']}" if "width" in meta else None,
                f"{meta['frames']} frames" if "frames" in meta else None) if part)
            line = (f"ok        job {result.job}  {what} -> {result.video} "
                    f"({result.seconds:.1f} s on {result.target})")
        elif result.status == "failed":
            line = f"failed    job {result.job}  {result.error}"
        elif result.status == "cancelled":
            line = f"cancelled job {result.job}  on {result.target}"
        else:
            line = f"skipped   job {result.job}  {result.note}"
        self._line(line)

    def retry(self, notice: RetryNotice) -> None:
        self._line(f"retry     job {notice.job} in {notice.delay:g} s (try {notice.attempt + 1} "
                   f"of {notice.attempts}) after: {notice.error}")

    def dropped(self, notice: DropNotice) -> None:
        self._line(f"dropped   {notice.target}: {notice.reason}")

    def progress(self, progress: BatchProgress) -> None:
        self._last = progress
        now = time.monotonic()
        if self.interactive and now - self._drawn_at >= REDRAW_INTERVAL:
            self._draw()

    def close(self) -> None:
        """End the status line (the summary follows on a line of its own)."""
        if self.interactive and self._last is not None:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _line(self, text: str) -> None:
        text = escaped(text)  # errors, file names and notes may be a server's text
        if self.interactive:
            self.stream.write("\r\033[K" + text + "\n")
            if self._last is not None:
                self._draw()
            else:
                self.stream.flush()
            return
        prefix = f"[{self._count()}] " if self._last is not None else ""
        self.stream.write(prefix + text + "\n")
        self.stream.flush()

    def _count(self) -> str:
        p = self._last
        assert p is not None
        total = "?" if p.total is None else str(p.total)
        eta = f", ETA {duration(p.eta)}" if p.eta is not None and p.running + p.waiting else ""
        return f"{p.finished}/{total}{eta}"

    def _draw(self) -> None:
        p = self._last
        assert p is not None
        if p.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * p.finished // p.total)
            bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "] "
        else:
            bar = ""
        total = "?" if p.total is None else str(p.total)
        parts = [f"{p.finished}/{total} done", f"{p.ok} made", f"{p.running} running"]
        if p.failed:
            parts.append(f"{p.failed} failed")
        if p.skipped:
            parts.append(f"{p.skipped} skipped")
        if p.waiting:
            parts.append(f"{p.waiting} waiting to retry")
        parts.append(f"ETA {duration(p.eta)}" if p.eta is not None else "ETA -")
        self.stream.write("\r\033[K" + bar + ", ".join(parts))
        self.stream.flush()
        self._drawn = True
        self._drawn_at = time.monotonic()
