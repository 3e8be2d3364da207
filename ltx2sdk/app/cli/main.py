"""The ``ltx2`` command line.

    ltx2 build --prompt "a fox in the snow" --mode pro --output fox.json
    ltx2 build --example
    ltx2 build --request job.json --format comfyscript
    ltx2 build --example --format ui -o example-ui.json
    ltx2 generate --prompt "..." --server http://127.0.0.1:8188 --output fox.mp4
    COMFY_API_KEY=... ltx2 generate --prompt "..." --server https://cloud.comfy.org
    ltx2 check --server http://127.0.0.1:8188
    ltx2 schema

Every error ends the command with a non-zero exit status and one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from builders import build
from builders.catalog import PIPELINES, LoraRole, Pipeline, ltx2_5_api
from builders.catalog.ltx2_5_api import PartnerPipeline
from builders.pipelines import (
    PLACEHOLDER_AUDIO,
    PLACEHOLDER_IMAGE,
    PLACEHOLDER_LAST_IMAGE,
    PLACEHOLDER_VIDEO,
)
from ltx2sdk.app.cli import reporting
from ltx2sdk.app.cli.batch_command import add_batch_command
from ltx2sdk.app.cli.completion import add_completion_command
from ltx2sdk.app.cli.config import add_config_flag, apply_config, defer_defaults
from ltx2sdk.app.cli.output_files import checked_output_file, output_file, write_output
from ltx2sdk.app.cli.request_flags import (
    add_request_flags,
    first_frame_strengths,
    flag_for_field,
    read_capped,
    request_from_args,
    without_field,
)
from ltx2sdk.app.cli.server_commands import MODE_CHOICES, add_server_commands, print_plan
from ltx2sdk.backends.server_urls import connection_failure
from ltx2sdk.errors import (
    CommandLineError,
    IncompatibleServerError,
    LTX2Error,
    ReleaseVersionError,
    ServerUnreachableError,
)
from ltx2sdk.graph.releases import (
    bundled_schemas,
    bundled_versions,
    nearest_bundled,
    parse_release,
)
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.model_files import CATALOG, camera_lora, lookup
from ltx2sdk.version import __version__
from ltx2sdk.vocabulary import (
    AUDIO,
    BOTH_MODES,
    CAMERA_MOTIONS,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    INPUT_FILES,
    LAST_IMAGE,
    MODEL_IDS,
    VIDEO,
)
from ltx2sdk.wording import nearest, one_line

# --- commands ----------------------------------------------------------------------------------

MAX_OBJECT_INFO_BYTES = 256 << 20  # as the client reads /object_info from a server


def _target_schemas(args: argparse.Namespace) -> SchemaSet | None:
    """The schemas ``--object-info FILE`` or ``--comfyui-version V`` name (else the SDK's)."""
    if args.object_info is not None:
        try:
            # a regular file only, read up to the cap (a FIFO would be waited on forever)
            text = read_capped(args.object_info, MAX_OBJECT_INFO_BYTES,
                               f"--object-info {args.object_info}")
            data = json.loads(text.decode("utf-8-sig"))  # BOM too
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
            release = nearest_bundled(args.comfyui_version)
        except ValueError as exc:
            raise CommandLineError(f"--comfyui-version: {exc}", 2) from exc
        if parse_release(release) != parse_release(args.comfyui_version):  # 0.26, v0.26.0
            print(f"note: ComfyUI {args.comfyui_version} is not bundled; building for "
                  f"{release}, the nearest bundled release below it", file=sys.stderr)
        return bundled_schemas(release)
    return None


def cmd_build(args: argparse.Namespace) -> int:
    if args.output is not None:  # refused before the inputs are read and the graph built
        # (creating no folder: write_output makes it when there is a graph to write)
        checked_output_file(args.output, overwrite=args.overwrite, create=False)
    checked = request_from_args(args)  # --image FILE read and checked
    # a local (or base64) audio was measured: an ia2v build lasts as long; a video's frames
    # and frame rate, measured, plan the part of it used
    try:
        result = build(checked, audio_seconds=args.audio_seconds,
                       video=args.input_data.get(VIDEO), schemas=_target_schemas(args))
    except IncompatibleServerError as exc:  # offline, nothing ran: flags that do not fit
        raise CommandLineError(str(exc), 2) from exc
    if args.format == "comfyscript":
        from ltx2sdk.interop.comfyscript import to_comfyscript  # extra: comfy-script

        text = to_comfyscript(result.graph)
    elif args.format == "ui":
        text = json.dumps(result.to_ui(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = result.graph.to_json(indent=2) + "\n"
    print_plan(result.plan, args=args)
    print_input_notes(checked.request, args)
    if args.json:  # the document carries the graph, unless it goes to a file
        if args.output is not None:
            write_output(text, args.output, overwrite=args.overwrite)
        reporting.emit_json(args, reporting.build_document(result.plan, args.format, text,
                                                           args.output))
        return 0
    write_output(text, args.output, overwrite=args.overwrite)
    return 0


def print_input_notes(request: Any, args: argparse.Namespace) -> None:
    """What an offline graph's input files need, on stderr: a URL or base64 input is named
    by a placeholder (generate uploads the real file); a local file by its name, which
    ComfyUI loads from its ``input/`` folder."""
    placeholders = {FIRST_IMAGE: PLACEHOLDER_IMAGE, LAST_IMAGE: PLACEHOLDER_LAST_IMAGE,
                    AUDIO: PLACEHOLDER_AUDIO, VIDEO: PLACEHOLDER_VIDEO}
    for which in INPUT_FILES:
        name = getattr(request, which.file)
        flag = flag_for_field(args, which.file)
        if name is not None:
            print(f"note: the graph loads {name!r} ({flag}) from ComfyUI's input/ folder: "
                  "copy the file there before queuing it (ltx2 generate uploads it itself)",
                  file=sys.stderr)
            continue
        given = next((f for f in (which.url, which.base64) if getattr(request, f)), None)
        if given is not None:
            print(f"note: the graph names a placeholder, {placeholders[which]}, for the "
                  f"{which.noun} ({flag_for_field(args, given)}): put the file in ComfyUI's "
                  "input/ folder under that name, or run ltx2 generate, which uploads the real "
                  "one", file=sys.stderr)


def cmd_models(args: argparse.Namespace) -> int:
    if args.pipelines:
        print_pipelines(args.model)
        return 0
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
        if args.model == ltx2_5_api.LTX2_5_API.id:  # hosted: nothing to download
            if args.format != "tsv":
                print(f"{args.model} loads no model files: it runs on Lightricks' servers "
                      "through ComfyUI's partner nodes (it needs a Comfy account key: "
                      "COMFY_API_KEY or --api-key)")
            return 0
        if not files:
            raise CommandLineError(f"--mode: {args.model} has no {args.mode} pipelines (ltx2 "
                                   f"models --model {args.model} --mode both lists its files)", 2)
    if args.format == "tsv":  # for download scripts: rows only
        for entry in files:
            print(f"{entry.folder}\t{entry.name}\t{entry.url}")
        return 0
    rows = [(entry.path, f"{entry.size_gb:.2f} GB", entry.note) for entry in files]
    total = sum(entry.size_gb for entry in files)
    print_table(("FILE", "SIZE", "NOTE"), rows, right={1})
    print(f"total: {len(files)} file{'s' if len(files) != 1 else ''}, {total:.2f} GB")
    return 0


def print_pipelines(model: str) -> None:
    """``ltx2 models --pipelines``: what each model can make (type, mode) and how: its
    stages, frame rate, size multiple, first-frame strength and the ComfyUI release it
    needs, from the catalog."""
    strengths = first_frame_strengths()
    rows = [(p.model.id, str(p.type), str(p.mode), str(len(p.stages)), str(p.fps),
             str(p.size_multiple),
             f"{strengths[p.key]:g}" if p.key in strengths else "-", p.min_comfyui)
            for p in PIPELINES if model in ("all", p.model.id)]
    # the hosted ones (a partner node: no stages, no files), as ltx2 pipelines lists them
    hosted = [p for p in ltx2_5_api.PIPELINES if model in ("all", p.model.id)]
    rows += [(p.model.id, str(p.type), str(p.mode), "hosted", str(p.fps), "-", "-",
              p.min_comfyui) for p in hosted]
    print_table(("MODEL", "TYPE", "MODE", "STAGES", "FPS", "SIZE MULTIPLE", "IMAGE STRENGTH",
                 "COMFYUI"), rows, right={3, 4, 5, 6})
    for model_id in dict.fromkeys(p.model.id for p in hosted):
        print(f"\n{model_id} loads no model files: it runs on Lightricks' servers through "
              "ComfyUI's partner nodes (it needs a Comfy account key: COMFY_API_KEY or "
              "--api-key)")


def cmd_pipelines(args: argparse.Namespace) -> int:
    """``ltx2 pipelines``: every pipeline, the templates it computes, and those none does."""
    from builders.catalog.templates import NOT_YET, templates_of  # start-up: their prompts
    # those made from model files, then the hosted ones (a partner node: no stages here)
    chosen: list[Pipeline | PartnerPipeline] = [
        p for p in (*PIPELINES, *ltx2_5_api.PIPELINES) if args.model in ("all", p.model.id)]

    def stages(p: Pipeline | PartnerPipeline) -> int | None:
        return None if isinstance(p, PartnerPipeline) else len(p.stages)

    if args.json:
        reporting.emit_json(args, {
            "pipelines": [{
                "model": p.model.id, "type": str(p.type), "mode": str(p.mode),
                "stages": stages(p), "fps": p.fps,
                "size_multiple": None if isinstance(p, PartnerPipeline) else p.size_multiple,
                "hosted": isinstance(p, PartnerPipeline),
                "min_comfyui": p.min_comfyui,
                "templates": [{"name": t.name, "title": t.title, "variant": t.variant,
                               "min_comfyui": t.min_comfyui,
                               "loras": [{"name": lora.name, "strength": lora.strength}
                                         for lora in t.loras]}
                              for t in templates_of(p.key)]} for p in chosen],
            "not_yet": dict(NOT_YET) if args.model == "all" else {}})
        return 0

    def named(p: Pipeline | PartnerPipeline) -> str:
        names = [t.name + (" (+ LoRA)" if t.loras else "") for t in templates_of(p.key)]
        return ", ".join(names) or "-"

    rows = [(p.model.id, str(p.type), str(p.mode), str(stages(p) or "hosted"), str(p.fps),
             p.min_comfyui, named(p)) for p in chosen]
    print_table(("MODEL", "TYPE", "MODE", "STAGES", "FPS", "COMFYUI", "TEMPLATES"), rows,
                right={3, 4})
    if args.model == "all" and not args.quiet and NOT_YET:  # (none left: nothing to say)
        print(f"\nofficial templates no pipeline makes yet ({len(NOT_YET)}):")
        for name, why in NOT_YET.items():
            print(f"  {name}: {why}")
    return 0


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], *,
                right: frozenset[int] | set[int] = frozenset()) -> None:
    """Rows in columns as wide as their longest cell (header included), two spaces apart;
    columns ``right`` right-aligned (numbers), the last column never padded."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.rjust(width) if i in right else cell.ljust(width)
                  for i, (cell, width) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join([*padded[:-1], cells[-1]]).rstrip()

    print(line(header))
    for row in rows:
        print(line(row))


def set_up_files(model: str, mode: str, cameras: str) -> list[tuple[str, str]]:
    """``(folder, name)`` of every file the pipelines of ``model`` (``"all"``: every model)
    in ``mode`` (or ``"both"``: :data:`~ltx2sdk.vocabulary.BOTH_MODES`) load, with the camera
    LoRAs ``cameras`` names (``"all"``, ``"none"`` or one motion) where a pipeline applies
    them; in catalog order."""
    motions = [m for m in CAMERA_MOTIONS if m != "none"] if cameras == "all" else [cameras]
    found: list[tuple[str, str]] = []
    for pipeline in PIPELINES:
        modes = BOTH_MODES if mode == "both" else (mode,)
        if model not in ("all", pipeline.model.id) or pipeline.mode not in modes:
            continue
        wanted = list(pipeline.model_files)
        if LoraRole.CAMERA in pipeline.lora_roles:
            wanted += [("loras", name) for m in motions if (name := camera_lora(m))]
        found += [item for item in wanted if item not in found]
    return found


def cmd_schema(args: argparse.Namespace) -> int:
    from ltx2sdk.request import request_json_schema  # start-up: pydantic

    if args.output is not None:  # (the folder made by write_output, with the file)
        checked_output_file(args.output, overwrite=args.overwrite, create=False)
    write_output(json.dumps(request_json_schema(), indent=2) + "\n", args.output,
                 overwrite=args.overwrite)
    return 0


_INVALID_CHOICE = re.compile(r"invalid choice: '?([^']*?)'? \(choose from (.*)\)$")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``ltx2 build: error: argument --mode: ... (see ltx2
    build --help)``, without the usage block. Flags are never abbreviated (``--dur 5`` is an
    unknown flag, not ``--duration``): a script keeps working when a flag is added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False  # subcommands' parsers are made by this class too
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """Arguments a (sub)command does not know are said by its own parser
        (:meth:`unknown`), not as the top-level parser's "unrecognized arguments"."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            _subcommand_parser(self, parsed).unknown(extra)
        return parsed

    def error(self, message: str) -> NoReturn:
        choice = _INVALID_CHOICE.search(message)
        if choice is not None:  # a typo'd command or value: the nearest choice
            listed = choice.group(2)  # quoted or not, by Python version
            given = choice.group(1)
            choices = re.findall(r"'([^']*)'", listed) or [c.strip() for c in listed.split(",")]
            near = nearest(given, choices)  # only a close one: 'ultra' is no 'lora'
            if near:
                message += f"; did you mean {near}?"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def unknown(self, extra: list[str]) -> NoReturn:
        """The error for arguments this (sub)command does not know: the first unknown flag,
        with the nearest of its own flags (``unknown flag --promt; did you mean
        --prompt?``), or the first stray argument."""
        flag = next((word for word in extra if word.startswith("-")), None)
        if flag is None:
            self.error(f"unexpected argument {extra[0]!r}")
        name = flag.split("=", 1)[0]
        known = [option for action in self._actions for option in action.option_strings
                 if option.startswith("--")]
        # an abbreviation names the one flag it starts; a typo the nearest by spelling
        starts = [option for option in known if option.startswith(name)]
        near = starts if len(starts) == 1 else [
            f"--{word}" for word in difflib.get_close_matches(
                name.lstrip("-"), [option[2:] for option in known], n=1, cutoff=0.7)]
        hint = f"; did you mean {near[0]}?" if near else ""
        self.error(f"unknown flag {name}{hint}")


def _release(text: str) -> str:
    """``--comfyui-version``: a release written as one (0.26, 0.26.0, v0.26.0), as given."""
    try:
        parse_release(text)
    except ReleaseVersionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


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
               "interrupted (Ctrl-C); 141 stdout was closed (| head); 143 terminated "
               "(SIGTERM: timeout, kill, docker stop, a cancelled CI job; handled as Ctrl-C "
               "is). Every error is one line on stderr (with --json, also an error document "
               "on stdout). Settings: flags > environment variables (COMFY_URL, "
               "COMFY_API_KEY) > the settings file (--config FILE, else $LTX2_CONFIG, else "
               "~/.config/ltx2/config.toml) > built-in defaults.")
    parser.add_argument("--version", "-V", action=_VersionAction,
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser(
        "build", help="write a pipeline's ComfyUI API JSON or editor workflow (offline)",
        description="Write the request's pipeline as ComfyUI API JSON (or a workflow for "
                    "ComfyUI's editor, or a ComfyScript program), offline: nothing is sent "
                    "anywhere.")
    add_request_flags(build_cmd)
    out = build_cmd.add_argument_group("output")
    out.add_argument("--format", choices=["api", "ui", "comfyscript"], default="api",
                     help="API JSON (default), ui: a workflow for ComfyUI's editor (drag the "
                          "file into it: laid out, grouped by stage), or a ComfyScript program")
    add_output_file_flags(out)
    target = build_cmd.add_argument_group("target server (default: the SDK's own node schemas)")
    target.add_argument("--object-info", type=Path, metavar="FILE",
                        help="build for the server whose GET /object_info answer is in FILE")
    target.add_argument("--comfyui-version", metavar="VERSION", type=_release,
                        help="build for this ComfyUI release (bundled: "
                             f"{', '.join(bundled_versions())}; another builds for the "
                             "nearest bundled one below it); with --object-info, only names "
                             "the release in messages")
    build_cmd.set_defaults(func=cmd_build)

    models_cmd = commands.add_parser(
        "models", help="list the model files a set-up needs",
        description="List the model files the pipelines of a model and mode load, where each "
                    "goes under ComfyUI's folder, its size and the total (--format tsv adds the "
                    "download URL, for scripts); --pipelines lists what each model can make.")
    models_cmd.add_argument("--model", choices=[*MODEL_IDS, "all"], default=DEFAULT_MODEL,
                            help=f"the model to list files for (default {DEFAULT_MODEL}; "
                                 "all: every model)")
    models_cmd.add_argument("--pipelines", action="store_true",
                            help="list the pipelines of --model instead (type, mode, stages, "
                                 "frame rate, size multiple, ComfyUI release needed)")
    models_cmd.add_argument("--mode", choices=MODE_CHOICES, default="both",
                            help="the mode(s) to list files for (default both: fast and "
                                 "pro)")
    models_cmd.add_argument("--cameras", choices=["all", *CAMERA_MOTIONS], default="all",
                            help="camera LoRAs to include (default all)")
    models_cmd.add_argument("--all", action="store_true", help="every file the SDK knows")
    models_cmd.add_argument("--format", choices=["table", "tsv"], default="table",
                            help="tsv: folder, file name, URL (for download scripts)")
    models_cmd.set_defaults(func=cmd_models)

    pipelines_cmd = commands.add_parser(
        "pipelines", help="list every pipeline and the official templates it computes",
        description="List every pipeline (model, type, mode), its stages, frame rate, the "
                    "ComfyUI release it needs and the official ComfyUI templates it computes "
                    "(ltx2 build --template NAME builds one offline), then the official "
                    "LTX-2 templates no pipeline makes yet, if any.")
    pipelines_cmd.add_argument("--model", choices=[*MODEL_IDS, "all"], default="all",
                               help="list this model's pipelines only (default all)")
    pipelines_cmd.set_defaults(func=cmd_pipelines)

    schema_cmd = commands.add_parser(
        "schema", help="print the request's JSON Schema",
        description="Print the JSON Schema of a request (the fields of ltx2 build --request "
                    "FILE.json, a batch line and the RunPod worker's input), offline.")
    add_output_file_flags(schema_cmd)
    schema_cmd.set_defaults(func=cmd_schema)

    add_server_commands(commands)
    add_batch_command(commands)
    add_completion_command(commands, parser)
    reporting.add_output_flags(commands)  # --json, --quiet
    add_config_flag(commands)
    return parser


def add_output_file_flags(parser: Any) -> None:
    """``--output FILE`` and ``--overwrite``, as ``build`` and ``schema`` have them."""
    parser.add_argument("--output", "-o", type=output_file, metavar="FILE",
                        help="file to write (default stdout); an existing file is refused "
                             "unless --overwrite")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the file --output names if it exists")


def _subcommand_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> _Parser:
    """The parser of the subcommand ``args`` ran (the top-level one if none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(getattr(args, "command", None) or "")
            if isinstance(found, _Parser):
                return found
    assert isinstance(parser, _Parser)
    return parser


INTERRUPTED_EXIT = 130  # 128 + SIGINT: Ctrl-C
TERMINATED_EXIT = 143  # 128 + SIGTERM: timeout, kill, docker stop, a CI job cancelled


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[Callable[[], bool]]:
    """While the command runs, SIGTERM does what Ctrl-C does: a ``KeyboardInterrupt``
    where the command is, so a running prompt is interrupted on its server and a batch
    records its cancelled jobs, instead of the process vanishing with its work left running.
    Yields whether a SIGTERM came. The handler is the command's, not the library's: it is
    installed here (the main thread only) and the one before it put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False  # only the main thread may set a handler
        return
    received = threading.Event()

    def on_sigterm(signum: int, frame: object) -> None:
        received.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield received.is_set
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` (default: the process's arguments) and return its exit
    status. No arguments at all: the help on stderr and status 2, as git does."""
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else list(argv)):
        parser.print_help(sys.stderr)
        return 2
    deferred = defer_defaults(parser)  # the settings file's flags: left out or given?
    args = reporting.parse_command_line(parser, argv)
    func: Callable[[argparse.Namespace], int] = args.func
    with _terminate_as_interrupt() as terminated:
        try:
            return _run_command(func, args, deferred, terminated)
        except KeyboardInterrupt:  # (a SIGTERM in the last instants of the command)
            return _interrupted(args, terminated())


def _run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace,
                 deferred: Any, terminated: Callable[[], bool]) -> int:
    """Run the command ``args`` names: its exit status, or the failure's (one line)."""
    try:
        # before the settings file fills in what the command line left out
        args.output_dir_given = isinstance(getattr(args, "output_dir", None), Path)
        apply_config(args, deferred)
        with reporting.command_streams(args):  # --quiet, --json
            code = func(args)
        # a command that handled the interrupt itself (batch: its summary) says 130
        return TERMINATED_EXIT if code == INTERRUPTED_EXIT and terminated() else code
    except KeyboardInterrupt:
        return _interrupted(args, terminated())
    except BrokenPipeError:  # the reader went away (| head): nothing is left to say
        return stdout_closed()
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


def _interrupted(args: argparse.Namespace, terminated: bool) -> int:
    """The end of a command stopped by Ctrl-C (130) or SIGTERM (143), said on one line."""
    if terminated:
        reporting.print_json_error(args, "terminated", TERMINATED_EXIT, reporting.TERMINATED)
        return _fail("terminated (SIGTERM)", TERMINATED_EXIT)
    reporting.print_json_error(args, "interrupted", INTERRUPTED_EXIT, reporting.INTERRUPTED)
    return _fail("interrupted", INTERRUPTED_EXIT)


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


def stdout_closed() -> int:
    """The exit status after stdout's reader has gone (``ltx2 models | head -1``): 141
    (128 + SIGPIPE, what a shell reports for a command a pipe ended), with stdout pointed at
    the null device so that the interpreter's last flush cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured stream)
        pass
    return 141


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
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # what was buffered had no reader left
        code = stdout_closed()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
