"""``ltx2 generate`` and ``ltx2 check``: the commands that talk to a ComfyUI server."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from builders import CheckedRequest, build, check_request
from builders.catalog import PIPELINES, ltx2_5_api
from ltx2sdk.app.cli import reporting
from ltx2sdk.app.cli.config import API_KEY_ENV
from ltx2sdk.app.cli.output_files import (
    checked_output_file,
    checked_output_folder,
    output_folder,
    video_file,
)
from ltx2sdk.app.cli.request_flags import (
    FlagSources,
    add_request_flags,
    describe_for_cli,
    lora_choice,
    note_for_cli,
    read_capped,
    request_from_args,
)
from ltx2sdk.backends.server_urls import (
    DEFAULT_READY_TIMEOUT,
    REFUSED_GRACE,
    UNKNOWN_HOST,
    normalize_server_url,
)
from ltx2sdk.errors import (
    CommandLineError,
    GraphError,
    IncompatibleServerError,
    JobTimeoutError,
    RequestError,
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
    ServerUrlError,
)
from ltx2sdk.graph.releases import first_release_with, range_status
from ltx2sdk.model_files import lookup
from ltx2sdk.vocabulary import (
    AUDIO,
    BOTH_MODES,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    LAST_IMAGE,
    MODEL_IDS,
    MODES,
    VIDEO,
    number_from_text,
)
from ltx2sdk.wording import byte_size, escaped, one_line

if TYPE_CHECKING:  # only generate needs the progress machinery: build starts faster
    from ltx2sdk.app.progress import ProgressUpdate
    from ltx2sdk.backends.comfyui.partner_api import PartnerReach

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
CHECK_VIDEO = "ltx2sdk_check.mp4"  # and for the video steering canny2v and depth2v
CHECK_UPLOADS = (CHECK_IMAGE, CHECK_LAST_IMAGE, CHECK_AUDIO, CHECK_VIDEO)


BAR_WIDTH = 20  # generate's progress bar, on a terminal wide enough for it
QUARTERS = 4  # a log gets a sampler's first step, each quarter of its steps, and its last
LOG_INTERVAL = 30.0  # seconds: and a line at least this often while events come


class ProgressPrinter:
    """``ltx2 generate``'s progress on ``stream``. Each update says where the run is
    (percent, stage, step n/m), then its pace (the ETA of the run, the time elapsed, the
    sampler's steps per second: see :class:`~ltx2sdk.app.progress.ProgressUpdate`).

    On a terminal (``interactive``, default ``stream.isatty()``) one line is redrawn, fitted
    to the terminal's width: the rate goes first, then the bar narrows ("ETA after the
    first steps" becomes "ETA ?"), the stage name is shortened, the bar goes, then elapsed,
    and last the stage name; percent, step and ETA stay.
    Elsewhere (a log), a line for the start and the end, for each sampler's first step, each
    quarter of its steps and its last, and for anything else only when no line came for
    ``min_interval`` seconds (of the run's own elapsed time): a few lines per stage.
    """

    def __init__(self, stream: TextIO, *, interactive: bool | None = None,
                 min_interval: float = LOG_INTERVAL) -> None:
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self.min_interval = min_interval
        self._last_time: float | None = None
        self._last_quarter: tuple[str, int] = ("", -1)  # the sampler and quarter last logged

    def __call__(self, update: ProgressUpdate) -> None:
        if self.interactive:
            # one terminal line, never wrapped: a wrapped line is not redrawn by "\r"
            columns = shutil.get_terminal_size((100, 24)).columns - 1
            self.stream.write("\r" + progress_line(update, columns).ljust(columns))
            if update.done:
                self.stream.write("\n")
            self.stream.flush()
            return
        if self._worth_logging(update):
            self.stream.write(f"{progress_line(update)}\n")
            self.stream.flush()
            self._last_time = update.elapsed

    def _worth_logging(self, update: ProgressUpdate) -> bool:
        """A log's cadence (see the class)."""
        if update.done or update.stage == "started" or self._last_time is None:
            return True
        if update.sampling:
            quarter = QUARTERS * update.step // update.steps
            last_node, last_quarter = self._last_quarter
            if update.node_id != last_node or quarter > last_quarter:
                self._last_quarter = (update.node_id, quarter)
                return True
        return update.elapsed - self._last_time >= self.min_interval


def progress_line(update: ProgressUpdate, width: int | None = None) -> str:
    """``[#####---------------] 25.0%  Stage 1 sampling step 2/8  ETA 0:06  elapsed 0:02
    1.00 steps/s``: one update as a line, with a bar when ``width`` is given, fitted to it
    (see :class:`ProgressPrinter`). Before a rate is known the ETA says when it will be."""
    from ltx2sdk.app.cli.status_line import Cut, Piece, fit  # start-up: only generate draws
    from ltx2sdk.app.progress import clock_text  # start-up: only generate draws progress

    if update.eta is not None:
        eta: str | None = f"ETA {clock_text(update.eta, up=True)}"
    elif update.steps_left and not update.done:
        eta = "ETA after the first steps"
    else:
        eta = None  # nothing measurable left: no number is better than 0:00
    step = f"step {update.step}/{update.steps}" if update.steps else ""
    rate = f"{update.rate:.2f} steps/s" if update.rate is not None else ""
    pieces = [None, Piece(f"{update.percent:5.1f}%", " "), Piece(escaped(update.stage)),
              Piece(step, " "), Piece(eta or ""), Piece(f"elapsed {clock_text(update.elapsed)}"),
              Piece(rate)]
    if width is None:
        return fit(pieces, 10_000, ())
    filled = int(BAR_WIDTH * update.percent / 100)
    pieces[0] = Piece("[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]")
    half = BAR_WIDTH // 2
    narrow = "[" + "#" * (filled // 2) + "-" * (half - filled // 2) + "]"
    return fit(pieces, width, (
        Cut(6), Cut(0, narrow), Cut(4, "ETA ?" if eta and eta.startswith("ETA after") else eta),
        Cut(2, shorten=True), Cut(0), Cut(5), Cut(2)))


def server_url(text: str) -> str:
    """``--server``: a URL as typed (``127.0.0.1:8188`` gets ``http://``), or a one-line
    argparse error saying what is wrong with it."""
    try:
        return normalize_server_url(text)
    except ServerUrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seconds(text: str) -> float:
    """A positive number of seconds (``--timeout``, ``--ready-timeout``), written as every
    number flag is (:func:`~ltx2sdk.vocabulary.number_from_text`: ASCII digits, no spaces)."""
    try:
        value = float(number_from_text(text, whole=False))
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
                   probe_timeout=min(PROBE_TIMEOUT, ready))  # part of the wait: within it


def server_name(client: Any) -> str:
    """How messages name the server: ``ComfyUI`` or ``the Comfy API v2``."""
    return "the Comfy API v2" if getattr(client, "api", "comfyui") == "v2" else "ComfyUI"


def wait_for_server(client: Any, args: argparse.Namespace, *, waited: float = 0.0) -> None:
    """Wait for the server as ``--ready-timeout`` says (see :data:`READY_TIMEOUT_HELP`); on
    a terminal, say that it is being waited for. ``waited``: the seconds :func:`backend_of`'s
    probe of the server took, part of the same wait (the time a failure says is the whole
    wait's)."""
    explicit = args.ready_timeout is not None
    stream = sys.stderr

    def say_waiting() -> None:
        if stream.isatty():
            print(f"waiting for {server_name(client)} at {client.base_url} (Ctrl-C to stop)",
                  file=stream, flush=True)

    try:
        client.wait_ready(timeout=args.ready_timeout if explicit else DEFAULT_READY_TIMEOUT,
                          refused_grace=None if explicit else REFUSED_GRACE,
                          on_wait=say_waiting, waited=waited)
    except ServerUnreachableError as exc:
        if explicit or exc.reason == UNKNOWN_HOST:  # waiting would not make a name resolve
            raise
        raise CommandLineError(f"{exc}; is it running? --ready-timeout SECONDS waits for one "
                               "that is starting") from exc
    except ServerUnavailableError as exc:
        if explicit or "was not ready" not in str(exc):  # an unusable URL: nothing to wait for
            raise
        raise CommandLineError(f"{exc}; --ready-timeout SECONDS waits longer") from exc


def print_plan(plan: Any, video: str | None = None, *, seed_chosen: bool = True,
               args: argparse.Namespace | None = None) -> None:
    """What a request will make, on stderr, before anything runs: the pipeline, size, length,
    frame rate and seed (and camera), each adjustment made to the request (the fields it
    names said as the flags of ``args`` that gave them), and (``video``) where the video
    will go. ``seed_chosen=False`` (a dry run without ``--seed``): the seed
    is said to be chosen when it runs, not the plan's, which that run would not use."""
    camera = f", camera {plan.camera}" if plan.camera != "none" else ""
    seed = plan.seed if seed_chosen else "random (chosen when it runs; --seed N fixes it)"
    print(f"{plan.model} {plan.type} {plan.mode}: {plan.width}x{plan.height}, "
          f"{plan.frames} frames at {plan.fps} fps ({round(plan.duration, 2):g} s), seed {seed}"
          f"{camera}", file=sys.stderr)
    mapping = getattr(plan, "input_video", None)
    if mapping is not None:  # which part of the control video makes which frames
        print(f"input video: {one_line(mapping.describe(), limit=300)}", file=sys.stderr)
    for note in plan.adjustments:
        print(f"note: {note_for_cli(note, args)}", file=sys.stderr)
    if video is not None:
        print(f"video: {video}", file=sys.stderr)


def video_destination(args: argparse.Namespace, plan: Any) -> str:
    """Where ``ltx2 generate`` will put the video, as the plan says it: ``--output`` (which
    exists only with ``--overwrite``), else the server's file name in ``--output-dir``, or
    the first free ``name (1).mp4`` there."""
    note = video_note(args, plan)
    if args.output is not None:
        return f"{args.output}{f' ({note})' if note else ''}"
    return str(note)


def video_note(args: argparse.Namespace, plan: Any) -> str | None:
    """What a path alone does not say about where the video goes: that ``--output``'s file
    is replaced (``--overwrite``), or, without ``--output``, how the server's file name is
    used in ``--output-dir``; ``None`` when there is nothing to add."""
    if args.output is not None:
        return "replacing the file there: --overwrite" if args.output.exists() else None
    example = args.output_dir / f"{Path(plan.filename_prefix).name}_00001_.mp4"
    return (f"{args.output_dir}/, under the server's file name (such as {example}; "
            "'name (1).mp4' when a file has it)")


def cmd_generate(args: argparse.Namespace) -> int:
    from ltx2sdk.app.generate import generate  # start-up: pydantic, requests, Pillow

    # where the video goes, checked before any work, creating nothing: generate creates the
    # folders, and removes them again if the run leaves them empty (a server that cannot be
    # reached, Ctrl-C); with --output the video is fetched next to it, not into --output-dir
    if args.output is not None:
        checked_output_file(args.output, overwrite=args.overwrite, folder_flag="--output-dir",
                            create=False)
    else:
        checked_output_folder(args.output_dir, create=False)
    checked = request_from_args(args)  # every local or base64 input decoded here, once
    if args.output is not None and getattr(args, "output_dir_given", False):
        # (the settings file's output_dir is a default, not a choice made for this video)
        print("note: --output-dir is for the server's file names; with --output it is not "
              "used", file=sys.stderr)
    started = time.monotonic()
    client = backend_of(args)
    queued: list[str] = []
    try:
        # the probe of the server is part of the wait for it: one limit for both
        wait_for_server(client, args, waited=time.monotonic() - started)
        if args.dry_run:
            return dry_run(client, checked, args)
        # with --output the video is fetched next to it (one rename away), not into
        # --output-dir, which would be created and left empty
        staging = args.output_dir if args.output is None else args.output.parent
        result = generate(checked, client, output=args.output, output_dir=staging,
                          on_progress=ProgressPrinter(sys.stderr), on_queued=queued.append,
                          timeout=args.timeout,
                          ready_timeout=0,  # waited for above, with the CLI's messages
                          inputs=args.input_data, overwrite=args.overwrite,
                          # once the server's check has passed: a refusal stays one line
                          on_plan=lambda plan: print_plan(plan, video_destination(args, plan),
                                                         args=args))
    except KeyboardInterrupt:
        for prompt_id in queued:  # the client has interrupted it on the server
            print(f"\ninterrupted prompt {prompt_id} on {client.base_url}", file=sys.stderr)
        raise
    except JobTimeoutError as exc:  # the flag that set the deadline is named
        raise CommandLineError(f"--timeout: the job ran past {args.timeout:g} s: {exc}") from exc
    finally:
        client.close()
    took = time.monotonic() - started
    if args.json:
        reporting.emit_json(args, reporting.generate_document(
            result, model=checked.pipeline.model.id, server=client.base_url, api=client.api,
            seconds=took))
    size = result.video.stat().st_size
    # the file name may be the server's: escaped like any text it sent
    print(f"{escaped(str(result.video))}  ({result.width}x{result.height}, {result.frames} "
          f"frames at "
          f"{result.fps} fps = {round(result.duration, 2):g} s of video, seed {result.seed}, "
          f"{byte_size(size)}; took {took:.1f} s)")
    return 0


def dry_run(client: Any, checked: CheckedRequest, args: argparse.Namespace) -> int:
    """``ltx2 generate --dry-run``: build the request for the server's ComfyUI and check it
    by the server's rules, as generate does before it uploads or queues anything (its input
    files fetched and checked, and counted as uploaded under names of their own; a video in
    the server's input folder read and measured); print the
    plan and where the video would go. Nothing is uploaded or queued. A failed check raises
    what generate's would (:class:`~ltx2sdk.errors.ServerValidationError`)."""
    from ltx2sdk.app.generate import (  # start-up: requests, Pillow
        InputPolicy,
        prepare_inputs,
        read_server_video,
    )
    from ltx2sdk.media.audio import AudioData  # start-up: miniaudio
    from ltx2sdk.media.video import VideoData  # start-up: PyAV

    policy = InputPolicy()
    inputs = prepare_inputs(checked.request, policy, given=args.input_data)
    audio = inputs.get(AUDIO)
    audio_seconds = audio.duration if isinstance(audio, AudioData) else None
    given_video = inputs.get(VIDEO)
    if given_video is None and checked.request.video is not None:  # in the server's folder
        given_video = read_server_video(client, checked.request.video, policy)
    names = {which: data.filename(f"ltx2sdk_dry_run_{which.file}")
             for which, data in inputs.items()}
    result = build(checked, image_name=names.get(FIRST_IMAGE),
                   last_image_name=names.get(LAST_IMAGE), audio_name=names.get(AUDIO),
                   audio_seconds=audio_seconds, video_name=names.get(VIDEO),
                   video=given_video if isinstance(given_video, VideoData) else None,
                   schemas=client.schemas())
    found = client.check(result.graph, pending_uploads=tuple(names.values()))
    found.raise_if_failed()
    partner_key = getattr(client, "check_partner_key", None)  # (native ComfyUI's partner nodes)
    if partner_key is not None:
        partner_key(result.graph)  # generate would refuse it without a key: so does this
    video = video_destination(args, result.plan)
    seed_chosen = checked.request.seed is not None  # else each run draws its own
    print_plan(result.plan, video, seed_chosen=seed_chosen, args=args)
    where = f"{server_name(client)} at {client.base_url}"
    checked_there = getattr(found, "checked", True)
    if args.json:  # what the lines below say, as generate --json's keys
        plan = result.plan
        reporting.emit_json(args, {
            "dry_run": True, "checked": checked_there,
            # a path (or null: the server names the file), the words apart
            "video": None if args.output is None else str(args.output),
            "output_dir": None if args.output is not None else str(args.output_dir),
            "video_note": video_note(args, result.plan),
            "plan": reporting.plan_document(
                model=plan.model, type=plan.type, mode=plan.mode, width=plan.width,
                height=plan.height, frames=plan.frames, fps=plan.fps, duration=plan.duration,
                seed=plan.seed if seed_chosen else None, adjustments=plan.adjustments,
                input_video=(None if plan.input_video is None
                             else plan.input_video.as_dict())),
            "server": {"url": client.base_url, "api": getattr(client, "api", "comfyui")}})
    if checked_there:
        print(f"dry run: {where} would run it (checked by its own rules); nothing was "
              "uploaded or queued")
    else:
        print(f"dry run: {where} cannot check a job before it is submitted "
              f"({getattr(found, 'reason', 'no node schemas')}); nothing was uploaded or "
              "queued")
    return 0


# every pipeline: those made from model files, then the hosted ones (partner nodes)
_ALL_PIPELINES = (*PIPELINES, *ltx2_5_api.PIPELINES)
PARTNER_KEY_MISSING = ("needs a Comfy account API key for its partner nodes: set "
                       "COMFY_API_KEY (or --api-key); ltx2 sends it to ComfyUI with each job")


def default_requests(modes: list[str], model: str = DEFAULT_MODEL,
                     loras: Sequence[Mapping[str, Any]] = ()) -> list[Any]:
    """The requests ``ltx2 generate`` sends with default flags for ``model``, one per
    pipeline of it in ``modes`` (t2v, i2v, flf2v, ia2v, canny2v, depth2v: whatever the
    catalog has), mode by mode. Their input files are :data:`CHECK_IMAGE`,
    :data:`CHECK_LAST_IMAGE`, :data:`CHECK_AUDIO` and :data:`CHECK_VIDEO`, standing for the
    uploads generate makes after its check (each input a type uses, optional ones too).
    ``loras`` (the request's ``loras`` items) go on every one of them."""
    from ltx2sdk.request import GenerationRequest  # start-up: pydantic

    probes = ((FIRST_IMAGE, CHECK_IMAGE), (LAST_IMAGE, CHECK_LAST_IMAGE), (AUDIO, CHECK_AUDIO),
              (VIDEO, CHECK_VIDEO))
    requests = []
    for mode in modes:
        for pipeline in _ALL_PIPELINES:
            if pipeline.model.id != model or pipeline.mode != mode:
                continue
            kind = str(pipeline.type)
            files = {which.file: name for which, name in probes if kind in which.types}
            # a hosted model takes no LoRAs: the user's are checked for the others
            own = [] if isinstance(pipeline, ltx2_5_api.PartnerPipeline) else list(loras)
            requests.append(GenerationRequest.model_validate(
                {"prompt": "check", "model": pipeline.model.id, "mode": mode,
                 "type": kind, "loras": own, **files}))
    return requests


@dataclass
class PipelineReport:
    """What a server lacks to run one pipeline (nothing: it can)."""

    name: str
    """``"t2v fast"``: the pipeline's type and mode, as the verdicts name it."""
    mode: str
    needs_release: str | None = None
    """The ComfyUI release it needs when the server's is older (then it is not built)."""
    missing_nodes: list[str] = field(default_factory=list)
    missing_models: list[tuple[str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    files_checked: bool = False
    """The server checked its model files (False: it stopped before, at the release or a
    node), so a file not in :attr:`missing_models` is there."""

    @property
    def ready(self) -> bool:
        return not (self.needs_release or self.missing_nodes or self.missing_models
                    or self.other)


@dataclass
class ModelReport:
    """What a server lacks to run each of one model's pipelines in the modes checked:
    ``details`` pipeline by pipeline, and their sums (``ltx2 check --json`` writes all)."""

    model: str
    name: str
    details: list[PipelineReport] = field(default_factory=list)
    pipelines: list[str] = field(default_factory=list)
    """Every pipeline checked (``"t2v fast"``)."""
    ready_pipelines: list[str] = field(default_factory=list)
    needs_release: dict[str, list[str]] = field(default_factory=dict)
    """A newer ComfyUI release -> the pipelines that need it."""
    missing_nodes: list[str] = field(default_factory=list)
    missing_models: list[tuple[str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Every pipeline checked is ready (and there was one to check)."""
        return bool(self.details) and all(p.ready for p in self.details)

    @property
    def short_name(self) -> str:
        """``LTX-2.3``: how the final verdict names it."""
        return self.name.split(" ")[0]

    def add(self, found: PipelineReport) -> None:
        """Count one pipeline's report in."""
        self.details.append(found)
        self.pipelines.append(found.name)
        if found.ready:
            self.ready_pipelines.append(found.name)
        if found.needs_release:
            self.needs_release.setdefault(found.needs_release, []).append(found.name)
        self.missing_nodes += [n for n in found.missing_nodes if n not in self.missing_nodes]
        self.missing_models += [m for m in found.missing_models if m not in self.missing_models]
        self.other += [line for line in found.other if line not in self.other]


def check_model(client: Any, schemas: Any, model: str, modes: list[str],
                loras: Sequence[Mapping[str, Any]] = (), *,
                partner_key: bool = True) -> ModelReport:
    """Build each pipeline of ``model`` in ``modes`` (with ``loras``, the user's LoRAs) for
    the server and check it by the server's rules, exactly as ``ltx2 generate`` does before
    queueing; collect, per pipeline, what is missing (the release, node types, model files,
    anything else). A hosted model's pipelines (partner nodes: no model files) need the
    partner nodes and a Comfy account key: ``partner_key`` says whether one is given."""
    [name] = {p.model.name for p in _ALL_PIPELINES if p.model.id == model}
    report = ModelReport(model, name)
    for request in default_requests(modes, model, loras):
        found = check_pipeline(client, schemas, request)
        hosted = isinstance(check_request(request).pipeline, ltx2_5_api.PartnerPipeline)
        if hosted and not partner_key:
            found.other.append(PARTNER_KEY_MISSING)
        report.add(found)
    return report


def check_pipeline(client: Any, schemas: Any, request: Any) -> PipelineReport:
    """What the server lacks to run ``request``'s pipeline (see :func:`check_model`)."""
    found = PipelineReport(f"{request.type} {request.mode}", request.mode)
    pipeline = check_request(request).pipeline
    if not pipeline.runs_on(client.comfyui_version):
        found.needs_release = pipeline.min_comfyui
        return found
    try:
        graph = build(request, schemas=schemas).graph
    except IncompatibleServerError as exc:  # a node or input this release lacks
        # named as node types: those the SDK's own build of it has and the server lacks
        own = dict.fromkeys(node.class_type for node in build(request).graph)
        found.missing_nodes = [name for name in own if name not in schemas]
        if not found.missing_nodes:  # an input, not a node
            found.other.append(str(exc))
        return found
    verdict = client.check(graph, pending_uploads=CHECK_UPLOADS)
    found.files_checked = True
    found.missing_nodes = list(verdict.missing_nodes)
    found.missing_models = list(verdict.missing_models)
    found.other = list(dict.fromkeys([*verdict.other, *verdict.runtime]))
    return found


def lora_presence(loras: Sequence[Mapping[str, Any]], reports: Sequence[ModelReport]
                  ) -> list[dict[str, Any]]:
    """Each of the user's LoRAs (``--lora``) as ``{"name", "strength", "present"}``:
    ``present`` is False when a pipeline's check found it missing from models/loras, True
    when a pipeline that applies it had its files checked and it was not, None when no
    pipeline got that far (an older release, a missing node: the server was not asked)."""
    missing = {name for report in reports for folder, name in report.missing_models
               if folder == "loras"}
    # hosted pipelines take no LoRAs: only the others' checks say anything about them
    asked = any(p.files_checked for report in reports if report.model != ltx2_5_api.LTX2_5_API.id
                for p in report.details)
    return [{"name": lora["name"], "strength": float(lora.get("strength", 1.0)),
             "present": False if lora["name"] in missing else (True if asked else None)}
            for lora in loras]


def lora_line(found: Sequence[Mapping[str, Any]], given: Sequence[Mapping[str, Any]]) -> str:
    """``your LoRAs: a.safetensors (0.5) present; b.safetensors missing``: ``found`` from
    :func:`lora_presence`, the strength shown where ``given`` (the flags) set one."""
    words = {True: "present", False: "missing", None: "not checked (no pipeline got that far)"}
    parts = [f"{one_line(item['name'], limit=100)}"
             + (f" ({item['strength']:g})" if "strength" in flag else "")
             + f" {words[item['present']]}" for item, flag in zip(found, given, strict=True)]
    return "your LoRAs: " + "; ".join(parts)


def _which(pipelines: list[str], report: ModelReport) -> str:
    """The pipelines a problem concerns: ``all`` when it is every one checked."""
    return "all" if len(pipelines) == len(report.pipelines) else ", ".join(pipelines)


def _grouped(report: ModelReport, items: Callable[[PipelineReport], list[Any]]
             ) -> dict[Any, list[str]]:
    """Each item ``items`` finds in the model's pipelines -> the pipelines that have it."""
    found: dict[Any, list[str]] = {}
    for pipeline in report.details:
        for item in items(pipeline):
            found.setdefault(item, []).append(pipeline.name)
    return found


def print_report(report: ModelReport, version: str | None) -> None:
    """One model's verdict (which pipelines are ready, which are not), then why not,
    indented: each missing release, node type, model file or other problem once, with the
    pipelines it stops when that is not all of them."""
    head = f"{report.model} ({report.name})"
    if not report.pipelines:
        print(f"{head}: no pipelines in the modes checked")
        return
    ready = [p.name for p in report.details if p.ready]
    failed = [p.name for p in report.details if not p.ready]
    if not failed:
        print(f"{head}: ready ({', '.join(ready)})")
        return
    verdict = f"not ready ({', '.join(failed)})"
    print(f"{head}: ready ({', '.join(ready)}); {verdict}" if ready else f"{head}: {verdict}")
    releases = _grouped(report, lambda p: [p.needs_release] if p.needs_release else [])
    for release, pipelines in releases.items():
        print(f"  {_which(pipelines, report)}: need ComfyUI >= {release}; the server runs "
              f"{version}")
    nodes = _grouped(report, lambda p: p.missing_nodes)
    if nodes:
        print(f"  missing node types ({len(nodes)}), update ComfyUI:")
        for node, pipelines in nodes.items():
            since = first_release_with(node)
            came = f" (came with ComfyUI {since})" if since else ""
            print(f"    {node}{came}{_for(pipelines, report)}")
    files = _grouped(report, lambda p: p.missing_models)
    if files:
        print(f"  missing model files ({len(files)}):")
        for (folder, name), pipelines in files.items():
            entry = lookup(folder, name)
            # a file the SDK does not know: one of the user's own (--lora), no URL to give
            source = f"  <- {entry.url}" if entry else "  (not a file ltx2 knows: copy it there)"
            print(f"    models/{folder}/{name}{source}{_for(pipelines, report)}")
    other = _grouped(report, lambda p: p.other)
    if other:
        print(f"  other problems ({len(other)}):")
        for line, pipelines in other.items():
            print(f"    {one_line(line)}{_for(pipelines, report)}")


def _for(pipelines: list[str], report: ModelReport) -> str:
    """`` (for t2v pro, i2v pro)`` when a problem stops only some pipelines."""
    which = _which(pipelines, report)
    return "" if which == "all" else f"  (for {which})"


def _modes_text(report: ModelReport, names: list[str]) -> str:
    """``fast, pro`` for pipelines ``names`` of the model when they are whole modes of it
    (``t2v pro, i2v pro`` otherwise, pipeline by pipeline)."""
    parts: list[str] = []
    for mode in dict.fromkeys(p.mode for p in report.details):
        of_mode = [p.name for p in report.details if p.mode == mode]
        given = [name for name in of_mode if name in names]
        parts += [mode] if given == of_mode else given
    return ", ".join(parts)


def check_verdict(reports: list[ModelReport]) -> tuple[str, bool]:
    """The final line for the models asked about, and whether each of their pipelines is
    ready: ``ready for LTX-2 (fast, pro), LTX-2.5 (fast)`` or ``not ready for LTX-2.3
    (t2v pro, i2v pro); ready for LTX-2 (fast, pro), LTX-2.3 (fast)``. A mode a model does
    not have is never named."""
    ready, failed = [], []
    for report in reports:
        good = [p.name for p in report.details if p.ready]
        bad = [p.name for p in report.details if not p.ready]
        if good:
            ready.append(f"{report.short_name} ({_modes_text(report, good)})")
        if bad:
            failed.append(f"{report.short_name} ({_modes_text(report, bad)})")
    if not failed:
        return f"ready for {', '.join(ready)}", True
    also = f"; ready for {', '.join(ready)}" if ready else ""
    return f"not ready for {', '.join(failed)}{also}", False


MAX_WORKFLOW_BYTES = 64 << 20  # a workflow file, subgraphs and notes included


def read_workflow(path: Path, flag: str = "--workflow") -> dict[str, Any]:
    """The JSON object the workflow file ``path`` holds (an editor workflow or an API
    prompt); anything else is a :class:`CommandLineError` (exit status 2) starting with
    ``flag`` (the option or argument that named it) and saying what is wrong."""
    try:
        text = read_capped(path, MAX_WORKFLOW_BYTES, f"{flag} {path}")
        data = json.loads(text.decode("utf-8-sig"))  # BOM too
    except OSError as exc:
        raise CommandLineError(f"{flag}: cannot read {path} ({exc.strerror or exc})",
                               2) from exc
    except ValueError as exc:
        raise CommandLineError(f"{flag}: {path} is not JSON ({exc})", 2) from exc
    if not isinstance(data, dict) or not data:
        raise CommandLineError(f"{flag}: {path} is not a workflow (an editor workflow or "
                               "an API prompt: a JSON object)", 2)
    return data


def cmd_run(args: argparse.Namespace) -> int:
    """``ltx2 run F.json``: queue a workflow file (an editor workflow or an API prompt) on the
    server, with progress, and download every output it makes, each checked whole."""
    from ltx2sdk.app.progress import ProgressTracker  # start-up: only run draws progress
    from ltx2sdk.graph.core import Graph  # start-up: loaded by the builders anyway

    workflow = read_workflow(args.workflow, "workflow")
    checked_output_folder(args.output_dir)
    name = one_line(str(args.workflow), limit=200)
    started = time.monotonic()
    client = backend_of(args)
    queued: list[str] = []
    try:
        wait_for_server(client, args, waited=time.monotonic() - started)
        try:  # read as the editor would queue it, with the server's schemas; then checked
            graph = Graph.from_api(workflow, client.schemas())
        except GraphError as exc:
            raise CommandLineError(f"{name}: {exc}") from exc
        tracker = ProgressTracker(graph, ProgressPrinter(sys.stderr))
        result = client.run(graph, output_dir=args.output_dir, on_event=tracker,
                            timeout=args.timeout, on_queued=queued.append)
    except KeyboardInterrupt:
        for prompt_id in queued:  # the client has interrupted it on the server
            print(f"\ninterrupted prompt {prompt_id} on {client.base_url}", file=sys.stderr)
        raise
    except JobTimeoutError as exc:
        raise CommandLineError(f"--timeout: the job ran past {args.timeout:g} s: {exc}") from exc
    finally:
        client.close()
    took = time.monotonic() - started
    files = [result.files[output] for output in result.outputs if output in result.files]
    if args.json:
        reporting.emit_json(args, {
            "workflow": name, "server": {"url": client.base_url, "api": client.api},
            "prompt_id": result.prompt_id,
            "outputs": [{"path": str(path), "bytes": path.stat().st_size} for path in files],
            "timings": {"total": round(took, 3)}})
    for path in files:  # a file name may be the server's: escaped like any text it sent
        print(f"{escaped(str(path))}  ({byte_size(path.stat().st_size)})")
    if not files:
        print(f"{name}: the workflow ran and made no output file (took {took:.1f} s)")
    return 0


def check_workflow(client: Any, workflow: Mapping[str, Any], args: argparse.Namespace,
                   version: str | None) -> int:
    """``ltx2 check --workflow F``: what the server lacks to run ``workflow`` (an editor
    workflow is read as the editor would queue it); a line per problem, then the verdict.
    Exit status 0 when it would run, 1 otherwise."""
    from ltx2sdk.graph.editor.ui_import import is_editor_workflow  # start-up: rarely used

    kind = "editor workflow" if is_editor_workflow(workflow) else "API prompt"
    name = one_line(str(args.workflow), limit=200)
    verdict = client.check(workflow)
    problems = [f"missing node type: {node}" for node in verdict.missing_nodes]
    problems += [f"missing model file: models/{folder}/{one_line(file, limit=200)}"
                 for folder, file in verdict.missing_models]
    problems += [one_line(text, limit=400) for text in [*verdict.other, *verdict.runtime]]
    for problem in problems if not args.quiet else ():
        print(f"  {problem}")
    if args.json:
        reporting.emit_json(args, {
            "server": client.base_url, "comfyui_version": version, "workflow": name,
            "format": "editor" if kind == "editor workflow" else "api",
            "ready": verdict.ok, "missing_nodes": list(verdict.missing_nodes),
            "missing_models": [{"folder": folder, "name": file}
                               for folder, file in verdict.missing_models],
            "problems": [*verdict.other, *verdict.runtime]})
    if verdict.ok:
        print(f"{name} ({kind}): ready to run")
        return 0
    count = len(problems)
    print(f"{name} ({kind}): not ready, {count} problem{'' if count == 1 else 's'}")
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    from ltx2sdk.backends.comfyui.client import ComfyClient  # start-up: requests, websocket-client

    workflow = read_workflow(args.workflow) if args.workflow is not None else None
    if args.api == "v2":
        return cannot_check_v2(backend_of(args), args)
    modes = list(BOTH_MODES) if args.mode == "both" else [args.mode]
    # every model is reported; the exit status is that of the one(s) --model names
    required = list(MODEL_IDS) if args.model == "all" else [args.model]
    if not default_requests(modes, args.model) and args.model != "all":
        raise CommandLineError(f"--mode: {args.model} has no {args.mode} pipelines (ltx2 check "
                               f"--model {args.model} --mode both checks what it has)", 2)
    try:  # a bad --lora is refused before the server is asked, named as build names it
        default_requests(list(MODES), DEFAULT_MODEL, args.loras)
    except RequestError as exc:
        # (the LoRAs came from --lora: named by the flag, not by their path in the request)
        raise CommandLineError(describe_for_cli(exc, FlagSources(flags={"loras": "--lora"})),
                               2) from exc
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
    if not args.quiet:  # -q: the verdict line only
        print(f"ComfyUI {version or '(version unknown)'} at {client.base_url} is up: "
              f"{range_status(version)}")
    if workflow is not None:
        return check_workflow(client, workflow, args, version)
    schemas = client.schemas()
    key = bool((args.api_key or os.environ.get(API_KEY_ENV) or "").strip())
    reports = [check_model(client, schemas, model, modes, args.loras, partner_key=key)
               for model in MODEL_IDS]
    reach = check_partner_api(client, reports, required, args)  # before: it adds problems
    for report in reports if not args.quiet else ():
        print_report(report, version)
    loras = lora_presence(args.loras, reports)
    if loras and not args.quiet:
        print(lora_line(loras, args.loras))
    if reach is not None and not args.quiet:
        print(reach.line())
    line, ok = check_verdict([r for r in reports if r.model in required])
    if args.json:
        document = reporting.check_document(
            reports, server=client.base_url, comfyui_version=version,
            status=range_status(version), required=required, modes=modes, ready=ok,
            loras=loras)
        document["partner_api"] = reach.as_dict() if reach is not None else None
        reporting.emit_json(args, document)
    print(line)
    return 0 if ok else 1


def check_partner_api(client: Any, reports: Sequence[ModelReport], required: Sequence[str],
                      args: argparse.Namespace) -> PartnerReach | None:
    """``ltx2 check``'s probe of Comfy's partner API (see
    :mod:`ltx2sdk.backends.comfyui.partner_api`): made when the hosted LTX-2.5 API is among
    the ``required`` models and the server has its partner nodes (a pipeline of it got as far
    as the server's own check), else ``None``. The base is the one the server's
    ``/system_stats`` names; the probe runs from this machine, bounded, with the key when one
    is given (``--api-key``, ``$COMFY_API_KEY``). What it finds wrong (not reachable, the key
    refused) is a problem of the hosted model's pipelines, and of no other model's."""
    hosted = [r for r in reports if r.model == ltx2_5_api.LTX2_5_API.id]
    if ltx2_5_api.LTX2_5_API.id not in required or not any(
            p.files_checked for r in hosted for p in r.details):
        return None
    from ltx2sdk.backends.comfyui import partner_api  # start-up: only ltx-2.5-api probes
    from ltx2sdk.backends.comfyui.wire import PartnerKey  # start-up: likewise

    reach = partner_api.probe(partner_api.api_base(client.system_stats()),
                              PartnerKey.resolve(args.api_key))
    problem = reach.problem
    if problem is None:
        return reach
    for report in hosted:
        for pipeline in report.details:
            pipeline.other.append(problem)
        report.other.append(problem)
        report.ready_pipelines = [p.name for p in report.details if p.ready]
    return reach


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
                        help="a Comfy account key: the Comfy API v2's, and for ComfyUI's "
                             "partner nodes (--model ltx-2.5-api) (default: $COMFY_API_KEY, "
                             "which keeps it out of the process list); never printed")


def add_server_commands(commands: Any) -> None:
    gen = commands.add_parser("generate", help="build, run on ComfyUI, download the video",
                              description="Build the request's pipeline for the server's "
                                          "ComfyUI, check it there, run it and download the "
                                          "video.")
    add_request_flags(gen)
    server = gen.add_argument_group("server and output")
    add_server_flags(server)
    server.add_argument("--output", "-o", type=video_file, metavar="FILE.mp4",
                        help="video path (default: the server's file name in --output-dir, "
                             "or 'name (1).mp4' when a file has it); an existing file is "
                             "refused unless --overwrite")
    server.add_argument("--overwrite", action="store_true",
                        help="replace the file --output names if it exists")
    server.add_argument("--output-dir", type=output_folder, default=Path("."), metavar="DIR",
                        help="where other outputs go (default .)")
    server.add_argument("--timeout", type=seconds, default=3600.0, metavar="SECONDS",
                        help="overall deadline (default 3600)")
    server.add_argument("--dry-run", action="store_true",
                        help="build the request for the server and check it there, print the "
                             "plan and where the video would go; upload and queue nothing "
                             "(exit 0 when it would run)")
    gen.set_defaults(func=cmd_generate)

    run = commands.add_parser("run", help="queue a workflow file, download what it makes",
                              description="Queue a workflow file on the server: an editor "
                                          "workflow (ComfyUI's Save: read as the editor "
                                          "would queue it, with the server's node schemas) "
                                          "or an API prompt (Export (API), ltx2 build). The "
                                          "server's own rules are checked first; then the "
                                          "progress, and every output it makes is "
                                          "downloaded into --output-dir and checked whole. "
                                          "Input files it loads must be in the server's "
                                          "input folder already.")
    run.add_argument("workflow", type=Path, metavar="FILE.json",
                     help="the workflow: an editor workflow or an API prompt")
    add_server_flags(run)
    run.add_argument("--output-dir", "-o", type=output_folder, default=Path("."),
                     metavar="DIR", help="where its outputs go (default .)")
    run.add_argument("--timeout", type=seconds, default=3600.0, metavar="SECONDS",
                     help="overall deadline (default 3600)")
    run.set_defaults(func=cmd_run)

    check = commands.add_parser("check", help="can a server run each model?",
                                description="Check, per model, which of its pipelines (type "
                                            "and mode) a ComfyUI can run and why not the "
                                            "others: its release, nodes and model files "
                                            "(ltx-2.5-api: its partner nodes, the key, and "
                                            "whether the partner API answers from here). The "
                                            "last line is the verdict for the model(s) --model "
                                            "names: exit status 0 when every pipeline of theirs "
                                            "is ready, 1 otherwise. With -q, only the "
                                            "verdict line. With --workflow FILE, the same "
                                            "for that one workflow instead.")
    add_server_flags(check)
    check.add_argument("--model", choices=[*MODEL_IDS, "all"], default=DEFAULT_MODEL,
                       help="the model(s) the exit status is about (default "
                            f"{DEFAULT_MODEL}); every model is reported")
    check.add_argument("--mode", choices=MODE_CHOICES, default="both",
                       help="the mode(s) to check (default both: fast and pro)")
    check.add_argument("--lora", dest="loras", action="append", type=lora_choice,
                       metavar="NAME[:STRENGTH]", default=[],
                       help="one of your LoRAs (a file in models/loras), checked on every "
                            "pipeline as generate --lora would apply it; repeat for more")
    check.add_argument("--workflow", type=Path, metavar="FILE.json",
                       help="check this workflow instead of the models: an editor workflow "
                            "(ComfyUI's Save, subgraphs and all) or an API prompt (Export "
                            "(API)); a line per problem, exit status 0 when it would run")
    check.set_defaults(func=cmd_check)
