"""What the ``ltx2`` commands print for scripts: ``--json`` and ``--quiet``.

The contract, for every command that has the flags:

- ``--json`` (``build``, ``generate``, ``check``, ``run``): stdout carries exactly one JSON
  document, on one line: the command's result, with what its human summary says (the shapes are
  :func:`build_document`, :func:`generate_document` and :func:`check_document`, and the
  README's). What the command prints for people goes to stderr instead.
- A failure, with ``--json`` (any command that has it, usage errors included): stdout
  carries ``{"error": {"message": ..., "code": EXIT_STATUS, "type": ...}}``
  (:func:`error_document`); stderr the usual one line. ``batch``, whose JSON lines are told
  apart by their ``"type"``, gives that line ``"type": "error"`` too.
- ``--quiet`` / ``-q`` (every command): stderr carries errors only; progress, notes, the plan
  and "waiting for" lines are dropped. stdout (the result: a video's path, a graph, a JSON
  document) is unchanged.

Both are done by the streams a command runs with (:func:`command_streams`), not by each
``print``: a line a command adds later is routed the same way.

Import rule: part of the ``ltx2`` command (see :mod:`ltx2sdk.app.cli`); the standard
library only, so that every command starts as fast as before.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, TextIO, cast

__all__ = ["ONE_DOCUMENT_COMMANDS", "add_output_flags", "build_document", "check_document",
           "command_streams", "emit_json", "error_document", "error_type", "generate_document",
           "parse_command_line", "plan_document", "print_json_error"]

ONE_DOCUMENT_COMMANDS = ("build", "generate", "check", "pipelines", "run")
"""The commands whose ``--json`` prints one document (batch prints JSON lines its own way)."""

USAGE_ERROR = "UsageError"  # the "type" of a flag argparse refused
INTERRUPTED = "Interrupted"  # the "type" after Ctrl-C
TERMINATED = "Terminated"  # the "type" after SIGTERM


def add_output_flags(commands: Any) -> None:
    """``--quiet`` on every command of ``commands`` (the ``ltx2`` subparsers), ``--json`` on
    :data:`ONE_DOCUMENT_COMMANDS`; in a group of their own at the end of each help."""
    for name, parser in commands.choices.items():
        group = parser.add_argument_group("for scripts")
        if name in ONE_DOCUMENT_COMMANDS:
            group.add_argument("--json", action="store_true",
                               help="print one JSON document on stdout (errors too); what "
                                    "the command says for people goes to stderr")
        group.add_argument("--quiet", "-q", action="store_true",
                           help="print no progress or notes on stderr, errors only")


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def parse_command_line(parser: argparse.ArgumentParser,
                       argv: Sequence[str] | None) -> argparse.Namespace:
    """``parser.parse_args(argv)``; when ``--json`` is among the words, a usage error is also
    an :func:`error_document` on stdout (the one line on stderr stays as it was)."""
    words = sys.argv[1:] if argv is None else list(argv)
    if "--json" not in words:
        return parser.parse_args(words)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return parser.parse_args(words)
    except SystemExit as exc:
        text = said.getvalue()
        if exc.code not in (0, None):
            line = text.strip().splitlines()[-1] if text.strip() else "invalid arguments"
            message = line.split(": error: ", 1)[-1]
            code = exc.code if isinstance(exc.code, int) else 2
            command = next((word for word in words if not word.startswith("-")), None)
            emit_line(sys.stdout, error_document(message, code, USAGE_ERROR, command))
        raise
    finally:
        sys.stderr.write(said.getvalue())  # what argparse said, where it says it


class _Discard(io.TextIOBase):
    """A text stream that keeps nothing (``--quiet``'s stderr); never a terminal."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def command_streams(args: argparse.Namespace) -> Iterator[None]:
    """The streams a command runs with: with ``--quiet`` stderr keeps nothing; with ``--json``
    (a :data:`ONE_DOCUMENT_COMMANDS` command) stdout is what stderr is, and the document goes
    to the stdout of before (:func:`emit_json`). Restored on the way out, so the error line
    printed after a failure reaches the real stderr."""
    people = cast(TextIO, _Discard()) if getattr(args, "quiet", False) else sys.stderr
    one_document = wants_json(args) and getattr(args, "command", None) in ONE_DOCUMENT_COMMANDS
    args.json_stream = sys.stdout
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stderr(people))
        if one_document:
            stack.enter_context(contextlib.redirect_stdout(people))
        yield


def emit_line(stream: TextIO, document: dict[str, Any]) -> None:
    """``document`` on one line of ``stream``, flushed: every JSON line the CLI prints is
    written here, in one style (compact, ASCII), so that a batch's lines and its final error
    look alike."""
    # ASCII: what a server sent cannot steer a terminal; an object JSON lacks (a path) as text
    stream.write(json.dumps(document, ensure_ascii=True, default=str, separators=(",", ":"))
                 + "\n")
    stream.flush()


def emit_json(args: argparse.Namespace, document: dict[str, Any]) -> None:
    """Print ``document`` as the command's one JSON line on the stdout it was started with."""
    emit_line(getattr(args, "json_stream", None) or sys.stdout, document)


def error_document(message: str, code: int, kind: str,
                   command: str | None = None) -> dict[str, Any]:
    """``{"error": {"message", "code", "type"}}``: the one line (without ``ltx2: error:``),
    the exit status, and the exception's class name (``UsageError`` for a flag argparse
    refused, ``Interrupted`` after Ctrl-C). For a ``command`` that prints JSON lines
    (``batch``), the line's own ``"type": "error"`` comes first, as its other lines have
    one."""
    error = {"error": {"message": message, "code": code, "type": kind}}
    if command and command not in ONE_DOCUMENT_COMMANDS:
        return {"type": "error", **error}
    return error


def error_type(exc: BaseException) -> str:
    """The ``"type"`` of a failure: its exception's class name, or when the command's own
    refusal (``CommandLineError``) rewords another exception, that one's
    (``ServerUnavailableError`` for a server that was not there, not ``CommandLineError``)."""
    while type(exc).__name__ == "CommandLineError" and isinstance(exc.__cause__, Exception):
        exc = exc.__cause__
    return type(exc).__name__


def print_json_error(args: argparse.Namespace, message: str, code: int, kind: str) -> None:
    """With ``--json``, the failure as an :func:`error_document` on stdout."""
    if wants_json(args):
        emit_json(args, error_document(message, code, kind, getattr(args, "command", None)))


# --- documents --------------------------------------------------------------------------------

def plan_document(*, model: str, type: str, mode: str, width: int, height: int, frames: int,
                  fps: int, duration: float, seed: int | None,
                  adjustments: Sequence[str],
                  input_video: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What will be (or was) made, with the same keys for ``build`` and ``generate``
    (``seed`` None: a dry run's, chosen when the job runs). ``input_video``: how a control
    video maps to the output (:meth:`builders.plan.InputVideoMap.as_dict`; null when the
    pipeline takes none)."""
    return {"model": model, "type": type, "mode": mode, "width": width, "height": height,
            "frames": frames, "fps": fps, "duration": round(duration, 3), "seed": seed,
            "adjustments": list(adjustments),
            "input_video": dict(input_video) if input_video is not None else None}


def _input_video(plan: Any) -> dict[str, Any] | None:
    """A plan's control video mapping as JSON (None: it takes no video)."""
    found = getattr(plan, "input_video", None)
    return None if found is None else dict(found.as_dict())


def build_document(plan: Any, output_format: str, text: str,
                   output: Path | None) -> dict[str, Any]:
    """``ltx2 build --json``: ``{"plan", "format", ...}`` and the graph (``"graph"``: the API
    JSON as an object; ``"workflow"``: the editor workflow as an object; ``"program"``: a
    ComfyScript program's text), or with ``--output`` the file written instead
    (``"output"``)."""
    document: dict[str, Any] = {
        "plan": plan_document(model=plan.model, type=plan.type, mode=plan.mode,
                              width=plan.width, height=plan.height, frames=plan.frames,
                              fps=plan.fps, duration=plan.duration, seed=plan.seed,
                              adjustments=plan.adjustments,
                              input_video=_input_video(plan)),
        "format": output_format}
    if output is not None:
        document["output"] = str(output)
    elif output_format == "api":
        document["graph"] = json.loads(text)
    elif output_format == "ui":
        document["workflow"] = json.loads(text)
    else:
        document["program"] = text
    return document


def generate_document(result: Any, *, model: str, server: str, api: str,
                      seconds: float) -> dict[str, Any]:
    """``ltx2 generate --json``: the video (``"video"``, its ``"bytes"``, the path of every
    file made in ``"outputs"``), the ``"plan"`` it was made by, the ``"server"`` (URL and API), the
    server's ``"prompt_id"``, and ``"timings"`` (the SDK's steps and the command's
    ``"total"``, in seconds)."""
    return {
        "video": str(result.video),
        "bytes": result.video.stat().st_size,
        "outputs": [str(path) for path in result.outputs.values()],
        "plan": plan_document(model=model, type=result.type, mode=result.mode,
                              width=result.width, height=result.height, frames=result.frames,
                              fps=result.fps, duration=result.duration, seed=result.seed,
                              adjustments=result.adjustments,
                              input_video=getattr(result, "input_video", None)),
        "server": {"url": server, "api": api},
        "prompt_id": result.prompt_id,
        "timings": {**{k: round(v, 3) for k, v in result.timings.items()},
                    "total": round(seconds, 3)},
    }


def check_document(reports: Sequence[Any], *, server: str, comfyui_version: str | None,
                   status: str, required: Sequence[str], modes: Sequence[str],
                   ready: bool, loras: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """``ltx2 check --json``: the ``"server"`` (URL, ComfyUI version, how it stands against
    the tested range), the ``"modes"`` checked, ``"required"`` (the models the exit status
    is about), ``"ready"`` (status 0), the user's ``"loras"`` checked (``name``,
    ``strength``, ``present``: true, false, or null when the server was not asked), and per
    model its report: ``"ready"``, the ``"pipelines"`` checked and what it lacks
    (``"missing_models"`` as ``folder``/``name`` objects)."""
    models = []
    for report in reports:
        entry = (asdict(report) if is_dataclass(report) and not isinstance(report, type)
                 else dict(vars(report)))
        if "missing_models" in entry:
            entry["missing_models"] = [{"folder": folder, "name": name}
                                       for folder, name in entry["missing_models"]]
        entry["ready"] = bool(report.ready)
        models.append(entry)
    return {"server": {"url": server, "comfyui_version": comfyui_version, "status": status},
            "modes": list(modes), "required": list(required), "ready": ready,
            "loras": [dict(lora) for lora in loras], "models": models}
