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
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .cli_request import CliError, add_request_flags, request_from_args
from .cli_server import add_server_commands
from .errors import LTX2Error
from .models import CAMERA_MOTIONS
from .releases import bundled_schemas, bundled_versions
from .request import request_json_schema
from .schema import SchemaSet


def _print_plan(plan: Any) -> None:
    print(f"{plan.type} {plan.mode}: {plan.width}x{plan.height}, {plan.frames} frames at "
          f"{plan.fps} fps ({plan.duration:g} s), seed {plan.seed}, camera {plan.camera}",
          file=sys.stderr)
    for note in plan.adjustments:
        print(f"note: {note}", file=sys.stderr)


# --- commands ----------------------------------------------------------------------------------

def _target_schemas(args: argparse.Namespace) -> SchemaSet | None:
    """The schemas ``--object-info FILE`` or ``--comfyui-version V`` name (else the SDK's)."""
    if args.object_info is not None:
        try:
            data = json.loads(args.object_info.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read {args.object_info}: {exc}", 2) from exc
        if not isinstance(data, dict):
            raise CliError(f"{args.object_info} is not an /object_info answer (a JSON object)", 2)
        return SchemaSet.from_object_info(data, comfyui_version=args.comfyui_version)
    if args.comfyui_version is not None:
        try:
            return bundled_schemas(args.comfyui_version)
        except ValueError as exc:
            raise CliError(str(exc), 2) from exc
    return None


def cmd_build(args: argparse.Namespace) -> int:
    from builders import build

    request = request_from_args(args, image_as_data=False)
    result = build(request, schemas=_target_schemas(args))
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
    add_request_flags(build_cmd)
    build_cmd.add_argument("--format", choices=["api", "comfyscript"], default="api",
                           help="API JSON (default) or a ComfyScript program")
    build_cmd.add_argument("--output", "-o", type=Path, help="file to write (default stdout)")
    target = build_cmd.add_argument_group("target server (default: the SDK's own node schemas)")
    target.add_argument("--object-info", type=Path, metavar="FILE",
                        help="build for the server whose GET /object_info answer is in FILE")
    target.add_argument("--comfyui-version", metavar="VERSION",
                        help="build for this ComfyUI release (bundled: "
                             f"{', '.join(bundled_versions())}); with --object-info, only "
                             "names the release in messages")
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

    add_server_commands(commands)
    return parser


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
