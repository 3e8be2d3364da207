"""``ltx2 generate`` and ``ltx2 check``: the commands that talk to a ComfyUI server."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .cli_request import add_request_flags, request_from_args
from .models import lookup
from .progress import ProgressUpdate
from .releases import TESTED_RANGE, range_status

DEFAULT_SERVER = "http://127.0.0.1:8188"
CHECK_IMAGE = "ltx2sdk_check.png"  # stands for the image generate would upload first


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


def cmd_generate(args: argparse.Namespace) -> int:
    from .client import ComfyClient
    from .generation import generate

    request = request_from_args(args, image_as_data=True)
    printer = ProgressPrinter(sys.stderr)
    client = ComfyClient(args.server)
    queued: list[str] = []
    try:
        result = generate(request, client, output=args.output, output_dir=args.output_dir,
                          on_progress=printer, on_queued=queued.append, timeout=args.timeout,
                          ready_timeout=args.ready_timeout)
    except KeyboardInterrupt:
        for prompt_id in queued:  # the client has interrupted it on the server
            print(f"\ninterrupted prompt {prompt_id} on {client.base_url}", file=sys.stderr)
        raise
    for note in result.adjustments:
        print(f"note: {note}", file=sys.stderr)
    print(f"{result.video}  ({result.width}x{result.height}, {result.frames} frames at "
          f"{result.fps} fps, seed {result.seed}, {sum(result.timings.values()):.1f} s)")
    return 0


def default_requests(modes: list[str]) -> list[Any]:
    """The requests ``ltx2 generate`` sends with default flags, one per pipeline of ``modes``."""
    from .request import GenerationRequest

    return [GenerationRequest(prompt="check", mode=mode, type=kind,
                              image=CHECK_IMAGE if kind == "i2v" else None)
            for mode in modes for kind in ("t2v", "i2v")]


def cmd_check(args: argparse.Namespace) -> int:
    from builders import build

    from .client import ComfyClient
    from .errors import IncompatibleServerError

    client = ComfyClient(args.server)
    client.wait_ready(timeout=args.ready_timeout)
    version = client.comfyui_version
    print(f"ComfyUI {version or '(version unknown)'} at {client.base_url} is up: "
          f"{range_status(version)}")
    schemas = client.schemas()
    modes = [args.mode] if args.mode else ["fast", "pro"]
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
        report = client.check(graph, pending_uploads=(CHECK_IMAGE,))
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


def add_server_commands(commands: Any) -> None:
    gen = commands.add_parser("generate", help="build, run on ComfyUI, download the video")
    add_request_flags(gen)
    gen.add_argument("--server", default=DEFAULT_SERVER, help=f"ComfyUI URL ({DEFAULT_SERVER})")
    gen.add_argument("--output", "-o", type=Path, help="video path (default: the server's name)")
    gen.add_argument("--output-dir", type=Path, default=Path("."),
                     help="where other outputs go (default .)")
    gen.add_argument("--timeout", type=float, default=3600.0, help="overall deadline, seconds")
    gen.add_argument("--ready-timeout", type=float, default=30.0,
                     help="how long to wait for the server to answer, seconds")
    gen.set_defaults(func=cmd_generate)

    check = commands.add_parser("check", help="does a server have every node and model file?")
    check.add_argument("--server", default=DEFAULT_SERVER, help=f"ComfyUI URL ({DEFAULT_SERVER})")
    check.add_argument("--mode", choices=["fast", "pro"], help="check one mode (default both)")
    check.add_argument("--ready-timeout", type=float, default=10.0)
    check.set_defaults(func=cmd_check)
