"""The words every layer shares: models, video types, modes, which (model, type, mode) a
pipeline makes, camera motions, the input files a request can carry, the limits of a video's
length and of a prompt, and the codes of the request model's own rules.

Each word list is declared here once, as a ``Literal`` (what type checkers and the request
model's JSON Schema see), with its tuple derived from it (argparse choices, loops, checks).
The request model (:mod:`ltx2sdk.request`), the model file catalog, the CLI and the pipeline
catalog (:mod:`builders.catalog`) take them from here. This module imports only the standard
library and :mod:`ltx2sdk.errors`: code that must not load pydantic (the CLI's parser,
``builders``) can use every word. How a number is written as text (a CLI flag,
``model_validate_strings``) is here too, so that every entry point reads it alike
(:func:`number_from_text`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from ltx2sdk.errors import RequestFieldError

# --- what a request asks for ----------------------------------------------------------------

ModelId = Literal["ltx-2", "ltx-2.3", "ltx-2.5", "ltx-2.5-api"]
"""A model, as requests name it (the request field ``model``): LTX-2 19B, LTX-2.3, LTX-2.5, and
LTX-2.5 hosted by Lightricks (made through ComfyUI's partner nodes, paid by a Comfy account)."""
MODEL_IDS: tuple[ModelId, ...] = get_args(ModelId)
"""Every model, oldest first (``builders.catalog`` declares a pipeline set for each)."""
DEFAULT_MODEL: ModelId = "ltx-2"
"""The model of a request that names none."""

VideoTypeId = Literal["t2v", "i2v", "flf2v", "ia2v", "id2v", "ref2v", "canny2v", "depth2v"]
"""What a video is made from (the request field ``type``): text; a first frame; a first and a
last frame; a first frame and a voice to lip-sync; a first frame and a recording of the voice
the person speaks with (id2v: identity, an ID-LoRA); a reference sheet, one image of the
characters, props and places to keep (ref2v, an IC-LoRA); a video whose edges (canny2v) or depth
(depth2v) steer the new one, with a first frame or without (each with the prompt)."""
VIDEO_TYPES: tuple[VideoTypeId, ...] = get_args(VideoTypeId)
"""Every video type."""

Mode = Literal["fast", "pro", "lora"]
"""Which variant of a model runs (the request field ``mode``): the distilled one, few steps at
CFG 1 (fast), the dev model with real CFG guidance (pro), or the dev model made fast by the
distilled LoRA (lora: 12 steps at CFG 1, the base Comfy-Org's effect-LoRA template
``video_ltx2_i2v_lora`` runs effect LoRAs on, as they are trained on the dev model)."""
MODES: tuple[Mode, ...] = get_args(Mode)
"""Every mode."""
BOTH_MODES: tuple[Mode, ...] = ("fast", "pro")
"""What ``both`` means where modes are listed or checked (``ltx2 check``, ``ltx2 models``, the
Docker image's ``MODELS``): the distilled and the dev model. ``lora`` (its own 64 GB of bf16
files, for one template) is checked or downloaded when asked for by name."""

PIPELINES_MADE: tuple[tuple[ModelId, VideoTypeId, Mode], ...] = (
    ("ltx-2", "t2v", "fast"), ("ltx-2", "t2v", "pro"), ("ltx-2", "i2v", "fast"),
    ("ltx-2", "i2v", "pro"), ("ltx-2", "i2v", "lora"), ("ltx-2", "flf2v", "fast"),
    ("ltx-2", "canny2v", "fast"),
    ("ltx-2", "canny2v", "pro"), ("ltx-2", "depth2v", "fast"), ("ltx-2", "depth2v", "pro"),
    ("ltx-2.3", "t2v", "fast"), ("ltx-2.3", "t2v", "pro"), ("ltx-2.3", "i2v", "fast"),
    ("ltx-2.3", "i2v", "pro"), ("ltx-2.3", "flf2v", "fast"), ("ltx-2.3", "ia2v", "fast"),
    ("ltx-2.3", "id2v", "fast"), ("ltx-2.3", "ref2v", "fast"), ("ltx-2.3", "depth2v", "fast"),
    ("ltx-2.5", "t2v", "fast"), ("ltx-2.5", "i2v", "fast"), ("ltx-2.5", "flf2v", "fast"),
    ("ltx-2.5-api", "t2v", "fast"), ("ltx-2.5-api", "t2v", "pro"),
    ("ltx-2.5-api", "i2v", "fast"), ("ltx-2.5-api", "i2v", "pro"),
    ("ltx-2.5-api", "flf2v", "fast"), ("ltx-2.5-api", "flf2v", "pro"),
)
"""Every (model, type, mode) there is a pipeline for, in the catalog's order. The request
model refuses any other combination when a request is made (it may not import the builders);
:mod:`builders.catalog` declares exactly these (a test holds the two equal) and words a
missing one with :func:`missing_pipeline` too."""


def missing_pipeline(model: str, type: str, mode: str,
                     made: Iterable[tuple[str, str, str]] = PIPELINES_MADE
                     ) -> tuple[str, str] | None:
    """``None`` when ``made`` (default :data:`PIPELINES_MADE`) has ``(model, type, mode)``;
    else ``(field, reason)``: the request field that has no pipeline (``model``, ``type`` or
    ``mode``) and why, saying what there is instead (``("mode", "model ltx-2.5 has no 'pro'
    mode: it ships a distilled model only (t2v has: fast)")``)."""
    made = tuple(made)
    if (model, type, mode) in made:
        return None
    same_model = [k for k in made if k[0] == model]
    if not same_model:
        models = ", ".join(dict.fromkeys(k[0] for k in made))
        return "model", f"no pipelines for {model!r} (there are: {models})"
    same_type = [k for k in same_model if k[1] == type]
    if not same_type:
        types = ", ".join(dict.fromkeys(k[1] for k in same_model))
        return "type", f"model {model} has no {type!r} pipeline (it has {types})"
    modes = ", ".join(k[2] for k in same_type)
    if not any(k[2] == mode for k in same_model):
        reason = f"no {mode!r} mode at all"
        if mode == "pro":
            reason = "no 'pro' mode: it ships a distilled model only"
        return "mode", f"model {model} has {reason} ({type} has: {modes})"
    return "mode", f"model {model} has no {mode!r} mode for {type} (it has: {modes})"


CameraMotion = Literal["none", "static", "dolly_in", "dolly_out", "dolly_left", "dolly_right",
                       "jib_up", "jib_down"]
"""A camera motion LoRA (the request field ``camera_lora``); ``none`` loads none."""
CAMERA_MOTIONS: tuple[CameraMotion, ...] = get_args(CameraMotion)
"""Every camera motion, ``none`` first."""

# --- the input files ---------------------------------------------------------------------------

InputKind = Literal["image", "audio", "video"]
"""What an input file is: it is decoded and checked as one."""


@dataclass(frozen=True)
class InputFile:
    """One input file of a request (an image, the audio): the three request fields it can come
    from (a request gives at most one), the video types that use it, and what it is.

    ``file`` names a file already in ComfyUI's input folder, ``url`` an http(s) URL to fetch,
    ``base64`` the file itself (base64 or a ``data:`` URI); ``file`` is also the input's name
    (errors and pipelines call it so). ``noun`` is how messages call it. A type in ``types``
    needs it, unless it is also in ``optional_for``.
    """

    noun: str
    file: str
    url: str
    base64: str
    types: tuple[VideoTypeId, ...]
    kind: InputKind = "image"
    optional_for: tuple[VideoTypeId, ...] = ()
    """The types (of :attr:`types`) that use it when given and do without it otherwise."""

    def needed_by(self, video_type: str) -> bool:
        """Whether a request of ``video_type`` must give it."""
        return video_type in self.types and video_type not in self.optional_for

    @property
    def fields(self) -> tuple[str, str, str]:
        """Its fields, in the order messages list them."""
        return (self.url, self.base64, self.file)

    def given(self, request: object) -> list[str]:
        """The fields of this input that ``request`` (a
        :class:`~ltx2sdk.request.GenerationRequest`) sets."""
        return [name for name in self.fields if getattr(request, name) is not None]

    def wanted_by(self, video_type: str) -> str:
        """How messages ask for it in a request of ``video_type``: ``an image`` (the one image
        of i2v and ia2v), ``a first image`` or ``a last image`` (flf2v's two), ``an audio
        file`` (id2v's: ``an audio file of the voice to keep``)."""
        if self is FIRST_IMAGE and video_type in LAST_IMAGE.types:  # two images: say which
            return "a first image"
        purpose = " of the voice to keep" if self is AUDIO and video_type == "id2v" else ""
        return f"{'an' if self.noun[0] in 'aeiou' else 'a'} {self.noun}{purpose}"


CONTROL_TYPES: tuple[VideoTypeId, ...] = ("canny2v", "depth2v")
"""The types a video steers (IC-LoRA control): its frames, turned into edges or depth, guide the
first stage."""
FIRST_IMAGE = InputFile("image", "image", "image_url", "image_base64",
                        ("i2v", "flf2v", "ia2v", "id2v", "ref2v", *CONTROL_TYPES),
                        optional_for=CONTROL_TYPES)
LAST_IMAGE = InputFile("last image", "last_image", "last_image_url", "last_image_base64",
                       ("flf2v",))
# ia2v: the soundtrack, kept; id2v: a recording of the voice to speak with (new speech)
AUDIO = InputFile("audio file", "audio", "audio_url", "audio_base64", ("ia2v", "id2v"),
                  kind="audio")
VIDEO = InputFile("video", "video", "video_url", "video_base64", CONTROL_TYPES, kind="video")
IMAGE_INPUTS = (FIRST_IMAGE, LAST_IMAGE)
"""Every input image a request can carry, first frame first."""
INPUT_FILES = (*IMAGE_INPUTS, AUDIO, VIDEO)
"""Every input file a request can carry: the images, the audio, then the video."""

# --- the limits ------------------------------------------------------------------------------

MAX_DURATION_S = 20.0
"""The longest video, in seconds."""
DEFAULT_DURATION_S = 10.0
"""The length of a request that gives none (and no audio to follow)."""
MAX_FRAMES = 1000
"""The most frames of a video: ``LTXVEmptyLatentAudio.frames_number``'s maximum."""
MIN_FRAMES = 9
"""The shortest video, in frames (8n+1): a ``frames`` or ``duration`` under it is refused."""
MAX_PROMPT_CHARS = 20_000
"""The longest prompt (and negative prompt), in characters."""


def check_length(frames: int | None, duration: float | None, fps: int) -> None:
    """Refuse a length over :data:`MAX_DURATION_S` or over :data:`MAX_FRAMES` at ``fps``
    (a :class:`~ltx2sdk.errors.RequestFieldError` naming ``frames`` or ``duration``)."""
    if frames is not None and (frames - 1) / fps > MAX_DURATION_S:
        raise RequestFieldError("frames", f"{frames} frames at {fps} fps is longer than "
                                          f"{MAX_DURATION_S:g} s")
    if frames is None and duration is not None and duration * fps + 1 < MIN_FRAMES:
        # as frames under 9 are refused: the shortest video is 9 frames, (9 - 1) / fps s
        shortest = math.ceil((MIN_FRAMES - 1) / fps * 1000) / 1000  # rounded up: it is enough
        raise RequestFieldError("duration", f"at least {shortest:g} s at {fps} fps "
                                            f"({MIN_FRAMES} frames, the fewest), not "
                                            f"{duration:g} s")
    if frames is None:
        wanted = (duration or DEFAULT_DURATION_S) * fps + 1
        if wanted > MAX_FRAMES:
            raise RequestFieldError("duration", f"{duration or DEFAULT_DURATION_S:g} s at "
                                                f"{fps} fps is {wanted:g} frames; LTX-2's audio "
                                                f"latent allows at most {MAX_FRAMES}")


# --- the request model's own rules -------------------------------------------------------------

RequestRule = Literal["input_not_used", "input_missing", "one_source_only", "one_length_only",
                      "length_over_limit", "unknown_model_file", "no_pipeline", "type_needed"]
"""The request model's own rules, whose errors are not located at the one field at fault (a
field's type, bounds and file name are: their ``loc`` names it). A broken rule is an error of
a :class:`~ltx2sdk.errors.RequestError` whose ``type`` is the rule and whose ``ctx`` holds the
fields concerned, so that an entry point can name them its own way (the CLI: by flag) without
reading the message:

- ``input_not_used``: ``input`` (an :class:`InputFile`'s :attr:`~InputFile.file`), ``field``
  (the field of it given), ``type`` (the request's, which does not use it)
- ``input_missing``: ``input``, ``type`` (the request's, which needs it), ``inferred_from``
  (the input field that made the type when none was given, else ``None``)
- ``one_source_only``: ``input``, ``fields`` (those of it given, in message order)
- ``one_length_only``: ``fields`` (``duration`` and ``frames``, both given)
- ``length_over_limit``: ``field`` (``frames`` or ``duration``), ``reason``
- ``unknown_model_file``: ``field`` (of the ``models`` object: ``checkpoint``, ...),
  ``reason``; the error is located at ``models``
- ``no_pipeline``: ``field`` (``model``, ``type`` or ``mode``: the one without a pipeline),
  ``model``, ``type``, ``mode``, ``inferred_from`` (as for ``input_missing``), ``reason``
  (what there is instead: :func:`missing_pipeline`)
- ``type_needed``: ``input`` (the input file that several types use, given without a type),
  ``field`` (the field of it given), ``types`` (those it could be)
"""
REQUEST_RULES: tuple[RequestRule, ...] = get_args(RequestRule)
"""Every rule code."""


# --- a number written as text ------------------------------------------------------------------

WHOLE_NUMBER_FORM = "ASCII digits 0-9, no spaces, such as 42"
"""How a whole number is written as text (:func:`number_from_text`), as a message says it."""
NUMBER_FORM = "ASCII digits 0-9, no spaces, such as 5 or 0.8"
"""How a number is written as text (:func:`number_from_text`), as a message says it."""

# [0-9], not \d (every script's digits, which int() and float() read too); no "_", no "+",
# no spaces, no nan or inf: what JSON writes, and a leading or trailing "." (.5, 5.)
_WHOLE_NUMBER_TEXT = re.compile(r"-?[0-9]+")
_NUMBER_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_MOST_DIGITS = 100  # far past any limit (a seed has 20); int() refuses over 4300 anyway


def number_from_text(text: str, *, whole: bool) -> int | float:
    """The number ``text`` writes, by the rule of every entry point where a number comes as
    text (a CLI flag such as ``--seed 42``, ``model_validate_strings``): ASCII digits 0-9, a
    leading ``-``, for a number that may have a fraction a decimal point and an exponent
    (``0.8``, ``.5``, ``1e3``); no spaces around it, no ``_``, no ``+``, no ``nan`` or
    ``inf``, no other script's digits (Python's ``int()`` and ``float()`` take all of these:
    ``int(" ٤٢ ")`` is 42). An ``int`` when ``whole`` (digits only: ``42.0`` is refused),
    else a finite ``float``.

    A :class:`ValueError` otherwise, saying the form (:data:`WHOLE_NUMBER_FORM`,
    :data:`NUMBER_FORM`) and not the text: the caller names where it came from."""
    form = WHOLE_NUMBER_FORM if whole else NUMBER_FORM
    kind = "a whole number" if whole else "a number"
    pattern = _WHOLE_NUMBER_TEXT if whole else _NUMBER_TEXT
    if len(text) > _MOST_DIGITS or pattern.fullmatch(text) is None:
        raise ValueError(f"not {kind} ({form})")
    if whole:
        return int(text)
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise ValueError(f"not a finite number ({form})")
    return value
