"""``ltx2 generate`` and ``ltx2 check``: the commands that talk to a ComfyUI server."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .cli_request import CliError, add_request_flags, request_from_args
from .models import DEFAULT_GENERATION, lookup
from .releases import TESTED_RANGE, range_status

if TYPE_CHECKING:  # only generate needs the progress machinery: build starts faster
    from .progress import ProgressUpdate

DEFAULT_SERVER = "http://127.0.0.1:8188"
REFUSED_GRACE = 2.0  # seconds a refused connection is retried unless --ready-timeout is given
GENERATE_READY_TIMEOUT = 30.0  # seconds for a server that accepts but does not answer yet
CHECK_READY_TIMEOUT = 10.0
MODE_CHOICES = ("fast", "pro", "both")  # ltx2 check --mode and ltx2 models --mode
CHECK_IMAGE = "ltx2sdk_check.png"  # stands for the image generate would upload first
CHECK_LAST_IMAGE = "ltx2sdk_check_last.png"  # and for flf2v's last frame


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
            self.stream.write(f"\r[{bar}] {update}"[:120].ljust(100))
            if update.done:
                self.stream.write("\n")
            self.stream.flush()
            return
        now = time.monotonic()
        if update.stage != self._last_stage or update.done or \
                now - self._last_time >= self.min_interval:
            self.stream.write(f"{update}\n")
            self.stream.flush()
            self._last_stage, self._last_time = update.stage, now


def server_url(text: str) -> str:
    """``--server``: a URL as typed (``127.0.0.1:8188`` gets ``http://``), or a one-line
    argparse error saying what is wrong with it."""
    from .urls import ServerUrlError, normalize_server_url

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
    from .urls import ServerUrlError, normalize_server_url

    env = os.environ.get("COMFY_URL", "").strip()
    try:
        return normalize_server_url(env) if env else DEFAULT_SERVER
    except ServerUrlError as exc:
        raise CliError(f"COMFY_URL: {exc}", 2) from exc


def backend_of(args: argparse.Namespace, default_ready: float) -> Any:
    """The backend ``--server``, ``--api`` and ``--api-key`` (else ``$COMFY_API_KEY``) name:
    native ComfyUI or the Comfy API v2, asked of the server unless ``--api`` says."""
    from .connection import PROBE_TIMEOUT, connect

    api = None if args.api in (None, "auto") else args.api
    ready = args.ready_timeout if args.ready_timeout is not None else default_ready
    return connect(server_of(args), api_key=args.api_key, api=api,
                   probe_timeout=max(0.5, min(PROBE_TIMEOUT, ready)))


def server_name(client: Any) -> str:
    """How messages name the server: ``ComfyUI`` or ``the Comfy API v2``."""
    return "the Comfy API v2" if getattr(client, "api", "comfyui") == "v2" else "ComfyUI"


def wait_for_server(client: Any, args: argparse.Namespace, default_timeout: float) -> None:
    """Wait for the server as ``--ready-timeout`` says (see :data:`REFUSED_GRACE`); on a
    terminal, say that it is being waited for."""
    from .errors import ServerUnavailableError

    explicit = args.ready_timeout is not None
    stream = sys.stderr

    def say_waiting() -> None:
        if stream.isatty():
            print(f"waiting for {server_name(client)} at {client.base_url} (Ctrl-C to stop)",
                  file=stream, flush=True)

    try:
        client.wait_ready(timeout=args.ready_timeout if explicit else default_timeout,
                          refused_grace=None if explicit else REFUSED_GRACE,
                          on_wait=say_waiting)
    except ServerUnavailableError as exc:
        if explicit:
            raise
        if "was not ready" not in str(exc):  # a URL that cannot be used: nothing to wait for
            raise
        nothing_there = any(reason in str(exc) for reason in (
            "connection refused", "host name not found", "no route", "no answer to the "
            "connection"))
        hint = ("is it running? --ready-timeout SECONDS waits for a ComfyUI that is starting"
                if nothing_there else "--ready-timeout SECONDS waits longer")
        raise CliError(f"{exc}; {hint}") from exc


def megabytes(size: int) -> str:
    """``size`` bytes in MB (10^6 bytes), with as many places as a small file needs."""
    mb = size / 1e6
    return f"{mb:.1f} MB" if mb >= 1 else f"{mb:.3f} MB"


def cmd_generate(args: argparse.Namespace) -> int:
    from .generation import generate

    request = request_from_args(args, image_as_data=True)
    printer = ProgressPrinter(sys.stderr)
    started = time.monotonic()
    client = backend_of(args, GENERATE_READY_TIMEOUT)
    queued: list[str] = []
    try:
        wait_for_server(client, args, GENERATE_READY_TIMEOUT)
        result = generate(request, client, output=args.output, output_dir=args.output_dir,
                          on_progress=printer, on_queued=queued.append, timeout=args.timeout,
                          ready_timeout=args.ready_timeout or GENERATE_READY_TIMEOUT)
    except KeyboardInterrupt:
        for prompt_id in queued:  # the client has interrupted it on the server
            print(f"\ninterrupted prompt {prompt_id} on {client.base_url}", file=sys.stderr)
        raise
    finally:
        client.close()
    took = time.monotonic() - started
    for note in result.adjustments:
        print(f"note: {note}", file=sys.stderr)
    size = result.video.stat().st_size
    print(f"{result.video}  ({result.width}x{result.height}, {result.frames} frames at "
          f"{result.fps} fps = {result.duration:g} s of video, seed {result.seed}, "
          f"{megabytes(size)}; took {took:.1f} s)")
    return 0


def default_requests(modes: list[str]) -> list[Any]:
    """The requests ``ltx2 generate`` sends with default flags, one per pipeline of the
    default generation in ``modes`` (t2v, i2v, flf2v: whatever the catalog has), mode by
    mode. Their images are :data:`CHECK_IMAGE` and :data:`CHECK_LAST_IMAGE`, standing for
    the uploads generate makes after its check."""
    from builders.catalog import PIPELINES

    from .request import FIRST_IMAGE, LAST_IMAGE, GenerationRequest

    probes = ((FIRST_IMAGE, CHECK_IMAGE), (LAST_IMAGE, CHECK_LAST_IMAGE))
    requests = []
    for mode in modes:
        for pipeline in PIPELINES:
            if pipeline.generation.id != DEFAULT_GENERATION or pipeline.mode != mode:
                continue
            kind = str(pipeline.type)
            images = {image.file: name for image, name in probes if kind in image.types}
            requests.append(GenerationRequest.model_validate(
                {"prompt": "check", "mode": mode, "type": kind, **images}))
    return requests


def cmd_check(args: argparse.Namespace) -> int:
    from builders import build

    from .client import ComfyClient
    from .errors import IncompatibleServerError, ServerResponseError

    if args.api == "v2":
        return cannot_check_v2(backend_of(args, CHECK_READY_TIMEOUT), args)
    client = ComfyClient(server_of(args))
    try:
        wait_for_server(client, args, CHECK_READY_TIMEOUT)
    except ServerResponseError:  # not a ComfyUI: perhaps the Comfy API v2
        from .connection import detect_api

        if args.api is None and detect_api(client.base_url) == "v2":
            return cannot_check_v2(backend_of(args, CHECK_READY_TIMEOUT), args)
        raise
    version = client.comfyui_version
    print(f"ComfyUI {version or '(version unknown)'} at {client.base_url} is up: "
          f"{range_status(version)}")
    schemas = client.schemas()
    modes = ["fast", "pro"] if args.mode == "both" else [args.mode]
    missing_nodes: list[str] = []
    missing_models: list[tuple[str, str]] = []
    other: list[str] = []
    for request in default_requests(modes):
        # built and checked exactly as `ltx2 generate` builds and checks before queueing
        try:
            graph = build(request, schemas=schemas).graph
        except IncompatibleServerError as exc:
            other.append(f"{request.type} {request.mode}: {exc}")
            continue
        report = client.check(graph, pending_uploads=(CHECK_IMAGE, CHECK_LAST_IMAGE))
        missing_nodes += [n for n in report.missing_nodes if n not in missing_nodes]
        missing_models += [m for m in report.missing_models if m not in missing_models]
        other += [line for line in [*report.other, *report.runtime] if line not in other]
    if missing_nodes:
        print(f"missing node types ({len(missing_nodes)}), update ComfyUI to "
              f"{TESTED_RANGE[0]} or newer:")
        for name in missing_nodes:
            print(f"  {name}")
    if missing_models:
        print(f"missing model files ({len(missing_models)}):")
        for folder, name in missing_models:
            entry = lookup(folder, name)
            source = f"  <- {entry.url}" if entry else ""
            print(f"  models/{folder}/{name}{source}")
    if other:
        print(f"other problems ({len(other)}):")
        for line in other:
            print(f"  {line}")
    if missing_nodes or missing_models or other:
        return 1
    print(f"ready for LTX-2 ({', '.join(modes)})")
    return 0


def cannot_check_v2(backend: Any, args: argparse.Namespace) -> int:
    """``ltx2 check`` of a Comfy API v2 server: it is up and takes the key, and that is all
    it can say (the v2 API publishes no node schemas or model lists)."""
    try:
        wait_for_server(backend, args, CHECK_READY_TIMEOUT)
    finally:
        backend.close()
    raise CliError(f"{backend.base_url} is the Comfy API v2 and it is up, but it publishes no "
                   "node schemas or model lists, so ltx2 check cannot check it: ltx2 generate "
                   "runs there, and the server checks each job when it is submitted")


def add_server_flags(parser: argparse.ArgumentParser, default_ready: float) -> None:
    parser.add_argument("--server", type=server_url, metavar="URL",
                        help=f"ComfyUI's or a Comfy API v2 server's URL (default: $COMFY_URL, "
                             f"else {DEFAULT_SERVER}); "
                             "http:// is added when missing (https:// for port 443)")
    parser.add_argument("--ready-timeout", type=seconds, metavar="SECONDS",
                        help="wait up to this long for a ComfyUI that is starting, refused "
                             f"connections included (default: a refused connection fails "
                             f"after {REFUSED_GRACE:g} s, a server that accepts but does not "
                             f"answer is waited for {default_ready:g} s)")
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
    add_server_flags(server, GENERATE_READY_TIMEOUT)
    server.add_argument("--output", "-o", type=Path, metavar="FILE.mp4",
                        help="video path (default: the server's file name in --output-dir)")
    server.add_argument("--output-dir", type=Path, default=Path("."), metavar="DIR",
                        help="where other outputs go (default .)")
    server.add_argument("--timeout", type=seconds, default=3600.0, metavar="SECONDS",
                        help="overall deadline (default 3600)")
    gen.set_defaults(func=cmd_generate)

    check = commands.add_parser("check", help="does a server have every node and model file?",
                                description="Check that a ComfyUI can run the default "
                                            "requests: its release, nodes and model files. "
                                            "Exit status 1 when it cannot.")
    add_server_flags(check, CHECK_READY_TIMEOUT)
    check.add_argument("--mode", choices=MODE_CHOICES, default="both",
                       help="the mode(s) to check (default both)")
    check.set_defaults(func=cmd_check)
