"""Partner-node pipelines (:mod:`builders.catalog.ltx2_5_api`): planned and composed.

A partner node makes the whole video on its provider's servers from a few choices, so a
request is mapped onto them here, the way sizes are snapped for the local pipelines: the
size to the node's nearest resolution of the same orientation, the length to its nearest
duration, the frame rate to its nearest; each change is written into ``Plan.adjustments``.
What the node cannot make at all is refused with a
:class:`~ltx2sdk.errors.RequestFieldError` naming the field and what it can make (a pro video
longer than its longest duration; over 10 s, more than 1080p or 25 fps; LoRAs, model files).

The graph (:func:`hosted_video`): a ``LoadImage`` per given image, the node with its
``model`` option and that option's sub-inputs (dotted keys), and ``SaveVideo``, in the groups
"Inputs", "Hosted generation" and "Save".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ltx2sdk.errors import RequestFieldError
from ltx2sdk.graph.nodes import Nodes
from ltx2sdk.vocabulary import DEFAULT_DURATION_S, FIRST_IMAGE, InputFile

from .catalog.ltx2_5_api import PartnerOptions, PartnerPipeline
from .stages import INPUTS

HOSTED = "Hosted generation"
"""The group of the partner node (the editor export draws one group per stage)."""
SAVE = "Save"
"""The group of the output node."""

if TYPE_CHECKING:  # the request module (pydantic) loads with the first request, not here
    from ltx2sdk.request import GenerationRequest


class Planned(Protocol):
    """What :func:`hosted_video` takes of a :class:`builders.plan.Plan` (which imports this
    module: named by what it has)."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def fps(self) -> int: ...
    @property
    def duration(self) -> float: ...
    @property
    def prompt(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def filename_prefix(self) -> str: ...


def _nearest(values: tuple[int, ...], wanted: float) -> int:
    """The value of ``values`` nearest ``wanted`` (the larger on a tie)."""
    return min(values, key=lambda v: (abs(v - wanted), -v))


def _resolution(options: PartnerOptions, width: int, height: int) -> tuple[int, int]:
    """The node's resolution of ``width`` x ``height``'s orientation nearest in pixels."""
    landscape = width >= height
    same = [r for r in options.resolutions if (r[0] >= r[1]) == landscape] or \
        list(options.resolutions)
    return min(same, key=lambda r: (abs(math.log(r[0] * r[1] / (width * height))), -r[0]))


def check_partner_request(request: GenerationRequest, pipeline: PartnerPipeline) -> None:
    """Refuse what ``pipeline``'s node cannot make (see the module); cheap and offline."""
    if request.loras:
        raise RequestFieldError("loras", f"{pipeline.model.name} takes no LoRAs (it runs on "
                                         "the partner's servers)")
    for field in ("checkpoint", "upscaler", "distilled_lora", "text_encoder"):
        if getattr(request.models, field) is not None:
            raise RequestFieldError(f"models.{field}", f"{pipeline.model.name} loads no model "
                                                       "files")
    if ("camera_lora" in request.model_fields_set and request.camera_lora != "none"):
        raise RequestFieldError("camera_lora", f"{pipeline.model.name} has no camera LoRAs "
                                               "(use 'none')")
    if request.seed is not None and request.seed >= 2**32:  # the node's seed is 32-bit
        raise RequestFieldError("seed", f"{pipeline.model.name} takes seeds up to "
                                        f"{2**32 - 1}, not {request.seed}")
    options = pipeline.options
    fps = request.fps if request.fps is not None else pipeline.fps
    seconds = _seconds(request, fps)
    longest = max(options.durations)
    if seconds > longest + 0.5:
        field = "frames" if request.frames is not None else "duration"
        raise RequestFieldError(field, f"{pipeline.model.name} {pipeline.mode} makes at most "
                                       f"{longest} s ({options.label}), not {seconds:g} s")


def _seconds(request: GenerationRequest, fps: int) -> float:
    if request.frames is not None:
        return (request.frames - 1) / fps
    return request.duration if request.duration is not None else DEFAULT_DURATION_S


@dataclass(frozen=True)
class PartnerChoices:
    """The node's choices for a request, and what was changed to reach them."""

    width: int
    height: int
    duration: int
    fps: int
    adjustments: tuple[str, ...]


def partner_choices(request: GenerationRequest, pipeline: PartnerPipeline) -> PartnerChoices:
    """The node's resolution, duration and frame rate nearest the request's, each change
    noted, and a note for each value set that the node has no use for; what it cannot make
    is refused (:func:`check_partner_request`)."""
    check_partner_request(request, pipeline)
    options, notes = pipeline.options, []
    fps_wanted = request.fps if request.fps is not None else pipeline.fps
    fps = _nearest(options.fps, fps_wanted)
    if fps != fps_wanted:
        notes.append(f"fps {fps_wanted} -> {fps} ({options.label} makes "
                     f"{', '.join(map(str, options.fps))} fps)")
    seconds = _seconds(request, fps_wanted)
    duration = _nearest(options.durations, seconds)
    if duration != seconds:
        notes.append(f"duration {seconds:g} s -> {duration} s ({options.label} makes "
                     f"{', '.join(map(str, options.durations))} s)")
    width, height = _resolution(options, request.width, request.height)
    if (width, height) != (request.width, request.height):
        made = ", ".join(PartnerOptions.resolution_text(r) for r in options.resolutions)
        notes.append(f"size {request.width}x{request.height} -> {width}x{height} "
                     f"({options.label} makes {made})")
    if duration > options.long_over and (fps > options.long_max_fps
                                         or width * height > options.long_max_pixels):
        raise RequestFieldError("duration", f"over {options.long_over} s {options.label} "
                                            f"makes at most 1080p at {options.long_max_fps} fps, "
                                            f"not {width}x{height} at {fps} fps")
    given = request.model_fields_set
    unused: list[str] = [name for name in ("negative_prompt", "image_strength",
                                           "camera_strength") if name in given]
    if request.enhance_prompt:
        unused.append("enhance_prompt")
    notes += [f"{name} is not used by {pipeline.key} (the hosted node takes none)"
              for name in unused]
    return PartnerChoices(width, height, duration, fps, tuple(notes))


def hosted_video(n: Nodes, plan: Planned, pipeline: PartnerPipeline,
                 images: dict[InputFile, str]) -> None:
    """Add ``pipeline``'s node (the plan's choices), its images' loaders and ``SaveVideo``
    to ``n.graph``. ``images`` names each image of :attr:`PartnerPipeline.images` on the
    server."""
    missing = [image.file for image in pipeline.images if image not in images]
    if missing:
        raise ValueError(f"pipeline {pipeline.name} needs an image for {', '.join(missing)}")
    inputs: dict[str, object] = {}
    for image, node_input in pipeline.image_inputs:
        title = "First frame" if image is FIRST_IMAGE else "Last frame"
        with n.graph.group(INPUTS):
            loaded, _mask = n.LoadImage(images[image], title=title)
        inputs[node_input] = loaded
    options = pipeline.options
    inputs |= {
        "model": options.label,
        "model.duration": str(round(plan.duration)),
        "model.resolution": PartnerOptions.resolution_text((plan.width, plan.height)),
        "model.fps": str(plan.fps),
        "model.generate_audio": True,  # the templates' (LTX-2.5 makes the sound with the video)
        "prompt": plan.prompt,
        "seed": plan.seed,
    }
    with n.graph.group(HOSTED):
        made = n.graph.add(pipeline.node, inputs,
                           title=f"{pipeline.model.name} {pipeline.type}")
    # (the SDK's node table does not declare the partner node: its output is untyped here)
    with n.graph.group(SAVE):
        n.graph.add("SaveVideo", {"video": made[0], "filename_prefix": plan.filename_prefix},
                    title="Save video")
