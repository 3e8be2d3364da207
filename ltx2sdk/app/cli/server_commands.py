"""``ltx2 generate`` and ``ltx2 check``: the commands that talk to a ComfyUI server."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from builders import build
from builders.catalog import PIPELINES
from ltx2sdk.app.cli import reporting
from ltx2sdk.app.cli.request_flags import add_request_flags, request_from_args
from ltx2sdk.backends.server_urls import (
    DEFAULT_READY_TIMEOUT,
    REFUSED_GRACE,
    UNKNOWN_HOST,
    normalize_server_url,
)
from ltx2sdk.errors import (
    CommandLineError,
    IncompatibleServerError,
    JobTimeoutError,
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
    ServerUrlError,
)
from ltx2sdk.graph.releases import TESTED_RANGE, range_status
from ltx2sdk.model_files import lookup
from ltx2sdk.vocabulary import (
    AUDIO,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    LAST_IMAGE,
    MODEL_IDS,
    MODES,
)
from ltx2sdk.wording import byte_size, escaped, one_line

if TYPE_CHECKING:  # only generate needs the progress machinery: build starts faster
    from ltx2sdk.app.progress import ProgressUpdate

DEFAULT_SERVER = "http://127.0.0.1:8188"
READY_TIMEOUT_HELP = (
    "wait up to this long for a server that is starting, refused connections included "
    f"(default: a refused connection fails after {REFUSED_GRACE:g} s, a server that accepts "
    f"but does not answer yet is waited for {DEFAULT_READY_TIMEOUT:g} s; an unknown host is "
    f"never waited for longer than {REFUSED_GRACE:g} s)")
"""``--ready-timeout``'s help, the same for every command that has it."""
MODE_CHOICES = (*MODES, "both")  # ltx2 check --mode and ltx2 models --mode
CHECK_IMAGE = "ltx2sdk_check.png"  # stands for the image generate would upload first
CHECK_LAST_IMAGE = "ltx2sdk_check_last.png"  # and for flf2v's last frame
CHECK_AUDIO = "ltx2sdk_check.wav"  # and for ia2v's audio
CHECK_UPLOADS = (CHECK_IMAGE, CHECK_LAST_IMAGE, CHECK_AUDIO)


class ProgressPrinter:
    """A one-line progress bar on a terminal; plain, throttled lines otherwise."""

    def __init__(self, stream: TextIO, *, interactive: bool | None = None,
                 min_interval: float = 2.0) -> None:
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self.min_interval = min_interval
        self._last_stage = ""
        self._last_time = 0.0

    def __call__(self, update: ProgressUpdate) -> None:
        if self.interactive:
            width = 30
            filled = int(width * update.percent / 100)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {escaped(str(update))}"[:120].ljust(100))
            if update.done:
                self.stream.write("\n")
            self.stream.flush()
            return
        now = time.monotonic()
        if update.stage != self._last_stage or update.done or \
                now - self._last_time >= self.min_interval:
            self.stream.write(f"{escaped(str(update))}\n")
            self.stream.flush()
            self._last_stage, self._last_time = update.stage, now


def server_url(text: str) -> str:
    """``--server``: a URL as typed (``127.0.0.1:8188`` gets ``http://``), or a one-line
    argparse error saying what is wrong with it."""
    try:
        return normalize_server_url(text)
    except ServerUrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seconds(text: str) -> float:
    """A positive number of seconds (``--timeout``, ``--ready-timeout``)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):  # NaN fails the comparison too
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def server_of(args: argparse.Namespace) -> str:
    """``--server``, else ``$COMFY_URL`` (as for the RunPod worker), else the default."""
    if args.server is not None:
        return str(args.server)

    env = os.environ.get("COMFY_URL", "").strip()
    try:
        return normalize_server_url(env) if env else DEFAULT_SERVER
    except ServerUrlError as exc:
        raise CommandLineError(f"COMFY_URL: {exc}", 2) from exc


def backend_of(args: argparse.Namespace) -> Any:
    """The backend ``--server``, ``--api`` and ``--api-key`` (else ``$COMFY_API_KEY``) name:
    native ComfyUI or the Comfy API v2, asked of the server unless ``--api`` says."""
    from ltx2sdk.backends.connect import PROBE_TIMEOUT, connect  # start-up: urllib, http

    api = None if args.api in (None, "auto") else args.api
    ready = args.ready_timeout if args.ready_timeout is not None else DEFAULT_READY_TIMEOUT
    return connect(server_of(args), api_key=args.api_key, api=api,
                   probe_timeout=max(0.5, min(PROBE_TIMEOUT, ready)))


def server_name(client: Any) -> str:
    """How messages name the server: ``ComfyUI`` or ``the Comfy API v2``."""
    return "the Comfy API v2" if getattr(client, "api", "comfyui") == "v2" else "ComfyUI"


def wait_for_server(client: Any, args: argparse.Namespace) -> None:
    """Wait for the server as ``--ready-timeout`` says (see :data:`READY_TIMEOUT_HELP`); on
    a terminal, say that it is being waited for."""
    explicit = args.ready_timeout is not None
    stream = sys.stderr

    def say_waiting() -> None:
        if stream.isatty():
            print(f"waiting for {server_name(client)} at {client.base_url} (Ctrl-C to stop)",
                  file=stream, flush=True)

    try:
        client.wait_ready(timeout=args.ready_timeout if explicit else DEFAULT_READY_TIMEOUT,
                          refused_grace=None if explicit else REFUSED_GRACE,
                          on_wait=say_waiting)
    except ServerUnreachableError as exc:
        if explicit or exc.reason == UNKNOWN_HOST:  # waiting would not make a name resolve
            raise
        raise CommandLineError(f"{exc}; is it running? --ready-timeout SECONDS waits for one "
                               "that is starting") from exc
    except ServerUnavailableError as exc:
        if explicit or "was not ready" not in str(exc):  # an unusable URL: nothing to wait for
            raise
        raise CommandLineError(f"{exc}; --ready-timeout SECONDS waits longer") from exc


def cmd_generate(args: argparse.Namespace) -> int:
    from ltx2sdk.app.generate import generate  # start-up: pydantic, requests, Pillow

    if args.output is not None and not args.overwrite and args.output.exists():
        raise CommandLineError(f"--output {args.output}: exists; --overwrite replaces it", 2)
    checked = request_from_args(args)  # every local or base64 input decoded here, once
    printer = ProgressPrinter(sys.stderr)
    started = time.monotonic()
    client = backend_of(args)
    queued: list[str] = []
    try:
        wait_for_server(client, args)
        result = generate(checked, client, output=args.output, output_dir=args.output_dir,
                          on_progress=printer, on_queued=queued.append, timeout=args.timeout,
                          ready_timeout=0,  # waited for above, with the CLI's messages
                          inputs=args.input_data, overwrite=args.overwrite)
    except KeyboardInterrupt:
        for prompt_id in queued:  # the client has interrupted it on the server
            print(f"\ninterrupted prompt {prompt_id} on {client.base_url}", file=sys.stderr)
        raise
    except JobTimeoutError as exc:  # the flag that set the deadline is named
        raise CommandLineError(f"--timeout: the job ran past {args.timeout:g} s: {exc}") from exc
    finally:
        client.close()
    took = time.monotonic() - started
    for note in result.adjustments:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        reporting.emit_json(args, reporting.generate_document(
            result, model=checked.pipeline.model.id, server=client.base_url, api=client.api,
            seconds=took))
    size = result.video.stat().st_size
    # the file name may be the server's: escaped like any text it sent
    print(f"{escaped(str(result.video))}  ({result.width}x{result.height}, {result.frames} "
          f"frames at "
          f"{result.fps} fps = {result.duration:g} s of video, seed {result.seed}, "
          f"{byte_size(size)}; took {took:.1f} s)")
    return 0


def default_requests(modes: list[str], model: str = DEFAULT_MODEL) -> list[Any]:
    """The requests ``ltx2 generate`` sends with default flags for ``model``, one per
    pipeline of it in ``modes`` (t2v, i2v, flf2v, ia2v: whatever the catalog has), mode by
    mode. Their input files are :data:`CHECK_IMAGE`, :data:`CHECK_LAST_IMAGE` and
    :data:`CHECK_AUDIO`, standing for the uploads generate makes after its check."""
    from ltx2sdk.request import GenerationRequest  # start-up: pydantic

    probes = ((FIRST_IMAGE, CHECK_IMAGE), (LAST_IMAGE, CHECK_LAST_IMAGE), (AUDIO, CHECK_AUDIO))
    requests = []
    for mode in modes:
        for pipeline in PIPELINES:
            if pipeline.model.id != model or pipeline.mode != mode:
                continue
            kind = str(pipeline.type)
            files = {which.file: name for which, name in probes if kind in which.types}
            requests.append(GenerationRequest.model_validate(
                {"prompt": "check", "model": pipeline.model.id, "mode": mode,
                 "type": kind, **files}))
    return requests


@dataclass
class ModelReport:
    """What a server lacks to run one model's pipelines (empty lists: it can)."""

    model: str
    name: str
    pipelines: list[str] = field(default_factory=list)
    needs_release: dict[str, list[str]] = field(default_factory=dict)
    """A newer ComfyUI release -> the pipelines that need it."""
    missing_nodes: list[str] = field(default_factory=list)
    missing_models: list[tuple[str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return bool(self.pipelines) and not (self.needs_release or self.missing_nodes
                                             or self.missing_models or self.other)


def check_model(client: Any, schemas: Any, model: str, modes: list[str]) -> ModelReport:
    """Build each pipeline of ``model`` in ``modes`` for the server and check it by the
    server's rules, exactly as ``ltx2 generate`` does before queueing; collect what is
    missing (the release, node types, model files, anything else)."""
    [name] = {p.model.name for p in PIPELINES if p.model.id == model}
    report = ModelReport(model, name)
    for request in default_requests(modes, model):
        report.pipelines.append(f"{request.type} {request.mode}")
        pipeline = PIPELINES.get(model, request.type, request.mode)
        if not pipeline.runs_on(client.comfyui_version):
            report.needs_release.setdefault(pipeline.min_comfyui, []).append(
                report.pipelines[-1])
            continue
        try:
            graph = build(request, schemas=schemas).graph
        except IncompatibleServerError as exc:  # a node or input this release lacks
            report.other.append(f"{request.type} {request.mode}: {exc}")
            continue
        found = client.check(graph, pending_uploads=CHECK_UPLOADS)
        report.missing_nodes += [n for n in found.missing_nodes
                                 if n not in report.missing_nodes]
        report.missing_models += [m for m in found.missing_models
                                  if m not in report.missing_models]
        report.other += [line for line in [*found.other, *found.runtime]
                         if line not in report.other]
    return report


def print_report(report: ModelReport, version: str | None) -> None:
    """One model's verdict, then what it lacks, indented."""
    head = f"{report.model} ({report.name})"
    if not report.pipelines:
        print(f"{head}: no pipelines in the modes checked")
        return
    if report.ready:
        print(f"{head}: ready ({', '.join(report.pipelines)})")
        return
    print(f"{head}: not ready")
    for release, pipelines in report.needs_release.items():
        which = "all" if pipelines == report.pipelines else ", ".join(pipelines)
        print(f"  {which} need ComfyUI >= {release}; the server runs {version}")
    if report.missing_nodes:
        print(f"  missing node types ({len(report.missing_nodes)}), update ComfyUI to "
              f"{TESTED_RANGE[0]} or newer:")
        for node in report.missing_nodes:
            print(f"    {node}")
    if report.missing_models:
        print(f"  missing model files ({len(report.missing_models)}):")
        for folder, name in report.missing_models:
            entry = lookup(folder, name)
            source = f"  <- {entry.url}" if entry else ""
            print(f"    models/{folder}/{name}{source}")
    if report.other:
        print(f"  other problems ({len(report.other)}):")
        for line in report.other:
            print(f"    {one_line(line)}")


def cmd_check(args: argparse.Namespace) -> int:
    from ltx2sdk.backends.comfyui.client import ComfyClient  # start-up: requests, websocket-client

    if args.api == "v2":
        return cannot_check_v2(backend_of(args), args)
    client = ComfyClient(server_of(args))
    try:
        wait_for_server(client, args)
    except ServerResponseError:  # not a ComfyUI: perhaps the Comfy API v2
        from ltx2sdk.backends.connect import detect_api  # start-up: urllib, http

        if args.api is None and detect_api(server_of(args)) == "v2":
            return cannot_check_v2(backend_of(args), args)
        raise
    version = client.comfyui_version
    if version is not None:  # the server's text: printed escaped, it cannot steer the terminal
        version = one_line(version, limit=100)
    print(f"ComfyUI {version or '(version unknown)'} at {client.base_url} is up: "
          f"{range_status(version)}")
    schemas = client.schemas()
    modes = list(MODES) if args.mode == "both" else [args.mode]
    # every model is reported; the exit status is that of the one(s) --model names
    required = list(MODEL_IDS) if args.model == "all" else [args.model]
    reports = [check_model(client, schemas, model, modes) for model in MODEL_IDS]
    for report in reports:
        print_report(report, version)
    if not any(r.pipelines for r in reports if r.model in required):
        raise CommandLineError(f"--mode: {args.model} has no {args.mode} pipelines", 2)
    failed = [r.model for r in reports if r.model in required and not r.ready and r.pipelines]
    if args.json:
        reporting.emit_json(args, reporting.check_document(
            reports, server=client.base_url, comfyui_version=version,
            status=range_status(version), required=required, modes=modes, ready=not failed))
    if failed:
        return 1
    names = ", ".join(r.name.split(" ")[0] for r in reports if r.model in required)
    print(f"ready for {names} ({', '.join(modes)})")
    return 0


def cannot_check_v2(backend: Any, args: argparse.Namespace) -> int:
    """``ltx2 check`` of a Comfy API v2 server: it is up and takes the key, and that is all
    it can say (the v2 API publishes no node schemas or model lists)."""
    try:
        wait_for_server(backend, args)
    finally:
        backend.close()
    raise CommandLineError(f"{backend.base_url} is the Comfy API v2 and it is up, but it "
                           "publishes no node schemas or model lists, so ltx2 check cannot check "
                           "it: ltx2 generate runs there, and the server checks each job when it "
                           "is submitted")


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", type=server_url, metavar="URL",
                        help=f"ComfyUI's or a Comfy API v2 server's URL (default: $COMFY_URL, "
                             f"else {DEFAULT_SERVER}); "
                             "http:// is added when missing (https:// for port 443)")
    parser.add_argument("--ready-timeout", type=seconds, metavar="SECONDS",
                        help=READY_TIMEOUT_HELP)
    parser.add_argument("--api", choices=["auto", "comfyui", "v2"], default=None,
                        help="the server's protocol: ComfyUI's own, or the Comfy API v2 "
                             "(Comfy Cloud, serverless, comfy-api-proxy); default: ask the "
                             "server (Comfy Cloud's URL is known)")
    parser.add_argument("--api-key", metavar="KEY",
                        help="the Comfy API v2 key (default: $COMFY_API_KEY, which keeps it "
                             "out of the process list); never printed")


def add_server_commands(commands: Any) -> None:
    gen = commands.add_parser("generate", help="build, run on ComfyUI, download the video",
                              description="Build the request's pipeline for the server's "
                                          "ComfyUI, check it there, run it and download the "
                                          "video.")
    add_request_flags(gen)
    server = gen.add_argument_group("server and output")
    add_server_flags(server)
    server.add_argument("--output", "-o", type=Path, metavar="FILE.mp4",
                        help="video path (default: the server's file name in --output-dir, "
                             "or 'name (1).mp4' when a file has it); an existing file is "
                             "refused unless --overwrite")
    server.add_argument("--overwrite", action="store_true",
                        help="replace the file --output names if it exists")
    server.add_argument("--output-dir", type=Path, default=Path("."), metavar="DIR",
                        help="where other outputs go (default .)")
    server.add_argument("--timeout", type=seconds, default=3600.0, metavar="SECONDS",
                        help="overall deadline (default 3600)")
    gen.set_defaults(func=cmd_generate)

    check = commands.add_parser("check", help="can a server run each model?",
                                description="Check, per model, that a ComfyUI can run its "
                                            "pipelines: its release, nodes and model files. "
                                            "Exit status 1 when it cannot run the model(s) "
                                            "--model names.")
    add_server_flags(check)
    check.add_argument("--model", choices=[*MODEL_IDS, "all"], default=DEFAULT_MODEL,
                       help="the model(s) the exit status is about (default "
                            f"{DEFAULT_MODEL}); every model is reported")
    check.add_argument("--mode", choices=MODE_CHOICES, default="both",
                       help="the mode(s) to check (default both)")
    check.set_defaults(func=cmd_check)
