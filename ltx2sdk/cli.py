"""The ``ltx2`` command line.

    ltx2 build --prompt "a fox in the snow" --mode pro --output fox.json
    ltx2 build --example
    ltx2 build --request job.json --format comfyscript
    ltx2 generate --prompt "..." --server http://127.0.0.1:8188 --output fox.mp4
    ltx2 check --server http://127.0.0.1:8188
    ltx2 schema

Every error ends the command with a non-zero exit status and one line on stderr.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import LTX2Error
from .models import CAMERA_MOTIONS
from .request import GenerationRequest, describe_validation_error, request_json_schema

EXAMPLE_REQUEST: dict[str, Any] = {
    "prompt": ("A red fox trots through fresh snow at dawn, its breath fogging in the cold air. "
               "The camera holds steady at ground level. Soft wind and the crunch of snow."),
    "mode": "fast",
    "type": "t2v",
    "duration": 5,
    "seed": 42,
}


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --- request flags shared by build and generate ------------------------------------------------

_FLAG_FIELDS = {  # flag dest -> request field
    "prompt": "prompt", "negative_prompt": "negative_prompt", "type": "type", "mode": "mode",
    "width": "width", "height": "height", "duration": "duration", "frames": "frames",
    "fps": "fps", "seed": "seed", "camera": "camera_lora", "camera_strength": "camera_strength",
    "image_strength": "image_strength", "image_url": "image_url",
    "filename_prefix": "filename_prefix",
}


def _add_request_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("request (any field of the request model)")
    group.add_argument("--request", type=Path, metavar="FILE.json",
                       help="read the request from a JSON file (the RunPod handler's input); "
                            "flags given as well override its fields")
    group.add_argument("--prompt", help="what happens in the video, sounds included")
    group.add_argument("--negative-prompt", help="what to avoid (pro mode only)")
    group.add_argument("--type", choices=["t2v", "i2v"],
                       help="text or image to video (default t2v; i2v when --image is given)")
    group.add_argument("--mode", choices=["fast", "pro"], help="fast: distilled (default); "
                       "pro: dev model, CFG 4")
    group.add_argument("--width", type=int, help="pixels, snapped to a multiple of 64 "
                       "(default 1280)")
    group.add_argument("--height", type=int, help="pixels, snapped to a multiple of 64 "
                       "(default 720)")
    group.add_argument("--duration", type=float, help="seconds, at most 20 (default 10)")
    group.add_argument("--frames", type=int, help="length in frames (8n+1) instead of --duration")
    group.add_argument("--fps", type=int, help="frames per second (default 24)")
    group.add_argument("--seed", type=int, help="noise seed (random when absent; always printed)")
    group.add_argument("--camera", choices=CAMERA_MOTIONS, help="camera LoRA (default static)")
    group.add_argument("--camera-strength", type=float, help="camera LoRA strength (default 1)")
    group.add_argument("--image", type=Path, metavar="FILE", help="first frame for i2v")
    group.add_argument("--image-url", help="first frame for i2v, by URL")
    group.add_argument("--image-strength", type=float, help="how strongly the first frame is "
                       "kept (0..1, default 1)")
    group.add_argument("--filename-prefix", help="SaveVideo prefix (default video/ltx2sdk)")
    group.add_argument("--example", action="store_true",
                       help="use the built-in example request (a 5 s fox, fast mode)")


def request_from_args(args: argparse.Namespace, *, image_as_data: bool) -> GenerationRequest:
    """Merge ``--example``/``--request`` with the flags given and validate the result.

    ``image_as_data``: send ``--image`` as base64 (generate uploads it); otherwise
    only its file name is used (an offline build references it by name).
    """
    fields: dict[str, Any] = dict(EXAMPLE_REQUEST) if args.example else {}
    if args.request is not None:
        try:
            loaded = json.loads(args.request.read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read request file {args.request}: {exc}", 2) from exc
        if isinstance(loaded, dict) and isinstance(loaded.get("input"), dict):
            loaded = loaded["input"]  # a RunPod test_input.json works as it is
        if not isinstance(loaded, dict):
            raise CliError(f"request file {args.request} must hold a JSON object", 2)
        fields.update(loaded)
    for dest, field in _FLAG_FIELDS.items():
        value = getattr(args, dest, None)
        if value is not None:
            fields[field] = value
    if args.image is not None:
        fields.setdefault("type", "i2v")
        if image_as_data:
            try:
                fields["image_base64"] = base64.b64encode(args.image.read_bytes()).decode()
            except OSError as exc:
                raise CliError(f"cannot read image {args.image}: {exc.strerror}", 2) from exc
        else:
            fields["image"] = args.image.name
    if "prompt" not in fields:
        raise CliError("a prompt is needed: --prompt TEXT, --request FILE.json or --example", 2)
    try:
        return GenerationRequest.model_validate(fields)
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc), 2) from exc


def _print_plan(plan: Any) -> None:
    print(f"{plan.type} {plan.mode}: {plan.width}x{plan.height}, {plan.frames} frames at "
          f"{plan.fps} fps ({plan.duration:g} s), seed {plan.seed}, camera {plan.camera}",
          file=sys.stderr)
    for note in plan.adjustments:
        print(f"note: {note}", file=sys.stderr)


# --- commands ----------------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace) -> int:
    from builders import build

    request = request_from_args(args, image_as_data=False)
    result = build(request)
    if args.format == "comfyscript":
        from .comfyscript import to_comfyscript

        text = to_comfyscript(result.graph)
    else:
        text = result.graph.to_json(indent=2) + "\n"
    _print_plan(result.plan)
    _write_text(text, args.output)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from .models import CATALOG, files_for

    if args.all:
        files = list(CATALOG)
    else:
        modes = ["fast", "pro"] if args.mode == "both" else [args.mode]
        cameras = [m for m in CAMERA_MOTIONS if m != "none"] if args.cameras == "all" else (
            [args.cameras] if args.cameras != "none" else ["none"])
        files = []
        for mode in modes:
            for camera in cameras:
                files += [f for f in files_for(mode, camera=camera) if f not in files]
    for entry in files:
        if args.format == "tsv":
            print(f"{entry.folder}\t{entry.name}\t{entry.url}")
        else:
            print(f"{entry.path:75} {entry.size_gb:6.2f} GB  {entry.note}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    _write_text(json.dumps(request_json_schema(), indent=2) + "\n", args.output)
    return 0


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from exc
    print(f"wrote {output}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ltx2", description="Build and run LTX-2 video workflows on ComfyUI.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser("build", help="write a pipeline's ComfyUI API JSON (offline)")
    _add_request_flags(build_cmd)
    build_cmd.add_argument("--format", choices=["api", "comfyscript"], default="api",
                           help="API JSON (default) or a ComfyScript program")
    build_cmd.add_argument("--output", "-o", type=Path, help="file to write (default stdout)")
    build_cmd.set_defaults(func=cmd_build)

    models_cmd = commands.add_parser("models", help="list the model files a set-up needs")
    models_cmd.add_argument("--mode", choices=["fast", "pro", "both"], default="both")
    models_cmd.add_argument("--cameras", choices=["all", *CAMERA_MOTIONS], default="all",
                            help="camera LoRAs to include (default all)")
    models_cmd.add_argument("--all", action="store_true", help="every file the SDK knows")
    models_cmd.add_argument("--format", choices=["table", "tsv"], default="table",
                            help="tsv: folder, file name, URL (for download scripts)")
    models_cmd.set_defaults(func=cmd_models)

    schema_cmd = commands.add_parser("schema", help="print the request's JSON Schema")
    schema_cmd.add_argument("--output", "-o", type=Path)
    schema_cmd.set_defaults(func=cmd_schema)

    _add_server_commands(commands)
    return parser


def _add_server_commands(commands: Any) -> None:
    from .cli_server import add_server_commands

    add_server_commands(commands, _add_request_flags)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except LTX2Error as exc:
        lines = [line.strip(" -") for line in str(exc).splitlines() if line.strip()]
        return _fail("; ".join(lines) or type(exc).__name__, 1)
    except ValueError as exc:  # e.g. a plan that cannot be made (too many frames)
        return _fail(str(exc), 2)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _fail(message: str, code: int) -> int:
    print(f"ltx2: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
