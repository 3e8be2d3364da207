"""Run the ComfyUI stand-in: ``python -m tests.comfyserver`` (port 8188, ``--port 0`` for any
free one). It speaks ComfyUI's protocol, has every model file of the SDK's catalog, and makes
small real mp4s without a GPU, so the README's ``ltx2 check`` and ``ltx2 generate`` work against
it as they are.

``--comfyui-version 0.33.0`` emulates another captured release (tests/fixtures/versions).

With ``comfyui-frontend-package`` installed (a [dev] extra) it also serves ComfyUI's own editor
at its address, as ComfyUI does: open it in a browser to look at a workflow (drag a file onto
the canvas) or at what a client queued; ``--no-frontend`` serves the API only.

``--model-load-seconds``, ``--models-kept``, ``--job-seconds``, ``--upload-bytes-per-s`` and
``--download-bytes-per-s`` make it pay for what a real GPU server pays for (model loads, run
time, bandwidth), and ``GET /ltx2sdk-standin/stats`` says what it did (model loads, busy and
idle seconds, each prompt): see tests/comfyserver/workload.py.

``--models-from`` takes either a JSON file ``{"checkpoints": ["a.safetensors"], ...}`` or a
ComfyUI-style ``models/`` directory (one subfolder per models folder; 0-byte files there become
placeholders that validate but fail when loaded, like the captured execution_error).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import signal
import sys
from pathlib import Path

try:
    import aiohttp  # noqa: F401  (the stand-in's one library beyond the SDK's own)
except ModuleNotFoundError:  # an install without [dev]: what to do, not an import traceback
    sys.exit("python -m tests.comfyserver: the stand-in needs aiohttp, which the [dev] extra "
             "installs: .venv/bin/pip install -e '.[dev]'")

from . import catalog_models
from .faults import Faults
from .frontend import frontend_dir
from .nodes import Simulation
from .server import ComfyTestServer
from .versions import DEFAULT_VERSION, available_versions


def scan_models(path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(models, placeholders) from a JSON file or a models directory."""
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): [str(n) for n in v] for k, v in data.items()}, {}
    models: dict[str, list[str]] = {}
    placeholders: dict[str, list[str]] = {}
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        for file in sorted(f for f in folder.rglob("*") if f.is_file()):
            name = file.relative_to(folder).as_posix()
            target = placeholders if file.stat().st_size == 0 else models
            target.setdefault(folder.name, []).append(name)
    return models, placeholders


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.comfyserver", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comfyui-version", choices=available_versions(),
                        help="captured ComfyUI release to emulate: its /object_info, "
                        "/system_stats and validation (default: 0.26.0, LTX-2 nodes only)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                        "%(default)s)")
    parser.add_argument("--port", type=int, default=8188,
                        help="port (default %(default)s; 0 picks a free one)")
    parser.add_argument("--models-from", type=Path,
                        help="JSON file or models directory (default: every file of the SDK's "
                             "model catalog)")
    parser.add_argument("--output-dir", type=Path, help="default: a temporary directory")
    parser.add_argument("--input-dir", type=Path, help="default: a temporary directory")
    parser.add_argument("--sampler-steps", type=int,
                        help="progress steps of every sampler (default: as many as the graph "
                             "gives each one, as ComfyUI runs them)")
    parser.add_argument("--step-delay", type=float, default=0.0, help="seconds per step")
    parser.add_argument("--node-delay", type=float, default=0.0, help="extra seconds per node")
    parser.add_argument("--output-bytes", type=int,
                        help="size of each saved video (the captured mp4, padded)")
    parser.add_argument("--captured-video", action="store_true",
                        help="save the captured 2185-byte mp4 for every video (default: a "
                             "tiny real mp4 as long as the graph's video, at its frame rate)")
    parser.add_argument("--model-load-seconds", type=float, default=0.0,
                        help="seconds to load a prompt's set of model files when it is not "
                             "among the kept ones (default: 0)")
    parser.add_argument("--models-kept", type=int, default=1,
                        help="model sets kept loaded, least recently used dropped first "
                             "(default: %(default)s)")
    parser.add_argument("--job-seconds", type=float, default=0.0,
                        help="run time of each prompt, spread over its sampler steps "
                             "(default: 0)")
    parser.add_argument("--upload-bytes-per-s", type=float,
                        help="bandwidth cap on uploads (default: none)")
    parser.add_argument("--download-bytes-per-s", type=float,
                        help="bandwidth cap on /view downloads (default: none)")
    parser.add_argument("--max-upload-bytes", type=int, default=Faults.max_upload_bytes)
    parser.add_argument("--frontend", action=argparse.BooleanOptionalAction, default=None,
                        help="serve ComfyUI's editor at / (default: when "
                             "comfyui-frontend-package is installed)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.frontend and frontend_dir() is None:
        sys.exit("python -m tests.comfyserver: --frontend needs comfyui-frontend-package, which "
                 "the [dev] extra installs: .venv/bin/pip install -e '.[dev]'")
    frontend = frontend_dir() is not None if args.frontend is None else args.frontend
    models, placeholders = (
        scan_models(args.models_from) if args.models_from else (catalog_models(), {})
    )
    server = ComfyTestServer(
        models=models,
        placeholders=placeholders,
        faults=Faults(node_delay=args.node_delay, max_upload_bytes=args.max_upload_bytes),
        sim=Simulation(sampler_steps=args.sampler_steps, step_delay=args.step_delay,
                       output_bytes=args.output_bytes,
                       video_length=not args.captured_video,
                       model_load_seconds=args.model_load_seconds,
                       models_kept=args.models_kept, job_seconds=args.job_seconds,
                       upload_bytes_per_s=args.upload_bytes_per_s,
                       download_bytes_per_s=args.download_bytes_per_s),
        output_dir=args.output_dir,
        input_dir=args.input_dir,
        comfyui_version=args.comfyui_version,
        host=args.host,
        port=args.port,
        frontend=frontend,
    )
    # Ctrl-C and SIGTERM are taken by the main thread alone, with sigwait below: a signal the
    # kernel hands to one of the server's threads would otherwise never wake a main thread
    # blocked in a wait (a CI stop hung that way). The mask is put back when main ends: run
    # in-process (tests call main()), it would else be inherited by every later subprocess.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        _serve(server, args, frontend, stop_signals)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _serve(server: ComfyTestServer, args: argparse.Namespace, frontend: bool,
           stop_signals: set[signal.Signals]) -> None:
    """Start ``server``, say where it listens, and serve until Ctrl-C or SIGTERM."""
    try:
        server.start()
    except OSError as exc:
        server.stop()
        if exc.errno == errno.EADDRINUSE:
            sys.exit(f"python -m tests.comfyserver: port {args.port} on {args.host} is already "
                     "in use (a ComfyUI running?): choose another with --port N, or --port 0 "
                     "for any free port")
        sys.exit(f"python -m tests.comfyserver: cannot listen on {args.host}:{args.port}: "
                 f"{exc.strerror or exc}")
    try:
        version = args.comfyui_version or DEFAULT_VERSION
        print(f"ComfyUI stand-in ({version}) listening on {server.url}", flush=True)
        print(f"try: .venv/bin/ltx2 check --server {server.url}  (outputs go to "
              f"{server.output_dir}; Ctrl-C to stop)", flush=True)
        if frontend:
            print(f"the editor: open {server.url}/ in a browser", flush=True)
        # a SIGTERM (kill, a supervisor) stops it as cleanly as Ctrl-C: temp folders are removed
        signal.sigwait(stop_signals)
        print("stopping", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
