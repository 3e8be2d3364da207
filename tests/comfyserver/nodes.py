"""How simulated nodes behave: progress, UI outputs, files, and run-time failures.

Nothing is computed for real. Just enough is traced through the graph (image sizes, audio
channels, primitive values) to reproduce the captured messages, e.g. ``PreviewAny`` showing
``"64"`` for a 64-pixel-wide image, or ``JoinAudioChannels`` failing on stereo inputs.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import ModelStore, NodeCatalog
from .faults import Faults
from .files import (
    CAPTURED_MP4,
    CAPTURED_PNG,
    Storage,
    write_placeholder_video,
    write_sized_file,
)
from .graph import is_link

SAMPLER_CLASSES = frozenset(
    {"SamplerCustomAdvanced", "SamplerCustom", "KSampler", "KSamplerAdvanced"}
)
# Per-frame nodes: the capture shows one update after the first frame and one at the end.
FRAME_PROGRESS_CLASSES = frozenset({"ColorTransfer"})
PRIMITIVES = frozenset({"PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean", "PrimitiveString",
                        "PrimitiveStringMultiline"})
_MEDIA_TYPES = ("IMAGE", "LATENT", "VIDEO", "MASK")
_DEFAULT_DIMS = (512, 512, 1)
# Nodes whose output has their input's frames, through an input that is not an image (MoGe's
# geometry) or whose type is only known at run time (a switch's): the inputs to follow
FRAME_PASS_THROUGH: dict[str, tuple[str, ...]] = {
    "MoGeRender": ("moge_geometry",), "MoGeInference": ("image",),
    "ComfySwitchNode": ("on_false", "on_true")}

_EXEC_FRAMES = [
    '  File "/opt/ComfyUI/execution.py", line 542, in execute\n',
    '  File "/opt/ComfyUI/execution.py", line 341, in get_output_data\n',
    '  File "/opt/ComfyUI/execution.py", line 315, in _async_map_node_over_list\n',
    '  File "/opt/ComfyUI/execution.py", line 303, in process_inputs\n',
]
_V3_FRAMES = [
    '  File "/opt/ComfyUI/comfy_api/internal/__init__.py", line 149, in wrapped_func\n',
    '  File "/opt/ComfyUI/comfy_api/latest/_io.py", line 1935, in EXECUTE_NORMALIZED\n',
]
_LOAD_TORCH_FILE = [
    '  File "/opt/ComfyUI/comfy/utils.py", line 149, in load_torch_file\n',
    '  File "/opt/ComfyUI/comfy/utils.py", line 133, in load_torch_file\n',
]
# Captured: CheckpointLoaderSimple on a 0-byte .safetensors file.
PARTNER_VIDEO_CLASSES = frozenset({"LtxApi25TextToVideo", "LtxApi25ImageToVideo"})
PARTNER_UNAUTHORIZED = "Unauthorized: Please login first to use this node.\n"
"""What a partner node raises when Comfy's API refuses a call without a key (HTTP 401)."""
_PARTNER_FRAMES = [
    '  File "/opt/ComfyUI/comfy_api_nodes/nodes_ltxv.py", line 297, in execute\n',
    '  File "/opt/ComfyUI/comfy_api_nodes/util/client.py", line 1091, in _request_base\n'
    "    raise Exception(msg)\n",
]
SAFETENSORS_ERROR = "safetensors._safetensors_rust.SafetensorError"
SAFETENSORS_MESSAGE = "Error while deserializing header: header too small\n"
_CHECKPOINT_FRAMES = [
    '  File "/opt/ComfyUI/nodes.py", line 606, in load_checkpoint\n',
    '  File "/opt/ComfyUI/comfy/sd.py", line 1787, in load_checkpoint_guess_config\n',
]


@dataclass
class Simulation:
    """How long things take and what gets written. Mutable while the server runs."""

    sampler_steps: int | None = 4
    """``progress`` updates (value 1..N, max N) each sampler node sends; ``None``: as many
    as the graph gives it, as ComfyUI does (see :meth:`NodeSimulator.graph_steps`)."""
    step_delay: float = 0.0
    """Seconds between progress updates (an interrupt cuts the wait short)."""
    sampler_classes: frozenset[str] = SAMPLER_CLASSES
    output_bytes: int | None = None
    """Size of each video SaveVideo writes; None writes the captured 2185-byte mp4."""
    video_template: Path = field(default=CAPTURED_MP4)
    video_length: bool = False
    """SaveVideo writes a real mp4 as long as the graph's video (its frames at its
    ``CreateVideo``'s frame rate) instead of the captured one; ``output_bytes`` wins."""
    # What makes a batch's scheduling matter (see tests/comfyserver/workload.py); all off by
    # default, and live like the rest.
    model_load_seconds: float = 0.0
    """Seconds a prompt takes to load its model set (the file names its loaders name, see
    :func:`~tests.comfyserver.workload.model_set`) when that set is not among the kept ones;
    paid once, by the first node that runs (its loader, as a rule), and logged in
    ``state.stats``."""
    models_kept: int = 1
    """Model sets kept loaded, the least recently used dropped first (ComfyUI keeps what
    fits in memory: about one LTX-2 set on a 48-80 GB GPU)."""
    job_seconds: float = 0.0
    """Run time of each prompt, spread evenly over its sampler steps (on top of
    ``step_delay``; as one wait before its first node when it has no sampler step to run;
    a prompt whose every node is cached takes none). Interruptible, like the steps."""
    upload_bytes_per_s: float | None = None
    """Bandwidth cap on ``POST /upload/image`` bodies (None: as fast as loopback goes)."""
    download_bytes_per_s: float | None = None
    """Bandwidth cap on ``GET /view`` bodies (``output_bytes`` makes videos big enough to
    matter); a capped answer is streamed and does not honour ``Range``."""


def _probe_video(path: Path) -> tuple[int, int, int, float] | None:
    """``(width, height, frames, fps)`` of a video file, its frames counted by decoding (a
    container's own count can be missing); None when PyAV cannot read it."""
    import av  # only a stand-in asked for videos of the graph's length reads its inputs

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            frames = sum(1 for _ in container.decode(stream))
            width, height = stream.codec_context.width, stream.codec_context.height
    except (av.FFmpegError, IndexError, OSError):
        return None
    if not rate or not frames:
        return None
    return width, height, frames, float(rate)


class NodeFailure(Exception):
    """A node raised while running: becomes an ``execution_error`` message."""

    def __init__(
        self,
        exception_type: str,
        message: str,
        traceback: list[str],
        current_inputs: dict[str, list[Any]],
    ) -> None:
        super().__init__(message)
        self.exception_type = exception_type
        self.message = message
        self.traceback = traceback
        self.current_inputs = current_inputs


class NodeSimulator:
    """Behaviour of the nodes of one prompt."""

    def __init__(
        self,
        prompt: dict[str, Any],
        catalog: NodeCatalog,
        storage: Storage,
        sim: Simulation,
        faults: Faults,
        *,
        signed_in: bool = False,
    ) -> None:
        self.prompt = prompt
        self.catalog = catalog
        self.storage = storage
        self.sim = sim
        self.faults = faults
        self.signed_in = signed_in  # a Comfy account key came with the prompt
        self._probed: dict[str, tuple[int, int, int, float] | None] = {}  # file -> its video

    def class_of(self, node_id: str) -> str:
        return str(self.prompt[node_id]["class_type"])

    # -- tracing simulated values -------------------------------------------------------------

    def output_type(self, node_id: str, slot: int) -> str:
        types = self.catalog.return_types(self.class_of(node_id))
        return str(types[slot]) if slot < len(types) else "*"

    def media_dims(self, node_id: str, depth: int = 0) -> tuple[int, int, int]:
        """(width, height, frames) of the image/latent/video a node outputs."""
        node = self.prompt[node_id]
        inputs = node["inputs"]
        if node["class_type"] == "EmptyImage":
            return (int(inputs["width"]), int(inputs["height"]), int(inputs["batch_size"]))
        if node["class_type"] == "EmptyLTXVLatentVideo":
            # LTX-2's latent holds 8n+1 frames: ComfyUI floors any other length
            length = max(1, self.number(inputs["length"]))
            return (self.number(inputs["width"]), self.number(inputs["height"]),
                    8 * ((length - 1) // 8) + 1)
        if node["class_type"] in ("LoadVideo", "Video Slice"):
            found = self.video_source(node_id, depth)
            if found is not None:
                return found[:3]
        if node["class_type"] == "ImageFromBatch" and is_link(inputs.get("image")):
            width, height, frames = self.media_dims(inputs["image"][0], depth + 1)
            start = min(max(0, self.number(inputs.get("batch_index", 0))), frames - 1)
            length = max(1, self.number(inputs.get("length", 1)))
            return (width, height, min(length, frames - start))
        through = [inputs[name] for name in FRAME_PASS_THROUGH.get(node["class_type"], ())
                   if is_link(inputs.get(name))]
        if through and depth < 50:
            return self.media_dims(through[0][0], depth + 1)
        if depth < 50:
            for value in inputs.values():
                if is_link(value) and self.output_type(value[0], value[1]) in _MEDIA_TYPES:
                    return self.media_dims(value[0], depth + 1)
        return _DEFAULT_DIMS

    def video_source(self, node_id: str, depth: int = 0
                     ) -> tuple[int, int, int, float] | None:
        """``(width, height, frames, fps)`` of the video a ``LoadVideo`` loads (the file in
        the input folder, opened with PyAV) or a ``Video Slice`` cuts from one (the frames
        whose times fall in ``start_time`` to ``start_time + duration``, at the file's
        frame rate). Only with :attr:`Simulation.video_length` (other runs need no real
        files); None when it cannot be told."""
        node = self.prompt[node_id]
        inputs = node["inputs"]
        if not self.sim.video_length or depth > 50:
            return None
        if node["class_type"] == "LoadVideo":
            name = inputs.get("file")
            return self.probe_input_video(name) if isinstance(name, str) else None
        source = inputs.get("video")
        if node["class_type"] != "Video Slice" or not is_link(source):
            return None
        found = self.video_source(source[0], depth + 1)
        start, seconds = inputs.get("start_time"), inputs.get("duration")
        if (found is None or not isinstance(start, (int, float))
                or not isinstance(seconds, (int, float))):
            return found
        width, height, frames, fps = found
        # a frame is in the cut when its time is; a hair's tolerance for float seconds
        first = min(math.ceil(start * fps - 1e-6), frames)
        count = math.ceil((start + seconds) * fps - 1e-6) - first
        return width, height, max(0, min(count, frames - first)), fps

    def probe_input_video(self, name: str) -> tuple[int, int, int, float] | None:
        """``(width, height, frames, fps)`` of ``name`` in the input folder (decoded once per
        prompt); None when it is not there or not a video PyAV reads."""
        if name in self._probed:
            return self._probed[name]
        folder = self.storage.input_dir.resolve()
        path = (folder / name).resolve()
        found = None
        if path.is_relative_to(folder) and path.is_file():
            found = _probe_video(path)
        self._probed[name] = found
        return found

    def number(self, value: Any) -> int:
        """A whole-number input: given, or what flows through its link (a ``GetImageSize``
        output, a primitive: :meth:`value`); 1 when that cannot be told."""
        traced = self.value(value) if is_link(value) else value
        return int(traced) if isinstance(traced, (int, float)) else 1

    def video_length(self, video: Any) -> tuple[int, float] | None:
        """``(frames, fps)`` of the VIDEO ``video`` links to, when it comes from a
        ``CreateVideo`` whose frame rate is a number (frames traced like
        :meth:`media_dims`), or from a hosted LTX-2.5 node (its ``model.duration`` seconds at
        its ``model.fps``, and a frame more, as the SDK counts them)."""
        if is_link(video) and self.class_of(video[0]) in PARTNER_VIDEO_CLASSES:
            inputs = self.prompt[video[0]]["inputs"]
            try:
                seconds, rate = int(inputs["model.duration"]), int(inputs["model.fps"])
            except (KeyError, TypeError, ValueError):
                return None
            return seconds * rate + 1, float(rate)
        if not is_link(video) or self.class_of(video[0]) != "CreateVideo":
            return None
        inputs = self.prompt[video[0]]["inputs"]
        fps = inputs.get("fps")
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or fps <= 0:
            return None
        images = inputs.get("images")
        frames = self.media_dims(images[0])[2] if is_link(images) else 1
        return frames, float(fps)

    def audio_info(self, node_id: str, depth: int = 0) -> tuple[int, int]:
        """(channels, sample_rate) of the audio a node outputs."""
        node = self.prompt[node_id]
        inputs = node["inputs"]
        if node["class_type"] == "EmptyAudio":
            return (int(inputs.get("channels", 2)), int(inputs.get("sample_rate", 44100)))
        if node["class_type"] == "JoinAudioChannels":
            return (2, self.audio_info(inputs["audio_left"][0], depth + 1)[1])
        if depth < 50:
            for value in inputs.values():
                if is_link(value) and self.output_type(value[0], value[1]) == "AUDIO":
                    return self.audio_info(value[0], depth + 1)
        return (2, 44100)

    def value(self, link: list[Any]) -> Any:
        """The value flowing through a link, where the simulation knows it."""
        source, slot = link
        class_type = self.class_of(source)
        inputs = self.prompt[source]["inputs"]
        if class_type in PRIMITIVES and not is_link(inputs.get("value")):
            return inputs.get("value")
        if class_type == "GetImageSize" and is_link(inputs.get("image")):
            return self.media_dims(inputs["image"][0])[slot]
        kind = self.output_type(source, slot)
        if kind == "AUDIO":
            channels, rate = self.audio_info(source)
            rows = ",\n         ".join("[0., 0., 0.,  ..., 0., 0., 0.]" for _ in range(channels))
            return f"{{'waveform': tensor([[{rows}]]), 'sample_rate': {rate}}}"
        if kind in _MEDIA_TYPES:
            width, height, frames = self.media_dims(source)
            return f"<{kind} {frames}x{height}x{width} from node {source}>"
        return f"<{kind} from node {source}>"

    def current_inputs(self, node_id: str) -> dict[str, list[Any]]:
        """``current_inputs`` of an ``execution_error``: every input, non-primitives as str."""
        shown: dict[str, list[Any]] = {}
        for name, value in self.prompt[node_id]["inputs"].items():
            item = self.value(value) if is_link(value) else value
            if not isinstance(item, (str, int, float, bool)) and item is not None:
                item = str(item)
            shown[name] = [item]
        return shown

    # -- behaviour ----------------------------------------------------------------------------

    def failure(self, node_id: str, models: ModelStore) -> NodeFailure | None:
        """The exception this node raises when run, if any."""
        class_type = self.class_of(node_id)
        inputs = self.prompt[node_id]["inputs"]
        frames = _EXEC_FRAMES + (_V3_FRAMES if self.catalog.is_v3(class_type) else [])
        if self.faults.error_at_class == class_type:
            return NodeFailure(
                self.faults.error_type,
                f"{self.faults.error_message}\n",
                [*frames, '  File "/opt/ComfyUI/comfyserver_fault.py", line 1, in execute\n'],
                self.current_inputs(node_id),
            )
        if self.takes_partner_key(class_type) and not self.signed_in:
            # as ComfyUI's partner nodes fail when Comfy's API answers 401 to a call made
            # without a key (comfy_api_nodes/util/client.py, _friendly_http_message)
            return NodeFailure("Exception", PARTNER_UNAUTHORIZED,
                               [*frames, *_PARTNER_FRAMES], self.current_inputs(node_id))
        for (loader, input_name), folders in self.catalog.model_combos.items():
            name = inputs.get(input_name)
            if loader != class_type or not isinstance(name, str):
                continue
            folder = models.folder_of(folders, name)
            if folder is not None and models.is_placeholder(folder, name):
                own = _CHECKPOINT_FRAMES if class_type == "CheckpointLoaderSimple" else []
                return NodeFailure(
                    SAFETENSORS_ERROR,
                    SAFETENSORS_MESSAGE,
                    [*frames, *own, *_LOAD_TORCH_FILE],
                    self.current_inputs(node_id),
                )
        if class_type == "JoinAudioChannels":
            channels = [
                self.audio_info(inputs[k][0])[0]
                for k in ("audio_left", "audio_right")
                if is_link(inputs.get(k))
            ]
            if any(c != 1 for c in channels):
                return NodeFailure(
                    "ValueError",
                    "AudioJoin: Both input audios must be mono.\n",
                    [
                        *frames,
                        '  File "/opt/ComfyUI/comfy_extras/nodes_audio.py", line 545, in execute\n',
                    ],
                    self.current_inputs(node_id),
                )
        return None

    def takes_partner_key(self, class_type: str) -> bool:
        """Whether the node is a partner node: its schema has the hidden Comfy account key."""
        hidden = self.catalog.info(class_type).get("input", {}).get("hidden", {})
        return "api_key_comfy_org" in hidden

    def progress_plan(self, node_id: str) -> list[tuple[int, int]]:
        """The (value, max) pairs of the node's ProgressBar updates."""
        class_type = self.class_of(node_id)
        if class_type in self.sim.sampler_classes:
            count = self.sim.sampler_steps
            steps = max(self.graph_steps(node_id) if count is None else count, 0)
            return [(i, steps) for i in range(1, steps + 1)]
        if class_type in FRAME_PROGRESS_CLASSES:
            target = self.prompt[node_id]["inputs"].get("image_target")
            frames = self.media_dims(target[0])[2] if is_link(target) else 1
            return [(1, frames)] + ([(frames, frames)] if frames > 1 else [])
        return []

    def graph_steps(self, node_id: str) -> int:
        """A sampler's steps as the graph gives them: its sigmas' count less one (a
        ``ManualSigmas`` string, or its scheduler's ``steps``), else its own ``steps``; 20
        when none is a number."""
        inputs = self.prompt[node_id]["inputs"]
        if is_link(inputs.get("sigmas")):
            inputs = self.prompt[inputs["sigmas"][0]]["inputs"]
        sigmas = inputs.get("sigmas")
        if isinstance(sigmas, str):
            return max(1, len(re.findall(r"[-+]?\d*\.?\d+(?:e[-+]?\d+)?", sigmas)) - 1)
        steps = inputs.get("steps")
        return steps if isinstance(steps, int) and steps > 0 else 20

    def progress_text(self, node_id: str) -> str | None:
        """Text a node pushes with ``send_progress_text`` (a binary TEXT frame)."""
        inputs = self.prompt[node_id]["inputs"]
        if self.class_of(node_id) == "GetImageSize" and is_link(inputs.get("image")):
            width, height, frames = self.media_dims(inputs["image"][0])
            return f"width: {width}, height: {height}\n batch size: {frames}"
        return None

    async def ui_output(self, node_id: str) -> dict[str, Any] | None:
        """Run the node's side effects and return its UI dict (None: no ``executed``)."""
        class_type = self.class_of(node_id)
        inputs = self.prompt[node_id]["inputs"]
        if class_type == "SaveVideo":
            saved = self.storage.next_save_path(str(inputs["filename_prefix"]), "mp4")
            length = (self.video_length(inputs.get("video"))
                      if self.sim.video_length and self.sim.output_bytes is None else None)
            if length is not None:
                await asyncio.to_thread(write_placeholder_video, saved.path, *length)
            else:
                template = self.sim.video_template.read_bytes()
                await asyncio.to_thread(write_sized_file, saved.path, template,
                                        self.sim.output_bytes)
            item = {"filename": saved.filename, "subfolder": saved.subfolder, "type": "output"}
            return {"images": [item], "animated": [True]}
        if class_type in ("SaveImage", "PreviewImage"):
            if class_type == "SaveImage":
                prefix, kind = str(inputs["filename_prefix"]), "output"
            else:
                suffix = "".join(random.choices(string.ascii_lowercase, k=5))
                prefix, kind = f"ComfyUI_temp_{suffix}", "temp"
            saved = self.storage.next_save_path(prefix, "png", kind)
            write_sized_file(saved.path, CAPTURED_PNG.read_bytes(), None)
            return {"images": [{"filename": saved.filename, "subfolder": saved.subfolder,
                                "type": kind}]}
        if class_type == "PreviewAny":
            source = inputs.get("source")
            shown = self.value(source) if is_link(source) else source
            return {"text": [shown if isinstance(shown, str) else str(shown)]}
        return None
