"""``ltx2 batch JOBS.jsonl``: every request of a file, on servers or a RunPod endpoint.

    ltx2 batch jobs.jsonl --check                    # every problem of every line, nothing run
    ltx2 batch jobs.jsonl --check --server gpu-a:8188  # and that server's models and nodes
    ltx2 batch jobs.jsonl --server gpu-a:8188 --server gpu-b:8188 --output-dir out
    RUNPOD_API_KEY=... ltx2 batch jobs.jsonl --endpoint runpod:abc123 --jobs 8 -o out

The work is :class:`ltx2sdk.app.batch.scheduler.Batch`'s (and the check
:func:`ltx2sdk.app.batch.check.check_jobs`'); this module reads the flags and shows progress:
a line per finished job, per retry, per lost server and per dropped target on stderr, and on
a terminal a status line kept at the bottom (done, running, failed, ETA, each running job's
stage and step); the final summary on stdout. A run checks every line first and refuses to
start on a problem (listed on stderr) unless ``--skip-invalid``. ``--json`` prints JSON lines
on stdout instead of the summary: one per finished job and a summary object last (with
``--check``: one per problem, then the summary); the shapes are in the README's batch
section.

Exit status: 0 when every job is done (``--check``: every line valid, on the catalog and on
each server given that answered: one that cannot be reached is a note, as a run drops it), 1
when some failed (or no target could run them; ``--check``: no server given could be
reached), 2 for bad flags, a jobs file that cannot be read, has no jobs or has invalid lines
(``--check``: any problem of the jobs), 130 after Ctrl-C and 143 after SIGTERM (the
running jobs are cancelled on their targets first, recorded as cancelled, and the summary
says what was left).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ltx2sdk.app.cli.output_files import checked_output_folder, output_folder
from ltx2sdk.app.cli.reporting import emit_line
from ltx2sdk.app.cli.server_commands import (
    DEFAULT_SERVER,
    READY_TIMEOUT_HELP,
    seconds,
    server_url,
)
from ltx2sdk.backends.server_urls import normalize_server_url
from ltx2sdk.errors import (
    CommandLineError,
    InvalidJobsError,
    NoTargetLeftError,
    OutputFolderBusyError,
    ServerUrlError,
)
from ltx2sdk.vocabulary import number_from_text
from ltx2sdk.wording import escaped

if TYPE_CHECKING:
    from ltx2sdk.app.batch.check import JobsReport
    from ltx2sdk.app.batch.scheduler import (
        BatchProgress,
        BatchSummary,
        DropNotice,
        JobResult,
        RetryNotice,
        RunningJob,
    )

__all__ = ["BatchDisplay", "add_batch_command", "cmd_batch", "result_json", "summary_json"]

BAR_WIDTH = 24
BAR_FULL_COLUMNS = 160  # terminal columns from which the bar is BAR_WIDTH wide
BAR_NARROW_COLUMNS = 100  # from which it is half that (below: no bar)
SHOWN_JOBS = 3  # running jobs the status line names with their stage (the rest: "+2 more")
STAGE_MIN = 7  # the shortest a stage name is cut to ("..." included) before it is dropped
WORD_SLACK = 3  # characters a shortened name may lose more to end at a whole word
INVALID_EXIT = 2  # a jobs file with problems: the input is wrong, as for bad flags
REDRAW_INTERVAL = 0.25  # seconds between two redraws of the status line


def add_batch_command(commands: Any) -> None:
    """Register ``ltx2 batch`` on the ``ltx2`` command's subparsers."""
    cmd = commands.add_parser(
        "batch", help="run every request of a JOBS.jsonl file, resumable",
        description="Run every request of JOBS.jsonl (one per line, the RunPod worker's "
                    "input; ltx2 schema) on one or more servers or a RunPod endpoint. Each "
                    "job's video and a results.jsonl line go to --output-dir; running the "
                    "same command again skips the jobs done there. Every line is checked "
                    "first: a problem stops the batch before anything runs (--skip-invalid "
                    "runs the rest), and --check only checks. Blank lines and lines starting "
                    "with # are skipped. Transient failures are retried; a target that "
                    "cannot be reached or does not answer like a ComfyUI is dropped, its "
                    "jobs going to the others; Ctrl-C (or SIGTERM) cancels the running "
                    "jobs.")
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
    where.add_argument("--order", choices=["model", "file"], default="model",
                       help="which job each target takes next: 'model' (default) keeps each "
                            "target on the jobs that load the same model files (checkpoint, "
                            "text encoder, upscaler, LoRAs) before it switches, the targets "
                            "sharing the groups; 'file' takes them in the file's order. "
                            "results.jsonl and resuming are the same either way")
    where.add_argument("--queue-ahead", type=non_negative_int, default=1, metavar="N",
                       help="jobs queued on each server (native ComfyUI or Comfy API v2) "
                            "ahead of those it runs, so it starts the next the moment one "
                            "ends while that video downloads (default 1; 0: the next job is "
                            "sent once the last video is in). Ctrl-C takes a queued job back "
                            "from the server's queue; it counts as not started")
    where.add_argument("--api", choices=["auto", "comfyui", "v2"], default=None,
                       help="the servers' protocol (default: ask each server)")
    where.add_argument("--api-key", metavar="KEY",
                       help="a Comfy account key: the Comfy API v2's, and for ComfyUI's "
                            "partner nodes (ltx-2.5-api jobs) (default: $COMFY_API_KEY); "
                            "never printed")
    where.add_argument("--trusted-host", action="append", default=[], metavar="HOST",
                       help="download videos a worker returns by URL from this host even "
                            "though its address is not public (a MinIO on your network)")
    out = cmd.add_argument_group("checking and results")
    out.add_argument("--check", action="store_true",
                     help="check every line (the request, its pipeline; with --server that "
                          "server's models and nodes) and list every problem with its line "
                          "number; run nothing. A server that cannot be reached is noted "
                          "and skipped, as a run drops it. Exit 0 when every line is valid "
                          "(on the servers that answered), 2 when one is not, 1 when no "
                          "server given could be reached")
    out.add_argument("--skip-invalid", action="store_true",
                     help="run the valid lines when some are invalid (they are listed, "
                          "recorded as failed and counted); by default a batch with an "
                          "invalid line does not start")
    out.add_argument("--output-dir", "-o", type=output_folder, metavar="DIR",
                     help="where the videos and results.jsonl go (needed to run)")
    out.add_argument("--json", action="store_true",
                     help="JSON lines on stdout: one per finished job (with --check: per "
                          "problem), then a summary object")
    limits = cmd.add_argument_group("retries and limits")
    limits.add_argument("--retries", type=non_negative_int, default=2, metavar="N",
                        help="tries again after a transient failure (HTTP 429 or 5xx from a "
                             "server or RunPod, a prompt lost when ComfyUI restarted, a lost "
                             "RunPod worker), default 2; invalid requests and failed nodes "
                             "are not retried, a target that cannot be reached or does not "
                             "answer is dropped, and a job a server lacks the models or nodes "
                             "for goes to another target, all without a retry spent")
    limits.add_argument("--retry-delay", type=pause, default=2.0, metavar="SECONDS",
                        help="pause before the first retry, doubling for each next one up "
                             "to 60 s (default 2; 0: none)")
    limits.add_argument("--timeout", type=seconds, default=3600.0, metavar="SECONDS",
                        help="limit for one try of one job (default 3600)")
    limits.add_argument("--ready-timeout", type=seconds, metavar="SECONDS",
                        help=READY_TIMEOUT_HELP + "; a target nobody answers at, or that "
                             "does not answer within it, is dropped, its job going to the "
                             "others")
    cmd.set_defaults(func=cmd_batch)


def endpoint(text: str) -> str:
    """``--endpoint``: ``runpod:ENDPOINT_ID``."""
    if not text.strip().lower().startswith("runpod:") or not text.strip()[7:].strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not runpod:ENDPOINT_ID (the id on the "
                                         "endpoint's page, for example runpod:abc123xyz)")
    return text.strip()


def positive_int(text: str) -> int:
    """A whole number of 1 or more, written as every number flag is
    (:func:`~ltx2sdk.vocabulary.number_from_text`: ASCII digits, no spaces)."""
    try:
        value = int(number_from_text(text, whole=True))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def pause(text: str) -> float:
    """``--retry-delay``: 0 or more seconds (0: no pause, as ``RetryPolicy(base_delay=0)``),
    written as every number flag is (:func:`~ltx2sdk.vocabulary.number_from_text`)."""
    try:
        value = float(number_from_text(text, whole=False))
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):  # NaN fails the comparison too
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of 0 or more seconds")
    return value


def non_negative_int(text: str) -> int:
    """A whole number of 0 or more, written as :func:`positive_int`'s."""
    try:
        value = int(number_from_text(text, whole=True))
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return value


def cmd_batch(args: argparse.Namespace) -> int:
    from ltx2sdk.app.batch.scheduler import Batch, RetryPolicy  # start-up: pydantic, requests

    if args.check:
        return _check(args)
    if args.output_dir is None:
        raise CommandLineError("--output-dir DIR is needed to run a batch (where the videos "
                               "go); --check checks the jobs without running them", 2)
    _refuse_keyless_endpoints(args.endpoint)
    # a file there, or a folder nobody can write in, stops the batch before anything starts
    checked_output_folder(args.output_dir, flag="--output-dir", create=False)
    targets: list[str] = [*args.server, *args.endpoint]
    if not targets:
        targets = [_default_server()]
    display = BatchDisplay(sys.stderr)
    on_result = display.result
    if args.json:
        def on_result(result: JobResult) -> None:
            display.result(result)
            _json_line(result_json(result))
    try:
        batch = Batch(
            args.jobs_file, targets, args.output_dir, concurrency=args.concurrency,
            retry=RetryPolicy(attempts=args.retries + 1, base_delay=args.retry_delay,
                              max_delay=max(60.0, args.retry_delay)),
            timeout=args.timeout, ready_timeout=args.ready_timeout, api_key=args.api_key,
            api=None if args.api in (None, "auto") else args.api,
            runpod_options={"trusted_hosts": tuple(args.trusted_host)},
            on_result=on_result, on_progress=display.progress, on_retry=display.retry,
            on_drop=display.dropped, skip_invalid=args.skip_invalid, order=args.order,
            queue_ahead=args.queue_ahead)
    except FileNotFoundError as exc:
        raise CommandLineError(str(exc), 2) from exc
    except ValueError as exc:
        raise CommandLineError(str(exc), 2) from exc
    try:
        summary = batch.run()
    except InvalidJobsError as exc:  # found before anything ran: every problem, then why
        assert batch.report is not None
        _print_report(batch.report, args.json, stream=sys.stderr)
        if args.json:
            _json_line(batch.report.as_json())
        raise CommandLineError(_refusal(batch.report), INVALID_EXIT) from exc
    except KeyboardInterrupt:
        display.close()
        if batch.summary is None:  # stopped before it started (its jobs being checked)
            raise  # said on its own line, as any stop of a command
        _print_summary(batch.summary, args)
        return 130
    except NoTargetLeftError as exc:
        display.close()
        _print_summary(batch.summary, args)
        raise CommandLineError(str(exc)) from exc
    except OutputFolderBusyError as exc:
        display.close()
        raise CommandLineError(str(exc)) from exc
    display.close()
    _print_summary(summary, args)
    return 0 if summary.complete else 1


def _refuse_keyless_endpoints(endpoints: list[str]) -> None:
    """Before anything starts: a RunPod endpoint needs a key, and the command line has one
    place for it (the environment)."""
    if not endpoints:
        return
    from ltx2sdk.app.batch.runpod_target import API_KEY_ENV  # start-up: the RunPod target

    if not os.environ.get(API_KEY_ENV, "").strip():
        raise CommandLineError(f"{endpoints[0]} needs a RunPod API key: set {API_KEY_ENV}", 2)


def _check(args: argparse.Namespace) -> int:
    """``ltx2 batch --check``: every problem, then a summary; exit 0 or 2."""
    from ltx2sdk.app.batch.check import check_jobs  # start-up: pydantic, builders

    if args.output_dir is not None:  # not needed to check; given, it is checked as a run would
        checked_output_folder(args.output_dir, flag="--output-dir", create=False)
    try:
        report = check_jobs(args.jobs_file, targets=[*args.server, *args.endpoint],
                            api_key=args.api_key,
                            api=None if args.api in (None, "auto") else args.api,
                            ready_timeout=args.ready_timeout)
    except FileNotFoundError as exc:
        raise CommandLineError(str(exc), 2) from exc
    _print_report(report, args.json, stream=sys.stdout)
    if args.json:
        _json_line(report.as_json())
    elif report.jobs == 0:
        raise CommandLineError(report.summary(), INVALID_EXIT)
    else:
        print(escaped(report.summary()))
    if not report.ok:
        return INVALID_EXIT  # the jobs are wrong, whatever the servers
    if report.reached_none:  # the check asked for could not be made: as a run would fail
        raise CommandLineError("no server given could be reached: the jobs were checked "
                               "against the catalog only", 1)
    return 0


def _print_report(report: JobsReport, as_json: bool, *, stream: TextIO) -> None:
    """Every problem and repeat of ``report``: a line each, or a JSON line each on stdout."""
    if as_json:
        for problem in report.problems:
            _json_line(problem.as_json(report.source))
        for repeat in report.repeats:
            _json_line({**repeat.as_json(report.source), "type": "repeat"})
        return
    for line in report.lines():
        print(escaped(line), file=stream)  # a line may quote the file's own text


def _refusal(report: JobsReport) -> str:
    """Why a run did not start, and what to do."""
    if report.jobs == 0:
        return report.summary()
    valid = report.valid_jobs
    if valid == 0:  # --skip-invalid would run nothing: not advised
        return f"{report.summary()}: nothing to run, no job is valid; fix them"
    return (f"{report.summary()}: nothing was run; fix them, or --skip-invalid runs the "
            f"{valid} valid one{'s' if valid != 1 else ''}")


def _print_summary(summary: BatchSummary | None, args: argparse.Namespace) -> None:
    if summary is None:
        return
    if args.json:
        _json_line(summary_json(summary, args.output_dir))
    else:
        print(escaped(describe_summary(summary, args.output_dir)))


def _json_line(data: dict[str, Any]) -> None:
    """One JSON object on a line of stdout, flushed (a reader acts on it at once)."""
    emit_line(sys.stdout, data)  # the style of every JSON line of the CLI, errors included


def result_json(result: JobResult) -> dict[str, Any]:
    """A finished job as ``--json`` prints it (see the README's batch section)."""
    return {"type": "result", "job": result.job, "key": result.key, "status": result.status,
            "video": str(result.video) if result.video is not None else None,
            "metadata": dict(result.metadata), "error": result.error,
            "error_kind": result.error_kind, "attempts": result.attempts,
            "target": result.target, "seconds": result.seconds, "note": result.note,
            "group": result.group}


def summary_json(summary: BatchSummary, output_dir: Path) -> dict[str, Any]:
    """The end of a batch as ``--json`` prints it: the counts, what a re-run would do, and
    the human summary line (``message``)."""
    p = summary.progress
    return {"type": "summary", "complete": summary.complete,
            "interrupted": summary.interrupted, "total": p.total, "made": p.ok,
            "skipped": p.skipped, "failed": p.failed, "invalid": p.invalid,
            "cancelled": p.cancelled, "not_started": summary.not_started,
            "left": left_for_rerun(summary), "elapsed": round(p.elapsed, 3),
            "unusable_targets": list(summary.unusable),
            "unusable_made": unusable_made(summary),
            "results": str(summary.results_path) if summary.results_path.exists() else None,
            "message": describe_summary(summary, output_dir)}


def _default_server() -> str:
    env = os.environ.get("COMFY_URL", "").strip()
    try:
        return normalize_server_url(env) if env else DEFAULT_SERVER
    except ServerUrlError as exc:
        raise CommandLineError(f"COMFY_URL: {exc}", 2) from exc


def unusable_text(summary: BatchSummary) -> list[str]:
    """Each target the batch dropped, as the summary says it: ``not used: why`` for one
    that made no video, ``lost after 3 jobs: why`` for one that made some first."""
    return [f"lost after {n} job{'s' if n != 1 else ''}: {why}" if n else f"not used: {why}"
            for why, n in zip(summary.unusable, unusable_made(summary), strict=True)]


def unusable_made(summary: BatchSummary) -> list[int]:
    """For each target the batch dropped (:attr:`BatchSummary.unusable`), the videos it made
    first (0: never usable)."""
    made = list(summary.unusable_made)
    return (made + [0] * len(summary.unusable))[:len(summary.unusable)]


def left_for_rerun(summary: BatchSummary) -> int | None:
    """How many jobs running the same command again would run
    (:attr:`~ltx2sdk.app.batch.scheduler.BatchSummary.left`)."""
    return summary.left


def describe_summary(summary: BatchSummary, output_dir: Path) -> str:
    """The last words of a batch: what was made, what failed, and after an interrupt what
    was cancelled and what running the same command again would do (the count a re-run
    really runs: failed jobs included)."""
    p = summary.progress
    made = f"{p.ok} made"
    if p.skipped:
        made += f", {p.skipped} skipped (done before, or repeated)"
    retryable = p.failed - p.invalid
    if retryable:
        made += f", {retryable} failed"
    if p.invalid:
        made += f", {p.invalid} invalid (skipped; fix the line to run it)"
    took = f"in {duration(p.elapsed)}"
    # named only when there is one: a batch that ran nothing wrote none
    results = (f"results in {summary.results_path}" if summary.results_path.exists()
               else "")
    if not summary.interrupted:
        ended = "stopped" if summary.unusable_stopped else "finished"
        text = f"batch {ended} {took}: {made}" + (f"; {results}" if results else "")
        if summary.unusable:
            text += "; " + "; ".join(unusable_text(summary))
        if summary.not_started:
            them = "them" if summary.not_started != 1 else "it"
            text += (f"; {summary.not_started} job{'s' if summary.not_started != 1 else ''} "
                     f"not run: run the same command again once a target can take {them}")
        elif retryable:
            text += (f"; run the same command again to retry the {retryable} that "
                     f"failed")
        return text
    cancelled = ", ".join(f"job {job} on {target}" for job, target in summary.cancelled_jobs)
    parts = [f"interrupted after {duration(p.elapsed)}"]
    parts.append(f"cancelled {len(summary.cancelled_jobs)} running "
                 f"job{'s' if len(summary.cancelled_jobs) != 1 else ''}"
                 + (f" ({cancelled})" if cancelled else ""))
    not_started = ("an unknown number of jobs not started" if summary.not_started is None
                   else f"{summary.not_started} not started")
    parts.append(f"{made}; {not_started}")
    left = left_for_rerun(summary)
    if left is None:
        again = ". Run the same command again to do the rest"
    else:
        counts = [(summary.not_started or 0, "not started"), (p.cancelled, "cancelled"),
                  (retryable, "failed, tried again")]
        which = ", ".join(f"{n} {what}" for n, what in counts if n)
        again = f". Run the same command again to do the {left} left" + (
            f" ({which})" if which else "")
    return "; ".join(parts) + again + (f" ({results})" if results else "")


def running_text(p: BatchProgress, stage_chars: int | None = None, *,
                 steps_only: bool = False, groups: bool = True, servers: bool = False,
                 short: bool = False) -> str:
    """``2 running, 2 queued (job 3 (ltx-2 t2v pro): Stage 1 sampling 12/20, job 4:
    starting)``: the jobs its server executes are running, those queued ahead behind them
    are counted as queued (:attr:`BatchProgress.queued`); each running job's model group
    (what its target holds: ``groups``; without ``servers`` only while the stage is
    shown), stage and step, the first
    :data:`SHOWN_JOBS` of them (``+2 more``: the others); with ``servers``, each named by
    its server first (``gpu-a:8188: job 3 Stage 1 sampling 12/20 [ltx-2 t2v pro]``); with
    ``stage_chars`` each stage name cut to as many characters (0: left out, ``job 3 12/20,
    job 4``); ``steps_only``: only the jobs with a step, the others counted (``4 running
    (job 3 12/20, +3 more)``); ``short``: each server by what tells it from the others
    (:func:`short_names`: ``gpu-a: job 3 12/20``). Every running job counted is named or in
    the ``+N more``, in their servers' order (then by number: a server keeps its place)."""
    queued = p.queued
    executing = p.running - queued
    text = f"{executing} running" + (f", {queued} queued" if queued else "")
    # by server (a server keeps its place between redraws as its jobs change), then job
    jobs = sorted((job for job in p.jobs if not job.queued and (job.steps or not steps_only)),
                  key=lambda job: job.target)
    if not jobs:
        return text
    names = short_names(job.target for job in jobs) if short else None
    shown = [job_text(job, 0 if steps_only else stage_chars, groups=groups, server=servers,
                      name=None if names is None else names[job.target])
             for job in jobs[:SHOWN_JOBS]]
    if len(shown) < executing:
        shown.append(f"+{executing - len(shown)} more")
    return f"{text} ({', '.join(shown)})"


def job_text(job: RunningJob, stage_chars: int | None = None, *, groups: bool = True,
             server: bool = False, name: str | None = None) -> str:
    """``job 3 (ltx-2 t2v pro): Stage 1 sampling 12/20`` (:class:`RunningJob`; the group
    left out without ``groups``), its stage name cut to ``stage_chars`` (at a word when one
    fits: ``Stage 1...``), or left out at 0 with the group: ``job 3 12/20`` (``job 4``
    without steps). With ``server``, its server first and its group (what the server holds)
    last, the stage left out at 0 but not the group: ``gpu-a:8188: job 3 Stage 1 sampling
    12/20 [ltx-2 t2v pro]``, ``gpu-a:8188: job 3 12/20 [ltx-2 t2v pro]``; ``name``: the
    server's name to show (default: :func:`server_name`)."""
    step = f" {job.step}/{job.steps}" if job.steps else ""
    stage = job.stage or "starting"
    no_stage = stage_chars is not None and stage_chars <= 0
    shown = stage if stage_chars is None or no_stage else shortened(stage, stage_chars)
    if server:
        group = f" [{job.group}]" if groups and job.group else ""
        shown = "" if no_stage else f" {shown}"
        where = server_name(job.target) if name is None else name
        return f"{where}: job {job.job}{shown}{step}{group}"
    if no_stage:
        return f"job {job.job}{step}"
    group = f" ({job.group})" if groups and job.group else ""
    return f"job {job.job}{group}: {shown}{step}"


def server_name(target: str) -> str:
    """A target as the status line names it: a server's URL without its scheme
    (``gpu-a:8188``), a RunPod endpoint as given (``runpod:abc123``)."""
    for scheme in ("http://", "https://"):
        if target.startswith(scheme):
            return target.removeprefix(scheme).rstrip("/")
    return target


def short_names(targets: Iterable[str]) -> dict[str, str]:
    """Each of ``targets`` by what tells it from the others when room is short: servers on
    one port by their hosts (``gpu-a``), on one host by their ports (``port 18811``); else
    (one server, a RunPod endpoint, a URL with a path, nothing shared) each by
    :func:`server_name`."""
    names = {target: server_name(target) for target in targets}
    parts: dict[str, tuple[str, str]] = {}
    for target, name in names.items():
        host, colon, port = name.rpartition(":")
        if not colon or not host or not port.isdigit():
            return names
        parts[target] = (host, port)
    hosts = {host for host, _ in parts.values()}
    ports = {port for _, port in parts.values()}
    if len(parts) < 2:
        return names
    if len(ports) == 1 and len(hosts) == len(parts):
        return {target: host for target, (host, _) in parts.items()}
    if len(hosts) == 1 and len(ports) == len(parts):
        return {target: f"port {port}" for target, (_, port) in parts.items()}
    return names


def shortened(name: str, chars: int) -> str:
    """``name`` in at most ``chars`` characters (at least 4): whole when it fits, else cut
    with ``...``: after its last whole word when that loses at most :data:`WORD_SLACK`
    characters more (``Stage 1 sampling`` in 12: ``Stage 1...``, not ``Stage 1 s...``), else
    mid-word (in 15: ``Stage 1 samp...``)."""
    if len(name) <= chars:
        return name
    room = max(1, chars - 3)
    cut = name[:room]
    space = cut.rfind(" ")
    if name[room] != " " and space > 0 and room - space <= WORD_SLACK:
        cut = cut[:space]  # the word cut off was short: better gone than half there
    return cut.rstrip() + "..."


def eta_text(p: BatchProgress) -> str:
    """``ETA 1m15s``; ``ETA ~1m15s`` while it is a guess (a target's pace not known yet);
    before a first video is made, that it cannot be known yet; ``stopping`` once the batch
    is cancelled (nothing more will be made). Rounded up to a tenth: never ``0.0s`` while
    something is left."""
    if p.stopping:
        return "stopping"
    if p.eta is not None:
        return f"ETA {duration(math.ceil(p.eta * 10) / 10)}"
    if p.eta_guess is not None:  # a target's pace not known yet: it may still grow
        return f"ETA ~{duration(math.ceil(p.eta_guess * 10) / 10)}"
    if p.total is not None and p.ok == 0 and (p.running or p.waiting):
        return "ETA after the first video"
    return "ETA -"


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

    One line per finished job (and per retry, per server lost with jobs on it, per target
    dropped), prefixed on a non-terminal with the batch's count and ETA (no ETA once the
    batch is stopping); on a terminal (``interactive``, default: ``stream.isatty()``) a status
    line (bar, done / total, made, running with each job's stage and step, failed, ETA) is
    redrawn below them, cut to the terminal's width. Before a first video is made there is
    nothing to measure the ETA by: it says so.
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
            if result.note:  # saved under a free name: the usual one was somebody else's
                line += f"; note: {result.note}"
        elif result.status == "failed":
            # where it failed (an unfit job's error names every target itself)
            on = f"on {result.target}: " if result.target and \
                result.error_kind not in ("unfit", "invalid") else ""
            # the flag that set the deadline is named, as ltx2 generate does
            past = "" if result.past_timeout is None else \
                f"--timeout: the job ran past {result.past_timeout:g} s: "
            line = f"failed    job {result.job}  {on}{past}{result.error}"
        elif result.status == "cancelled":
            line = f"cancelled job {result.job}  on {result.target}"
        else:
            line = f"skipped   job {result.job}  {result.note}"
        self._line(line)

    def retry(self, notice: RetryNotice) -> None:
        self._line(f"retry     job {notice.job} in {notice.delay:g} s (try {notice.attempt + 1} "
                   f"of {notice.attempts}) after a failure on {notice.target}: {notice.error}")

    def dropped(self, notice: DropNotice) -> None:
        """A target dropped, or a server lost with jobs on it (said when it happens: where
        its jobs go)."""
        if not notice.lost:
            self._line(f"dropped   {notice.target}: {notice.reason}")
            return
        one = notice.handed_on == 1
        jobs = "its job" if one else f"its {notice.handed_on} jobs"
        where = ("goes" if one else "go") + " to the others" if notice.left else \
            ("waits" if one else "wait") + " for it to come back"
        self._line(f"lost      {notice.target}: {notice.reason}; {jobs} {where}")

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
        text = eta_text(p)  # (none once nothing more will be made: after a cancel)
        eta = f", {text}" if p.running + p.waiting and text != "ETA -" and not p.stopping \
            else ""
        return f"{p.finished}/{total}{eta}"

    def _draw(self) -> None:
        from ltx2sdk.app.cli.status_line import Cut, Piece, fit  # start-up: only a terminal

        p = self._last
        assert p is not None
        # the bar's width depends on the terminal's alone: it does not jump between redraws
        columns = shutil.get_terminal_size().columns
        bar_width = BAR_WIDTH if columns >= BAR_FULL_COLUMNS else \
            BAR_WIDTH // 2 if columns >= BAR_NARROW_COLUMNS else 0
        bar = None
        if p.total and bar_width:
            filled = min(bar_width, bar_width * p.finished // p.total)
            bar = Piece("[" + "#" * filled + "-" * (bar_width - filled) + "]")
        total = "?" if p.total is None else str(p.total)
        pieces = [bar, Piece(f"{p.finished}/{total} done", " "), Piece(f"{p.ok} made", ", "),
                  Piece(running_text(p, servers=True), ", ")]
        for count, what in ((p.failed - p.invalid, "failed"), (p.invalid, "invalid"),
                            (p.skipped, "skipped"), (p.waiting, "waiting to retry")):
            if count:
                pieces.append(Piece(f"{count} {what}", ", "))
        eta = eta_text(p)
        # none once every job is done (was "8/8 done, 8 made, 0 running, ETA 0.0s")
        finished = p.left == 0 and not p.running and not p.waiting
        pieces.append(None if finished else Piece(eta, ", "))
        # a line longer than the terminal wraps, and \r would then redraw only its last row:
        # each server's running job, step and model set stay longest (issue 19: what each
        # runs and holds); the stage names shrink as little as the width needs, then go,
        # then the count made (done says it), what the servers' names share (a port, a
        # host), the sets, the servers' names; the numbers
        # (done, steps, ETA) stay; the bar goes last, when nothing else is left to cut
        width = columns - 1
        shown = sorted((j for j in p.jobs if not j.queued), key=lambda j: j.target)
        longest = max((len(job.stage or "starting") for job in shown[:SHOWN_JOBS]), default=0)
        shorter = [Cut(3, running_text(p, chars, servers=True))
                   for chars in range(longest - 1, STAGE_MIN - 1, -1)]
        line = fit(pieces, width, (
            *shorter, Cut(3, running_text(p, 0, servers=True)), Cut(2),
            Cut(3, running_text(p, 0, servers=True, short=True)),
            Cut(3, running_text(p, 0, servers=True, short=True, groups=False)),
            Cut(3, running_text(p, 0)),
            Cut(3, running_text(p, steps_only=True)),
            Cut(len(pieces) - 1, "ETA ?" if p.eta is None and not p.stopping else eta),
            Cut(3, running_text(p, steps_only=True).split(" (")[0]), Cut(0)))
        self.stream.write("\r\033[K" + escaped(line))
        self.stream.flush()
        self._drawn = True
        self._drawn_at = time.monotonic()
