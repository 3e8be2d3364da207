"""The ``ltx2`` command line.

    ltx2 build --prompt "a fox in the snow" --mode pro --output fox.json
    ltx2 build --example
    ltx2 build --request job.json --format comfyscript
    ltx2 generate --prompt "..." --server http://127.0.0.1:8188 --output fox.mp4
    COMFY_API_KEY=... ltx2 generate --prompt "..." --server https://cloud.comfy.org
    ltx2 check --server http://127.0.0.1:8188
    ltx2 schema

Every error ends the command with a non-zero exit status and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from builders import build
from builders.catalog import PIPELINES, LoraRole
from ltx2sdk.app.cli import reporting
from ltx2sdk.app.cli.batch_command import add_batch_command
from ltx2sdk.app.cli.completion import add_completion_command
from ltx2sdk.app.cli.config import add_config_flag, apply_config, defer_defaults
from ltx2sdk.app.cli.request_flags import (
    add_request_flags,
    flag_for_field,
    request_from_args,
    without_field,
)
from ltx2sdk.app.cli.server_commands import MODE_CHOICES, add_server_commands
from ltx2sdk.backends.server_urls import connection_failure
from ltx2sdk.errors import CommandLineError, LTX2Error, ServerUnreachableError
from ltx2sdk.graph.releases import bundled_schemas, bundled_versions
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.model_files import CATALOG, camera_lora, lookup
from ltx2sdk.version import __version__
from ltx2sdk.vocabulary import CAMERA_MOTIONS, DEFAULT_MODEL, MODEL_IDS
from ltx2sdk.wording import one_line


def _print_plan(plan: Any) -> None:
    camera = f", camera {plan.camera}" if plan.camera != "none" else ""
    print(f"{plan.model} {plan.type} {plan.mode}: {plan.width}x{plan.height}, "
          f"{plan.frames} frames at {plan.fps} fps ({plan.duration:g} s), seed {plan.seed}"
          f"{camera}", file=sys.stderr)
    for note in plan.adjustments:
        print(f"note: {note}", file=sys.stderr)


# --- commands ----------------------------------------------------------------------------------

def _target_schemas(args: argparse.Namespace) -> SchemaSet | None:
    """The schemas ``--object-info FILE`` or ``--comfyui-version V`` name (else the SDK's)."""
    if args.object_info is not None:
        try:
            data = json.loads(args.object_info.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandLineError(f"--object-info: cannot read {args.object_info} "
                                   f"({exc.strerror or exc})", 2) from exc
        except ValueError as exc:
            raise CommandLineError(f"--object-info: {args.object_info} is not JSON ({exc})",
                                   2) from exc
        if not isinstance(data, dict):
            raise CommandLineError(f"--object-info: {args.object_info} is not an /object_info "
                                   "answer (a JSON object)", 2)

        return SchemaSet.from_object_info(data, comfyui_version=args.comfyui_version)
    if args.comfyui_version is not None:
        try:
            return bundled_schemas(args.comfyui_version)
        except ValueError as exc:
            raise CommandLineError(f"--comfyui-version: {exc}", 2) from exc
    return None


def cmd_build(args: argparse.Namespace) -> int:
    checked = request_from_args(args)  # --image FILE read and checked
    # a local (or base64) audio was measured: an ia2v build lasts as long
    result = build(checked, audio_seconds=args.audio_seconds, schemas=_target_schemas(args))
    if args.format == "comfyscript":
        from ltx2sdk.interop.comfyscript import to_comfyscript  # extra: comfy-script

        text = to_comfyscript(result.graph)
    else:
        text = result.graph.to_json(indent=2) + "\n"
    _print_plan(result.plan)
    if args.json:  # the document carries the graph, unless it goes to a file
        if args.output is not None:
            _write_text(text, args.output)
        reporting.emit_json(args, reporting.build_document(result.plan, args.format, text,
                                                           args.output))
        return 0
    _write_text(text, args.output)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    if args.all:
        files = list(CATALOG)
    else:
        files = []
        for folder, name in set_up_files(args.model, args.mode, args.cameras):
            entry = lookup(folder, name)
            if entry is None:  # the catalog test keeps every declared file in the catalog
                raise CommandLineError(f"models/{folder}/{name} is not in the model catalog")
            if entry not in files:
                files.append(entry)
        if not files:
            raise CommandLineError(f"--mode: {args.model} has no {args.mode} pipelines (ltx2 "
                                   f"models --model {args.model} --mode both lists its files)", 2)
    for entry in files:
        if args.format == "tsv":
            print(f"{entry.folder}\t{entry.name}\t{entry.url}")
        else:
            print(f"{entry.path:75} {entry.size_gb:6.2f} GB  {entry.note}")
    return 0


def set_up_files(model: str, mode: str, cameras: str) -> list[tuple[str, str]]:
    """``(folder, name)`` of every file the pipelines of ``model`` (``"all"``: every model)
    in ``mode`` (or ``"both"``) load, with the camera LoRAs ``cameras`` names (``"all"``,
    ``"none"`` or one motion) where a pipeline applies them; in catalog order."""
    motions = [m for m in CAMERA_MOTIONS if m != "none"] if cameras == "all" else [cameras]
    found: list[tuple[str, str]] = []
    for pipeline in PIPELINES:
        if model not in ("all", pipeline.model.id) or mode not in ("both", pipeline.mode):
            continue
        wanted = list(pipeline.model_files)
        if LoraRole.CAMERA in pipeline.lora_roles:
            wanted += [("loras", name) for m in motions if (name := camera_lora(m))]
        found += [item for item in wanted if item not in found]
    return found


def cmd_schema(args: argparse.Namespace) -> int:
    from ltx2sdk.request import request_json_schema  # start-up: pydantic

    _write_text(json.dumps(request_json_schema(), indent=2) + "\n", args.output)
    return 0


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text)
    except OSError as exc:
        raise CommandLineError(f"cannot write {output}: {exc.strerror}") from exc
    print(f"wrote {output}", file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``ltx2 build: error: argument --mode: ... (see ltx2
    build --help)``, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _VersionAction(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"ltx2 {__version__}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ltx2", description="Build and run LTX-2 video workflows on ComfyUI.",
        epilog="Exit status: 0 done; 1 it failed (on the server, or check found a model not "
               "ready); 2 a flag, request or settings file that cannot be used; 130 "
               "interrupted. Every error is one line on stderr (with --json, also an error "
               "document on stdout). Settings: flags > environment variables (COMFY_URL, "
               "COMFY_API_KEY) > the settings file (--config FILE, else $LTX2_CONFIG, else "
               "~/.config/ltx2/config.toml) > built-in defaults.")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser(
        "build", help="write a pipeline's ComfyUI API JSON (offline)",
        description="Write the request's pipeline as ComfyUI API JSON (or a ComfyScript "
                    "program), offline: nothing is sent anywhere.")
    add_request_flags(build_cmd)
    out = build_cmd.add_argument_group("output")
    out.add_argument("--format", choices=["api", "comfyscript"], default="api",
                     help="API JSON (default) or a ComfyScript program")
    out.add_argument("--output", "-o", type=Path, metavar="FILE",
                     help="file to write (default stdout)")
    target = build_cmd.add_argument_group("target server (default: the SDK's own node schemas)")
    target.add_argument("--object-info", type=Path, metavar="FILE",
                        help="build for the server whose GET /object_info answer is in FILE")
    target.add_argument("--comfyui-version", metavar="VERSION",
                        help="build for this ComfyUI release (bundled: "
                             f"{', '.join(bundled_versions())}); with --object-info, only "
                             "names the release in messages")
    build_cmd.set_defaults(func=cmd_build)

    models_cmd = commands.add_parser("models", help="list the model files a set-up needs")
    models_cmd.add_argument("--model", choices=[*MODEL_IDS, "all"], default=DEFAULT_MODEL,
                            help=f"the model to list files for (default {DEFAULT_MODEL}; "
                                 "all: every model)")
    models_cmd.add_argument("--mode", choices=MODE_CHOICES, default="both",
                            help="the mode(s) to list files for (default both)")
    models_cmd.add_argument("--cameras", choices=["all", *CAMERA_MOTIONS], default="all",
                            help="camera LoRAs to include (default all)")
    models_cmd.add_argument("--all", action="store_true", help="every file the SDK knows")
    models_cmd.add_argument("--format", choices=["table", "tsv"], default="table",
                            help="tsv: folder, file name, URL (for download scripts)")
    models_cmd.set_defaults(func=cmd_models)

    schema_cmd = commands.add_parser("schema", help="print the request's JSON Schema")
    schema_cmd.add_argument("--output", "-o", type=Path, metavar="FILE",
                            help="file to write (default stdout)")
    schema_cmd.set_defaults(func=cmd_schema)

    add_server_commands(commands)
    add_batch_command(commands)
    add_completion_command(commands, parser)
    reporting.add_output_flags(commands)  # --json, --quiet
    add_config_flag(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    deferred = defer_defaults(parser)  # the settings file's flags: left out or given?
    args = reporting.parse_command_line(parser, argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        apply_config(args, deferred)
        with reporting.command_streams(args):  # --quiet, --json
            return func(args)
    except KeyboardInterrupt:
        reporting.print_json_error(args, "interrupted", 130, reporting.INTERRUPTED)
        return _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("LTX2_TRACEBACK"):
            raise
        message, code = describe_error(exc, args)
        reporting.print_json_error(args, one_line(message), code, reporting.error_type(exc))
        return _fail(message, code)


# the module a missing import names -> what to install
_EXTRAS = {
    "comfy_script": "pip install 'ltx2sdk[comfyscript]'",
    "runpod": "pip install 'ltx2sdk[runpod]'",
    "boto3": "pip install 'ltx2sdk[runpod]'",
    "comfy_sdk": "pip install 'ltx2sdk[cloud]'",
    "comfy_low": "pip install 'ltx2sdk[cloud]'",
    "httpx": "pip install 'ltx2sdk[cloud]'",
    "blake3": "pip install 'ltx2sdk[cloud]'",
    "aiohttp": "pip install 'ltx2sdk[dev]'",
    "pytest": "pip install 'ltx2sdk[dev]'",
}
_REPR = re.compile(r"<[\w.]+ object at 0x[0-9A-Fa-f]+>")
_UNREACHABLE = re.compile(r"cannot reach ComfyUI at (\S+?): .*$")


def describe_error(exc: Exception, args: argparse.Namespace) -> tuple[str, int]:
    """One line for any failure, in the CLI's words, and the exit status.

    Request fields are named by the flag that gave them; an HTTP library's class names and
    object reprs are replaced by what happened (``connection refused``)."""

    if isinstance(exc, CommandLineError):
        return _one_line(str(exc)), exc.code
    if isinstance(exc, ModuleNotFoundError):
        module = (exc.name or "").split(".")[0]
        hint = _EXTRAS.get(module, f"pip install {module}" if module else "reinstall ltx2sdk")
        return f"this needs the Python module {module or '?'}, which is not installed: {hint}", 1
    field = getattr(exc, "field", None)  # an input named by its field (image, pipeline)
    if isinstance(exc, ValueError) and isinstance(field, str):  # ImageInputError included
        flag = flag_for_field(args, field)
        return _one_line(f"{flag}: {without_field(str(exc), field)}"), 2
    if isinstance(exc, LTX2Error):
        return _one_line(_plain_connection_error(str(exc), exc)), 1
    if isinstance(exc, ValueError):  # e.g. a plan that cannot be made (too many frames)
        return _one_line(str(exc)), 2
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or _one_line(str(exc))}", 1
    return (f"unexpected failure ({_one_line(str(exc)) or type(exc).__name__}); "
            "LTX2_TRACEBACK=1 shows where"), 1


def _plain_connection_error(message: str, exc: BaseException) -> str:
    """``cannot reach ComfyUI at URL: ConnectionError: HTTPConnectionPool(...)`` as
    ``cannot reach ComfyUI at URL: connection refused``."""
    match = _UNREACHABLE.search(message)
    if match is None or isinstance(exc, ServerUnreachableError):  # already in plain words
        return message

    _, reason = connection_failure(exc)
    return f"{message[:match.start()]}cannot reach ComfyUI at {match.group(1)}: {reason}"


def _one_line(message: str) -> str:
    """:func:`~ltx2sdk.wording.one_line`, and an object's repr said in words."""
    return _REPR.sub("(an object)", one_line(message))


def _fail(message: str, code: int) -> int:
    print(f"ltx2: error: {one_line(message)}", file=sys.stderr)  # it may quote a server
    return code


def run() -> NoReturn:
    """The ``ltx2`` console command: :func:`main` in a process of its own.

    The command validates one request with pydantic; pydantic's plugin discovery (every
    installed distribution's entry points, a tenth of a ``build``'s time) is skipped in this
    process unless ``PYDANTIC_DISABLE_PLUGINS`` is set otherwise. Code that imports ltx2sdk
    is not affected. The process ends with :func:`os._exit` once the command has finished
    and its output is flushed.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = main()
    # the command's work is done and its files closed: skip the interpreter's teardown of
    # every loaded module (a fifth of a `build` with pydantic loaded), flushing what is left
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
