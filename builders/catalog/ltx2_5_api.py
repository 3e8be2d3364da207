"""LTX-2.5 hosted by Lightricks, through ComfyUI's partner nodes: text, image, and
first-and-last-frame to video, fast or pro. No model files: the video is made on Comfy's API.

Every value is that of Comfy-Org's official templates (``comfyui-workflow-templates-json``
0.1.123: ``api_ltx2_5_t2v``, ``api_ltx2_5_i2v``, ``api_ltx2_5_flf2v``), checked by
``tests/builders/test_ltx2_5_api.py``; the options are those ComfyUI 0.33.0 declares for
``LtxApi25TextToVideo`` and ``LtxApi25ImageToVideo`` (``comfy_api_nodes/nodes_ltxv.py``; the
captured ``/object_info``): a dynamic combo ``model`` (``"LTX-2.5 (Fast)"``, ``"LTX-2.5
(Pro)"``) whose every option brings ``duration``, ``resolution``, ``fps`` (combos of text) and
``generate_audio``. The graph is one node, its images loaded before it, and ``SaveVideo``.

A partner node runs on ComfyUI's server but is paid for by a Comfy account: ComfyUI gives it
the account's API key from ``POST /prompt``'s ``extra_data`` (``api_key_comfy_org``), which
the native client sends for graphs that have such a node (:mod:`ltx2sdk.backends.comfyui`).

A request's size, length and frame rate are mapped to the node's choices by
:mod:`builders.partner` (the nearest choice, said in the plan, as sizes are snapped for the
local pipelines).
"""

from __future__ import annotations

from dataclasses import dataclass

from ltx2sdk.graph.releases import parse_version
from ltx2sdk.vocabulary import IMAGE_INPUTS, MODES, VIDEO_TYPES, InputFile, Mode, VideoTypeId

from .types import IMAGES_OF_TYPE, Keyed, ModelVersion, PipelineKey

LTX2_5_API = ModelVersion(
    id="ltx-2.5-api",
    name="LTX-2.5-API",
    negative_prompt="",  # the hosted node takes no negative prompt
    gpu_memory="none (hosted)",
)

MIN_COMFYUI = "0.32.0"
"""The templates' ``minComfyUIVersion``; of the captured releases 0.33.0 is the first with
``LtxApi25TextToVideo`` and ``LtxApi25ImageToVideo`` (0.29.0 has neither)."""
FPS = 25  # the nodes' default and the templates' frame rate


@dataclass(frozen=True)
class PartnerOptions:
    """What one option of a partner node's ``model`` combo can make."""

    label: str
    """The option (``"LTX-2.5 (Fast)"``)."""
    durations: tuple[int, ...]
    """Seconds (the node's ``duration`` choices, sent as text)."""
    resolutions: tuple[tuple[int, int], ...]
    """``(width, height)`` (the node's ``resolution`` choices, sent as ``"WxH"``)."""
    fps: tuple[int, ...]
    """Frame rates (the node's ``fps`` choices, sent as text)."""
    long_over: int = 10
    """Videos longer than this many seconds need :attr:`long_max_fps` and
    :attr:`long_max_pixels` at most (the node refuses others when it runs)."""
    long_max_fps: int = 25
    long_max_pixels: int = 1920 * 1080

    def __post_init__(self) -> None:
        if not (self.durations and self.resolutions and self.fps):
            raise ValueError(f"{self.label}: durations, resolutions and fps are needed")

    @staticmethod
    def resolution_text(size: tuple[int, int]) -> str:
        """``"1280x720"``: the node's spelling of a resolution."""
        return f"{size[0]}x{size[1]}"


@dataclass(frozen=True)
class PartnerPipeline(Keyed):
    """A pipeline made by one partner node (no local model files): which node, which of its
    ``model`` options, what that option can make, and where the values come from."""

    model: ModelVersion
    type: VideoTypeId
    mode: Mode
    node: str
    """The partner node's class (``"LtxApi25TextToVideo"``)."""
    options: PartnerOptions
    min_comfyui: str
    fps: int
    """The frame rate of a request that gives none."""
    template: str | None
    """The Comfy-Org template it matches (None: :attr:`source` says where it comes from)."""
    source: str = ""
    images: frozenset[InputFile] = frozenset()
    """The input images the node takes (the first frame, the last)."""
    image_inputs: tuple[tuple[InputFile, str], ...] = ()
    """``(image, the node's input)`` for each of :attr:`images`."""

    def __post_init__(self) -> None:
        where = f"pipeline {self.key}"
        if self.type not in VIDEO_TYPES or self.mode not in MODES:
            raise ValueError(f"{where}: unknown type or mode")
        if self.images != IMAGES_OF_TYPE[self.type]:
            raise ValueError(f"{where}: {self.type} takes other images")
        if {image for image, _ in self.image_inputs} != self.images:
            raise ValueError(f"{where}: each image needs the node input it goes to")
        if parse_version(self.min_comfyui) is None:
            raise ValueError(f"{where}: min_comfyui {self.min_comfyui!r} is not a version")
        if self.fps not in self.options.fps:
            raise ValueError(f"{where}: fps {self.fps} is not one of {self.options.fps}")
        if self.template is None and not self.source:
            raise ValueError(f"{where}: without a template, say where the values come from")

    @property
    def model_files(self) -> tuple[tuple[str, str], ...]:
        """None: the model runs on the partner's servers."""
        return ()

    @property
    def audio(self) -> None:
        """No given audio drives it (as :attr:`Pipeline.audio`)."""
        return None

    @property
    def control(self) -> None:
        """No given video steers it (as :attr:`Pipeline.control`)."""
        return None

    @property
    def needs_image(self) -> bool:
        return bool(self.images)

    def runs_on(self, comfyui_version: str | None) -> bool:
        """Whether a ComfyUI release is at least :attr:`min_comfyui` (an unknown version
        passes: the server's own checks decide)."""
        have, need = parse_version(comfyui_version), parse_version(self.min_comfyui)
        return have is None or need is None or have >= need


_LANDSCAPE_HD = ((1280, 720), (1920, 1080))
_PORTRAIT_HD = ((720, 1280), (1080, 1920))
FAST = PartnerOptions(
    label="LTX-2.5 (Fast)",
    durations=(2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20),
    resolutions=(_LANDSCAPE_HD[0], _PORTRAIT_HD[0], _LANDSCAPE_HD[1], _PORTRAIT_HD[1],
                 (2560, 1440), (1440, 2560), (3840, 2160), (2160, 3840)),
    fps=(24, 25, 48, 50),
)
PRO = PartnerOptions(
    label="LTX-2.5 (Pro)",
    durations=(2, 3, 4, 5, 6, 8, 10),
    resolutions=(_LANDSCAPE_HD[0], _PORTRAIT_HD[0], _LANDSCAPE_HD[1], _PORTRAIT_HD[1]),
    fps=(24, 25, 50),
)
OPTIONS: dict[Mode, PartnerOptions] = {"fast": FAST, "pro": PRO}

TEXT_TO_VIDEO = "LtxApi25TextToVideo"
IMAGE_TO_VIDEO = "LtxApi25ImageToVideo"
PARTNER_NODES = (TEXT_TO_VIDEO, IMAGE_TO_VIDEO)
"""The partner nodes these pipelines use (``ltx2 check`` asks the server for them)."""

# each type's template: its mode is the template's own option, the other mode the same graph
_TEMPLATES: dict[VideoTypeId, tuple[str, Mode]] = {
    "t2v": ("api_ltx2_5_t2v", "pro"),
    "i2v": ("api_ltx2_5_i2v", "fast"),
    "flf2v": ("api_ltx2_5_flf2v", "pro"),
}
_FIRST, _LAST = IMAGE_INPUTS


def _declare(type: VideoTypeId, mode: Mode) -> PartnerPipeline:
    template, template_mode = _TEMPLATES[type]
    node = TEXT_TO_VIDEO if type == "t2v" else IMAGE_TO_VIDEO
    inputs = {"t2v": (), "i2v": ((_FIRST, "image"),),
              "flf2v": ((_FIRST, "image"), (_LAST, "last_frame"))}[type]
    return PartnerPipeline(
        model=LTX2_5_API, type=type, mode=mode, node=node, options=OPTIONS[mode],
        min_comfyui=MIN_COMFYUI, fps=FPS,
        template=template if mode == template_mode else None,
        source="" if mode == template_mode else
        f"{template} with the node's other model option, {OPTIONS[mode].label!r}",
        images=IMAGES_OF_TYPE[type], image_inputs=inputs)


PIPELINES: tuple[PartnerPipeline, ...] = tuple(
    _declare(type, mode) for type in _TEMPLATES for mode in OPTIONS)
"""Every hosted LTX-2.5 pipeline, by type then mode."""

BY_KEY: dict[PipelineKey, PartnerPipeline] = {p.key: p for p in PIPELINES}


def template_of(type: VideoTypeId) -> tuple[str, Mode]:
    """``(template, the mode it uses)`` of a type."""
    return _TEMPLATES[type]
