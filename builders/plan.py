"""Turning a request into the exact numbers a pipeline runs with.

LTX-2 needs frame counts of 8n+1 and, for two-stage pipelines, sizes divisible by
64. ComfyUI's nodes silently floor anything else (the official template turns
1280x720 into 1280x704 without saying so). Here the nearest valid values are
chosen up front and every change is written into ``Plan.adjustments``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ltx2sdk import models

if TYPE_CHECKING:  # the request module (pydantic) loads with the first request, not here
    from ltx2sdk.request import GenerationRequest

SIZE_MULTIPLE = 64  # two stages: stage 1 runs at half size, latents are 1/32 of pixels
MIN_SIZE = 128


@dataclass(frozen=True)
class ResolvedModels:
    """The model file names a pipeline loads (defaults filled in for its mode)."""

    checkpoint: str
    text_encoder: str
    upscaler: str
    distilled_lora: str | None
    distilled_lora_strength: float
    camera_lora: str | None


@dataclass(frozen=True)
class Plan:
    """What will be produced. ``width``/``height``/``frames`` are the real output."""

    type: str
    mode: str
    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    frames: int
    fps: int
    seed: int
    enhance_prompt: bool
    camera: str
    camera_strength: float
    image_strength: float
    filename_prefix: str
    models: ResolvedModels
    requested_width: int
    requested_height: int
    adjustments: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        """Seconds of video: (frames - 1) / fps, as LTX-2 counts them."""
        return (self.frames - 1) / self.fps

    @property
    def stage1_size(self) -> tuple[int, int]:
        """Stage 1 samples at half resolution; the upsampler doubles it."""
        return self.width // 2, self.height // 2


def snap_size(value: int) -> int:
    """The nearest multiple of 64 (at least 128)."""
    return max(MIN_SIZE, round(value / SIZE_MULTIPLE) * SIZE_MULTIPLE)


def snap_frames(count: float) -> int:
    """The nearest 8n+1 frame count to ``count`` (at least 9)."""
    return max(9, 8 * round((count - 1) / 8) + 1)


def make_plan(request: GenerationRequest, *, rng: random.Random | None = None) -> Plan:
    """Resolve sizes, length, seed and model files; record every adjustment made."""
    from ltx2sdk.request import DEFAULT_DURATION_S, MAX_FRAMES  # loaded: a request exists

    notes: list[str] = []
    width, height = snap_size(request.width), snap_size(request.height)
    if (width, height) != (request.width, request.height):
        notes.append(f"size {request.width}x{request.height} -> {width}x{height} "
                     f"(two-stage LTX-2 needs multiples of {SIZE_MULTIPLE})")

    if request.frames is not None:
        wanted = float(request.frames)
    else:
        wanted = (request.duration or DEFAULT_DURATION_S) * request.fps + 1
    frames = snap_frames(wanted)
    if frames > MAX_FRAMES >= frames - 8:  # rounding up crossed the limit: round down
        frames -= 8
    if frames != wanted:
        notes.append(f"frames {wanted:g} -> {frames} (LTX-2 needs 8n+1 frames)")
    if frames > MAX_FRAMES:  # the request model refuses these; only unvalidated requests get here
        raise ValueError(f"frames: {frames} is more than the {MAX_FRAMES} the audio "
                         "latent allows")

    seed = request.seed if request.seed is not None else (rng or random.SystemRandom()).randrange(
        0, 2**32)
    choice = request.models
    return Plan(
        type=request.type,
        mode=request.mode,
        prompt=request.prompt,
        # fast runs at CFG 1, where a negative prompt has no effect: it is not encoded
        negative_prompt=request.effective_negative_prompt if request.mode == "pro" else None,
        width=width,
        height=height,
        frames=frames,
        fps=request.fps,
        seed=seed,
        enhance_prompt=request.enhance_prompt,
        camera=request.camera_lora,
        camera_strength=request.camera_strength,
        image_strength=request.image_strength,
        filename_prefix=request.filename_prefix,
        models=ResolvedModels(
            checkpoint=choice.checkpoint_for(request.mode),
            text_encoder=choice.text_encoder or models.DEFAULT_TEXT_ENCODER,
            upscaler=choice.upscaler or models.DEFAULT_UPSCALER,
            distilled_lora=(choice.distilled_lora or models.DEFAULT_DISTILLED_LORA)
            if request.mode == "pro" else None,
            distilled_lora_strength=choice.distilled_lora_strength,
            camera_lora=models.camera_lora(request.camera_lora),
        ),
        requested_width=request.width,
        requested_height=request.height,
        adjustments=tuple(notes),
    )
