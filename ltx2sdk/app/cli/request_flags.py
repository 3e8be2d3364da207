"""The request flags shared by ``ltx2 build`` and ``ltx2 generate``, and their errors.

Every field of :class:`~ltx2sdk.request.GenerationRequest` has a flag named like it
(``camera_lora`` is ``--camera-lora``, ``--camera`` for short); the ``models`` overrides
are ``--checkpoint``, ``--text-encoder``, ``--upscaler``, ``--distilled-lora`` and
``--distilled-lora-strength``. Errors name the flag the value came from (the field, for a
value from ``--request FILE.json`` or ``--example``). A number flag reads its text by the
request's one rule (:func:`~ltx2sdk.vocabulary.number_from_text`: ASCII digits 0-9, no spaces
around them; :func:`whole_number`, :func:`number`), not by ``int()``/``float()``, which take
``' 42 '``, ``4_2``, ``nan`` and other scripts' digits.

Each input file has three flags (:class:`InputFlags`): the first frame ``--image FILE``,
``--image-url URL``, ``--image-base64 DATA``; flf2v's last frame ``--last-image FILE``,
``--last-image-url URL``, ``--last-image-base64 DATA``; ia2v's audio ``--audio FILE``,
``--audio-url URL``, ``--audio-base64 DATA``; canny2v's and depth2v's video ``--video FILE``,
``--video-url URL``, ``--video-base64 DATA`` (and ``--video-start SECONDS``). A local file
(and base64 data) is read and checked like generate checks it: an image decoded, an audio file
decoded and measured (an offline build of ia2v then lasts as long as the audio), a video
demuxed and measured (an offline build then knows its frames and frame rate). Without
``--type``, the request model infers the type from the input files, as it does for JSON and
Python (an audio makes ia2v, else a last image flf2v, else an image i2v; a video needs the type
given: :mod:`ltx2sdk.request`); an input flag replaces a request file's input files, and its
type with them unless ``--type`` is given, the flags are a video's (which make no type), or
the request still has a video and the file's or template's type is canny2v or depth2v (which
take a first image too): then that type stays. A local file that is not a regular file (a
FIFO, a device) is refused before it is read, and no file is read past its cap.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builders import PIPELINES, CheckedRequest, PipelineKey, check_request
from builders.catalog import LoraRole
from builders.catalog.ltx2_5_api import PartnerPipeline
from builders.partner import partner_choices
from builders.plan import first_image_strength
from ltx2sdk.errors import (
    CommandLineError,
    InputFileError,
    RequestError,
    RequestFieldError,
    UnknownTemplateError,
)
from ltx2sdk.vocabulary import (
    AUDIO,
    CAMERA_MOTIONS,
    DEFAULT_DURATION_S,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    LAST_IMAGE,
    MAX_DURATION_S,
    MODEL_IDS,
    MODES,
    NUMBER_FORM,
    VIDEO,
    VIDEO_TYPES,
    InputFile,
    RequestRule,
    number_from_text,
)
from ltx2sdk.wording import byte_size

if TYPE_CHECKING:
    from ltx2sdk.media.audio import AudioData
    from ltx2sdk.media.images import ImageData
    from ltx2sdk.media.video import VideoData

EXAMPLE_REQUEST: dict[str, Any] = {
    "prompt": ("A red fox trots through fresh snow at dawn, its breath fogging in the cold air. "
               "The camera holds steady at ground level. Soft wind and the crunch of snow."),
    "mode": "fast",
    "type": "t2v",
    "duration": 5,
    "seed": 42,
}


# --- request flags shared by build and generate ------------------------------------------------

# request field -> its flag (the flag's dest is the field name, "-" for "_")
FIELD_FLAGS: dict[str, str] = {
    "prompt": "--prompt", "negative_prompt": "--negative-prompt", "model": "--model",
    "mode": "--mode",
    "type": "--type", "width": "--width", "height": "--height", "duration": "--duration",
    "frames": "--frames", "fps": "--fps", "seed": "--seed", "enhance_prompt": "--enhance-prompt",
    "camera_lora": "--camera-lora", "camera_strength": "--camera-strength",
    "image": "--image", "image_url": "--image-url", "image_base64": "--image-base64",
    "image_strength": "--image-strength", "last_image": "--last-image",
    "last_image_url": "--last-image-url", "last_image_base64": "--last-image-base64",
    "audio": "--audio", "audio_url": "--audio-url", "audio_base64": "--audio-base64",
    "video": "--video", "video_url": "--video-url", "video_base64": "--video-base64",
    "video_start": "--video-start", "loras": "--lora", "filename_prefix": "--filename-prefix",
}
# models.<field> -> its flag
MODEL_FLAGS: dict[str, str] = {
    "checkpoint": "--checkpoint", "text_encoder": "--text-encoder", "upscaler": "--upscaler",
    "distilled_lora": "--distilled-lora", "distilled_lora_strength": "--distilled-lora-strength",
}


@dataclass(frozen=True)
class InputFlags:
    """The flags of one input file of the request (one of
    :data:`~ltx2sdk.vocabulary.INPUT_FILES`): ``--{name} FILE`` (a local file),
    ``--{name}-url URL`` and ``--{name}-base64 DATA``, setting its request fields ``{name}``,
    ``{name}_url`` and ``{name}_base64``."""

    input: InputFile

    @property
    def noun(self) -> str:
        """How errors call it."""
        return self.input.noun

    @property
    def kind(self) -> str:
        """What the file is: ``"image"``, ``"audio"`` or ``"video"``."""
        return self.input.kind

    @property
    def file_field(self) -> str:
        return self.input.file

    @property
    def url_field(self) -> str:
        return self.input.url

    @property
    def base64_field(self) -> str:
        return self.input.base64

    @property
    def fields(self) -> tuple[str, str, str]:
        return (self.file_field, self.url_field, self.base64_field)

    @property
    def flags(self) -> tuple[str, str, str]:
        """``--image``, ``--image-url``, ``--image-base64`` (in :attr:`fields` order)."""
        return (FIELD_FLAGS[self.file_field], FIELD_FLAGS[self.url_field],
                FIELD_FLAGS[self.base64_field])

    @property
    def text(self) -> str:
        """How to give it: ``--image FILE, --image-url URL or --image-base64 DATA``."""
        file, url, data = self.flags
        return f"{file} FILE, {url} URL or {data} DATA"


FIRST_IMAGE_FLAGS = InputFlags(FIRST_IMAGE)
LAST_IMAGE_FLAGS = InputFlags(LAST_IMAGE)
AUDIO_FLAGS = InputFlags(AUDIO)
VIDEO_FLAGS = InputFlags(VIDEO)
INPUT_FLAGS = (FIRST_IMAGE_FLAGS, LAST_IMAGE_FLAGS, AUDIO_FLAGS, VIDEO_FLAGS)
_FLAGS_OF_INPUT = {which.input.file: which for which in INPUT_FLAGS}  # the rules' `input`
INPUT_FIELDS = tuple(name for which in INPUT_FLAGS for name in which.fields)
IMAGE_FLAGS_TEXT = FIRST_IMAGE_FLAGS.text


def per_pipeline(values: Mapping[PipelineKey, float], unit: str = "") -> str:
    """A default that differs between pipelines, said shortly from the catalog's values:
    ``24; 25 for ltx-2 i2v, ltx-2.3 t2v fast`` (the most common value first, then each other
    one with the pipelines that have it, see :func:`short_names`). Help texts use it, so they
    cannot drift from the catalog."""
    counts = Counter(values.values())
    common = max(counts, key=lambda v: (counts[v], -list(values.values()).index(v)))
    parts = [f"{common:g}{unit}"]
    for value in dict.fromkeys(v for v in values.values() if v != common):
        names = short_names({key for key, v in values.items() if v == value}, values)
        parts.append(f"{value:g}{unit} for {', '.join(names)}")
    return "; ".join(parts)


def short_names(chosen: Collection[PipelineKey], among: Iterable[PipelineKey]) -> list[str]:
    """The pipelines ``chosen`` of those ``among``, named as a whole type (``flf2v``), model
    (``ltx-2.5``), model and type (``ltx-2 i2v``) or model and mode (``ltx-2 pro``) when every
    one of that is chosen, else
    one by one (``ltx-2.3 t2v fast``)."""
    among = list(among)
    left = [key for key in among if key in chosen]
    names: list[str] = []
    groups: list[Callable[[PipelineKey], tuple[str, ...]]] = [
        lambda k: (k.type,), lambda k: (k.model,), lambda k: (k.model, k.type),
        lambda k: (k.model, k.mode)]
    for group in groups:
        for name in dict.fromkeys(group(key) for key in left):
            if all(key in left for key in among if group(key) == name):
                names.append(" ".join(name))
                left = [key for key in left if group(key) != name]
    return names + [str(key) for key in left]


def first_frame_strengths() -> dict[PipelineKey, float]:
    """The first-image strength of each pipeline that takes a first image (in place, or
    flf2v's frame-0 guide): what ``image_strength`` replaces."""
    return {p.key: strength for p in PIPELINES
            if (strength := first_image_strength(p)) is not None}


def add_request_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "request", "every field of the request model (ltx2 schema), as --field-name; flags "
                   "given with --request or --example override their fields")
    group.add_argument("--request", type=file_path, metavar="FILE.json",
                       help="read the request from a JSON file, - for standard input (the "
                            "RunPod handler's input, {\"input\": {...}} too)")
    group.add_argument("--example", action="store_true",
                       help="use the built-in example request (a 5 s fox, fast mode); with "
                            "--template, that template's own request")
    group.add_argument("--template", metavar="NAME",
                       help="start from an official ComfyUI template's own request (its "
                            "pipeline, prompt, seed, size, length and LoRAs; input files as "
                            "placeholders): ltx2 pipelines lists the names")
    group.add_argument("--prompt", metavar="TEXT",
                       help="what happens in the video, sounds and speech included")
    group.add_argument("--negative-prompt", metavar="TEXT",
                       help="what to avoid (pipelines with real CFG; default the template's)")
    group.add_argument("--model", choices=MODEL_IDS,
                       help=f"the model (default {DEFAULT_MODEL}); ltx2 models "
                            "--pipelines --model all lists what each can make")
    group.add_argument("--mode", choices=MODES,
                       help="fast: distilled (default); pro: the dev model with real CFG; "
                            "lora (ltx-2 i2v): the dev model with the distilled LoRA, for effect "
                            "LoRAs (--lora)")
    group.add_argument("--type", choices=VIDEO_TYPES,
                       help="text to video, image to video, first-and-last-frame video, "
                            "image and audio to video, image and a voice to keep (id2v), a "
                            "reference sheet (ref2v), or a video's edges or depth steering a "
                            "new one (default t2v; i2v when an image is given, flf2v when a "
                            "last image is too, ia2v when an audio is; with --video, give "
                            "canny2v or depth2v)")
    multiple = per_pipeline({p.key: p.size_multiple for p in PIPELINES})
    group.add_argument("--width", type=whole_number, metavar="PX",
                       help=f"128 to 3840, snapped to a multiple of {multiple} (default 1280)")
    group.add_argument("--height", type=whole_number, metavar="PX",
                       help=f"128 to 3840, snapped to a multiple of {multiple} (default 720)")
    group.add_argument("--duration", type=number, metavar="SECONDS",
                       help=f"length, at most {MAX_DURATION_S:g} s (default "
                            f"{DEFAULT_DURATION_S:g})")
    group.add_argument("--frames", type=whole_number, metavar="N",
                       help="length in frames instead of --duration (8n+1, at most 20 s)")
    group.add_argument("--fps", type=whole_number,
                       help="frames per second, 1 to 60 (default the pipeline's: "
                            f"{per_pipeline({p.key: p.fps for p in PIPELINES})})")
    group.add_argument("--seed", type=whole_number,
                       help="noise seed (random when absent; always printed)")
    group.add_argument("--enhance-prompt", action=argparse.BooleanOptionalAction, default=None,
                       help="let the text encoder rewrite the prompt in LTX-2's style first")
    with_camera = dict.fromkeys(p.model.id for p in PIPELINES
                                if LoraRole.CAMERA in p.lora_roles)
    group.add_argument("--camera-lora", "--camera", dest="camera_lora", choices=CAMERA_MOTIONS,
                       metavar="MOTION", help="camera motion LoRA: "
                       f"{', '.join(CAMERA_MOTIONS)} (default static; "
                       f"{' and '.join(with_camera)} only)")
    group.add_argument("--camera-strength", type=number, metavar="S",
                       help="camera LoRA strength, 0 to 2 (default 1)")
    group.add_argument("--image", type=file_path, metavar="FILE",
                       help="i2v/flf2v/ia2v/id2v first frame (ref2v: the reference sheet), "
                            "a local image file: generate uploads it, build names it as ComfyUI "
                            "will load it from its input folder")
    group.add_argument("--image-url", metavar="URL",
                       help="i2v/flf2v/ia2v/id2v first frame (ref2v: the reference sheet), "
                            "by http(s) URL")
    group.add_argument("--image-base64", metavar="DATA",
                       help="i2v/flf2v/ia2v/id2v first frame (ref2v: the reference sheet), "
                            "as base64 or a data: URI")
    group.add_argument("--image-strength", type=number, metavar="S",
                       help="how strongly the first frame is kept, 0 to 1 (default "
                            f"{per_pipeline(first_frame_strengths())})")
    group.add_argument("--last-image", type=file_path, metavar="FILE",
                       help="flf2v last frame, a local image file (like --image)")
    group.add_argument("--last-image-url", metavar="URL",
                       help="flf2v last frame, by http(s) URL")
    group.add_argument("--last-image-base64", metavar="DATA",
                       help="flf2v last frame, as base64 or a data: URI")
    group.add_argument("--audio", type=file_path, metavar="FILE",
                       help="ia2v voice, a local wav, mp3, flac or ogg file (decoded and "
                            "measured: the video lasts as long unless --duration is given; "
                            "id2v: the voice to keep, which sets no length); generate uploads "
                            "it, build names it like --image")
    group.add_argument("--audio-url", metavar="URL",
                       help="ia2v (id2v: to keep) voice, by http(s) URL")
    group.add_argument("--audio-base64", metavar="DATA",
                       help="ia2v (id2v: to keep) voice, as base64 or a data: URI")
    group.add_argument("--video", type=file_path, metavar="FILE",
                       help="canny2v/depth2v: the video that steers the new one, a local mp4, "
                            "mov, webm, mkv or avi file (demuxed and measured); generate "
                            "uploads it, build names it like --image")
    group.add_argument("--video-url", metavar="URL",
                       help="canny2v/depth2v: the video, by http(s) URL")
    group.add_argument("--video-base64", metavar="DATA",
                       help="canny2v/depth2v: the video, as base64 or a data: URI")
    group.add_argument("--video-start", type=number, metavar="SECONDS",
                       help="canny2v/depth2v: where in the video the part used begins "
                            "(default 0); the part is as long as the new video")
    group.add_argument("--lora", dest="loras", action="append", type=lora_choice,
                       metavar="NAME[:STRENGTH]",
                       help="one of your LoRAs, a file in the server's models/loras, at a "
                            "strength (default 1); repeat for more (at most 8). Applied to "
                            "every stage's model, as Comfy-Org's LoRA template applies one")
    group.add_argument("--filename-prefix", metavar="PREFIX",
                       help="SaveVideo prefix in ComfyUI's output folder (default video/ltx2sdk)")
    files = parser.add_argument_group(
        "model files", "the request's models field, names from ltx2 models --all "
                       "(default: the mode's files)")
    files.add_argument("--checkpoint", metavar="FILE", help="models/checkpoints file")
    files.add_argument("--text-encoder", metavar="FILE", help="models/text_encoders file")
    files.add_argument("--upscaler", metavar="FILE", help="models/latent_upscale_models file")
    distilled = {p.key: p.files.distilled_lora.strength for p in PIPELINES
                 if p.files.distilled_lora is not None}
    all_keys = [p.key for p in PIPELINES]
    files.add_argument("--distilled-lora", metavar="FILE",
                       help="models/loras file of the distilled LoRA (pipelines that load "
                            f"one: {', '.join(short_names(distilled, all_keys))})")
    files.add_argument("--distilled-lora-strength", type=number, metavar="S",
                       help=f"its strength, 0 to 2 (default {per_pipeline(distilled)})")


def whole_number(text: str) -> int:
    """An integer flag's value (``--width``, ``--seed``): ASCII digits 0-9, no spaces, by the
    request's rule (:func:`~ltx2sdk.vocabulary.number_from_text`). argparse's ``type=int``
    is ``int()``, which reads ``' 42 '``, ``4_2`` and other scripts' digits as 42 where a
    JSON request refuses them."""
    try:
        return int(number_from_text(text, whole=True))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is {exc}") from None


def file_path(text: str) -> Path:
    """A file flag's value (``--image``, ``--request``): ``""`` is refused, not read as
    ``Path("")``, this folder."""
    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    return Path(text)


def number(text: str) -> float:
    """A number flag's value (``--duration``, ``--camera-strength``): as :func:`whole_number`,
    a decimal point and an exponent allowed (``0.8``, ``.5``, ``1e1``); never ``nan`` or
    ``inf``, which ``float()`` reads."""
    try:
        return float(number_from_text(text, whole=False))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is {exc}") from None


def lora_choice(text: str) -> dict[str, Any]:
    """``--lora NAME[:STRENGTH]`` as the request's ``loras`` item: ``squish.safetensors:0.8``
    is ``{"name": "squish.safetensors", "strength": 0.8}`` (the strength read as
    :func:`number` reads one); without a colon the whole text is the name (strength 1)."""
    name, colon, strength = text.rpartition(":")
    if not (name if colon else text).strip():
        raise argparse.ArgumentTypeError(f"{text!r} has no LoRA file name (NAME.safetensors or "
                                         "NAME.safetensors:0.8)")
    if colon:
        try:
            return {"name": name, "strength": number_from_text(strength, whole=False)}
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: the part after the last ':' must be a strength ({NUMBER_FORM}), "
                "as in NAME.safetensors:0.8") from None
    return {"name": text}


@dataclass
class FlagSources:
    """Which request fields came from which flag (``--image`` sets ``image_base64`` for
    generate, ``--last-image`` ``last_image_base64``, ``--audio`` ``audio_base64``), so that
    errors can name what the user typed."""

    flags: dict[str, str] = field(default_factory=dict)
    from_file: set[str] = field(default_factory=set)  # a field of an object by its path

    def name(self, field_name: str) -> str:
        """The flag that set ``field_name``; the field itself if a request file set it; the
        field's own flag if nothing did (that is how to give it)."""
        if field_name in self.flags:
            return self.flags[field_name]
        if field_name in self.from_file:
            return field_name
        return FIELD_FLAGS.get(field_name) or MODEL_FLAGS.get(field_name) or field_name


def request_from_args(args: argparse.Namespace) -> CheckedRequest:
    """Merge ``--example``/``--request`` with the flags given, validate the result and check
    it (:func:`~builders.check_request`, so that build and generate do not again).

    Every input file given here is read, checked and decoded once (an image Pillow can
    decode, within the size and pixel caps; an audio file decoded to its end and measured,
    within the size and length caps): a local file (``--image FILE``), a ``--*-base64`` flag
    and a request file's base64 alike. What was decoded is left in ``args.input_data``
    (input file -> :class:`~ltx2sdk.media.images.ImageData` or
    :class:`~ltx2sdk.media.audio.AudioData`), for ``generate`` to upload as it is; a local
    file's request field is its file name (an offline build references it as ComfyUI will
    load it from its input folder). The audio's length is also left in
    ``args.audio_seconds`` (an offline ia2v build lasts as long). A URL is fetched by
    ``generate`` only. An input flag replaces the request file's fields of that input, and,
    without ``--type``, the file's type: the request model infers it from the input files
    (a video makes none: a video's flags, or any with a video in the request and its type
    canny2v or depth2v, keep the file's or template's type). A hosted
    model's refusal of the sizes it would snap to is found here too, worded alike.
    """
    from ltx2sdk.request import GenerationRequest  # start-up: pydantic

    sources = FlagSources()
    args.flag_sources = sources  # for errors raised later (an image URL that cannot be used)
    args.audio_seconds = None  # the length of a local or base64 audio, once measured
    args.input_data = {}  # input file -> its decoded data, read once here
    fields: dict[str, Any] = dict(EXAMPLE_REQUEST) if args.example else {}
    if getattr(args, "template", None) is not None:
        fields = template_fields(args.template)
    if args.request is not None:
        fields.update(_read_request_file(args.request))
    sources.from_file = set(fields)
    if isinstance(fields.get("models"), dict):  # its fields by their path: models.checkpoint
        sources.from_file |= {f"models.{name}" for name in fields["models"]}
    for name, flag in FIELD_FLAGS.items():
        value = getattr(args, name, None)
        if value is not None and name not in INPUT_FIELDS:
            fields[name] = value
            sources.flags[name] = flag
    given_models = fields.get("models")
    models = ({} if given_models is None else
              dict(given_models) if isinstance(given_models, dict) else None)
    for name, flag in MODEL_FLAGS.items():
        value = getattr(args, name, None)
        if value is not None:
            if models is None:
                raise CommandLineError(f"{flag}: the request file's models field is not an "
                                       "object", 2)
            models[name] = value
            sources.flags[name] = flag
    if models:
        fields["models"] = models

    infers_type = False
    for which in INPUT_FLAGS:
        input_fields = _input_fields(args, which, sources=sources)
        if input_fields:
            for name in which.fields:  # an input flag replaces the request file's input
                fields.pop(name, None)
            fields.update(input_fields)
            infers_type = infers_type or which.input != VIDEO  # a video makes no type
    # a video makes no type, and canny2v and depth2v take a first image too: with a video
    # in the request, the file's or template's video type stays
    keeps_type = (fields.get("type") in VIDEO.types
                  and any(fields.get(name) not in (None, "") for name in VIDEO_FLAGS.fields))
    if infers_type and args.type is None and not keeps_type:
        fields.pop("type", None)  # the request model infers it from the input files, as in JSON
    if "prompt" not in fields and args.request is not None \
            and set(fields) <= set(GenerationRequest.model_fields):  # (else: "did you mean")
        # not "--prompt: Field required", a flag the user did not use
        named = "-" if str(args.request) == "-" else str(args.request)
        raise CommandLineError(f"--request {named}: the file has no prompt (add a \"prompt\" "
                               "field or give --prompt TEXT)", 2)
    if "prompt" not in fields and args.request is None:  # (a file's fields: the model says)
        raise CommandLineError("a prompt is needed: --prompt TEXT, --request FILE.json, "
                               "--example or --template NAME", 2)
    try:
        request = GenerationRequest.model_validate(fields)
    except RequestError as exc:
        raise CommandLineError(describe_for_cli(exc, sources), 2) from exc

    try:
        ok = check_request(request)  # its pipeline can make it as asked
        if isinstance(ok.pipeline, PartnerPipeline):
            # what the hosted node cannot make at the sizes it snaps to (over 10 s at 48 fps)
            # is known once they are chosen: refused here, worded like the checks above
            partner_choices(request, ok.pipeline)
    except RequestFieldError as exc:
        prefix, _, role = exc.field.rpartition(".")  # "models.checkpoint": --checkpoint
        where = _name(role, sources, f"{prefix}.") if prefix else sources.name(exc.field)
        raise CommandLineError(f"invalid request: {where}: {exc.reason}", 2) from exc
    # a request file's base64 input: decoded too, once (the audio measured, so that build
    # plans what the worker will)
    for which in INPUT_FLAGS:
        data = getattr(request, which.base64_field)
        if data is not None and which.input not in args.input_data:
            args.input_data[which.input] = _decoded(data, which, sources.name(which.base64_field))
    audio = args.input_data.get(AUDIO)
    if audio is not None:
        args.audio_seconds = audio.duration
    return ok


def template_fields(name: str) -> dict[str, Any]:
    """The request fields of the official template ``name`` (``--template``); an unknown name
    is a :class:`CommandLineError` naming the nearest one (or why no pipeline makes it)."""
    from builders.catalog.templates import template_named  # start-up: only with --template
    from builders.examples import template_request  # start-up: likewise

    try:
        return template_request(template_named(name))
    except UnknownTemplateError as exc:
        raise CommandLineError(f"--template: {exc}", 2) from exc


# the largest --request FILE.json read: room for base64 inputs at their caps (a video's 256 MiB
# is 342 MiB of base64; two images and an audio file 80 MiB more) and the text around them
MAX_REQUEST_FILE_BYTES = 512 * 1024 * 1024


def _read_request_file(path: Path) -> dict[str, Any]:
    """The JSON object of ``--request FILE.json`` (a RunPod ``{"input": ...}`` unwrapped);
    ``-`` reads it from standard input. A path that is not a regular file, or holds more than
    :data:`MAX_REQUEST_FILE_BYTES`, is refused before it is read."""
    named = "standard input" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_REQUEST_FILE_BYTES + 1)
            if len(data) > MAX_REQUEST_FILE_BYTES:
                raise CommandLineError(f"--request -: more than "
                                       f"{byte_size(MAX_REQUEST_FILE_BYTES)} on standard "
                                       "input", 2)
            if not data.strip():
                raise CommandLineError("--request -: nothing on standard input (pipe a JSON "
                                       "request into it)", 2)
        elif path.is_dir():
            raise CommandLineError(f"--request {path}: is a directory, not a JSON file", 2)
        else:
            data = read_capped(path, MAX_REQUEST_FILE_BYTES, f"--request {path}")
        # utf-8-sig: a BOM (Windows editors write one) is skipped, as in batch files
        loaded = json.loads(data.decode("utf-8-sig"))
    except OSError as exc:
        raise CommandLineError(f"--request: cannot read {named} ({exc.strerror or exc})",
                               2) from exc
    except ValueError as exc:
        raise CommandLineError(f"--request: {named} is not JSON ({exc})", 2) from exc
    if isinstance(loaded, dict) and isinstance(loaded.get("input"), dict):
        loaded = loaded["input"]  # a RunPod test_input.json works as it is
    elif isinstance(loaded, dict) and "input" in loaded and "prompt" not in loaded:
        shown = json.dumps(loaded["input"])
        raise CommandLineError(f"--request {named}: \"input\" must hold the request (a JSON "
                               f"object), not {shown if len(shown) < 20 else 'that'}", 2)
    if not isinstance(loaded, dict):
        raise CommandLineError(f"--request: {named} must hold a JSON object", 2)
    return loaded


def _input_fields(args: argparse.Namespace, which: InputFlags, *,
                  sources: FlagSources) -> dict[str, Any]:
    """The request field of input ``which`` from its flags (``--image``, ``--image-url`` or
    ``--image-base64``; ``{}`` when none is given). A local file or base64 data is decoded
    and checked here, its data left in ``args.input_data`` (a URL is fetched by generate
    only)."""
    file_flag, url_flag, base64_flag = which.flags
    path, url, data = (getattr(args, name, None) for name in which.fields)
    given = [flag for flag, value in zip(which.flags, (path, url, data), strict=True)
             if value is not None]
    if len(given) > 1:
        raise CommandLineError(f"give only one {which.noun}: {' or '.join(given)}", 2)
    out: dict[str, Any] = {}
    if path is not None:
        args.input_data[which.input] = read_local_file(path, which, file_flag)
        out[which.file_field] = path.name
        sources.flags[which.file_field] = file_flag
    elif url is not None:
        out[which.url_field] = url
        sources.flags[which.url_field] = url_flag
    elif data is not None:
        args.input_data[which.input] = _decoded(data, which, base64_flag)
        out[which.base64_field] = data
        sources.flags[which.base64_field] = base64_flag
    return out


def _decoded(data: str, which: InputFlags, source: str) -> ImageData | AudioData | VideoData:
    """The base64 ``data`` of input ``which`` decoded and checked (an audio or a video
    measured); errors (:class:`CommandLineError`) start with ``source``, the flag or field it
    came from."""
    from ltx2sdk.media.audio import audio_from_base64  # start-up: miniaudio, requests
    from ltx2sdk.media.images import image_from_base64  # start-up: Pillow, requests
    from ltx2sdk.media.video import video_from_base64  # start-up: PyAV, requests

    try:
        if which.kind == "audio":
            return audio_from_base64(data, field=which.base64_field)
        if which.kind == "video":
            return video_from_base64(data, field=which.base64_field)
        return image_from_base64(data, field=which.base64_field)
    except InputFileError as exc:
        raise CommandLineError(f"{source}: {without_field(str(exc), exc.field)}", 2) from exc


def read_local_file(path: Path, which: InputFlags,
                    flag: str) -> ImageData | AudioData | VideoData:
    """The local file ``path`` of input ``which``, checked as generate checks it: an image
    Pillow decodes (within the size and pixel caps), an audio file decoded to its end and
    measured, a video whose every packet its demuxer reads and whose first frame decodes
    (within the size, length and pixel caps), measured. Errors (:class:`CommandLineError`)
    start with ``flag`` and the path."""
    from ltx2sdk.media import audio, images, video  # start-up: requests (Pillow, PyAV lazier)

    caps: dict[str, tuple[int, str, Callable[[bytes, str], Any]]] = {
        "image": (images.DEFAULT_MAX_IMAGE_BYTES, "an image file", images.decode_image),
        "audio": (audio.DEFAULT_MAX_AUDIO_BYTES, "an audio file", audio.decode_audio),
        "video": (video.DEFAULT_MAX_VIDEO_BYTES, "a video file", video.decode_video)}
    max_bytes, what, decode = caps[which.kind]
    data = _read_input_file(path, flag, max_bytes, what)
    try:
        checked: ImageData | AudioData | VideoData = decode(data, flag)
    except InputFileError as exc:
        raise CommandLineError(f"{flag} {path}: {without_field(str(exc), exc.field)}", 2) from exc
    return checked


def _read_input_file(path: Path, flag: str, max_bytes: int, what: str) -> bytes:
    """The bytes of the local file ``path`` given by ``flag``, at most ``max_bytes``: what is
    not a regular file (a directory, a FIFO, a device) is refused before anything is read, and
    reading stops one byte past the cap whatever size the file states."""
    where = f"{flag} {path}"
    try:
        if path.is_dir():
            raise CommandLineError(f"{where}: is a directory, not {what}", 2)
        return read_capped(path, max_bytes, where)
    except OSError as exc:
        raise CommandLineError(f"{where}: cannot read it ({exc.strerror or exc})", 2) from exc


def read_capped(path: Path, max_bytes: int, where: str) -> bytes:
    """The bytes of the regular file ``path``, refused (:class:`CommandLineError` starting
    with ``where``) when it is not a regular file or holds more than ``max_bytes``. At most
    ``max_bytes + 1`` bytes are read; a FIFO is not waited on (it is opened without blocking,
    then refused); an ``OSError`` is the caller's to word."""
    # O_NONBLOCK: opening a FIFO nobody writes to would otherwise wait forever; the check is
    # on the opened file, so that the path cannot be swapped between a check and the read
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(handle, "rb") as opened:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise CommandLineError(f"{where}: not a regular file", 2)
        size = os.fstat(handle).st_size
        if size > max_bytes:  # refused unread
            raise CommandLineError(f"{where}: {byte_size(size)}, over the {byte_size(max_bytes)} "
                                   "limit", 2)
        data = opened.read(max_bytes + 1)  # a file may hold more than it states (/proc, growth)
    if len(data) > max_bytes:
        raise CommandLineError(f"{where}: over the {byte_size(max_bytes)} limit", 2)
    return data


def without_field(message: str, field_name: str) -> str:
    """An image error's message without its field, and without the Python exception class
    Pillow's reason comes with (``(OSError: image file is truncated)``)."""
    return _EXCEPTION_NAME.sub("(", message.removeprefix(f"{field_name}: "))


_EXCEPTION_NAME = re.compile(r"\((?:[A-Z]\w*(?:Error|Exception)): ")


# --- validation errors, in the CLI's words ------------------------------------------------------


def describe_for_cli(error: RequestError, sources: FlagSources) -> str:
    """``invalid request: --width: ...; --type i2v needs an image: ...``: one line, each
    problem naming the flag the value came from (or the request file's field; a value inside
    a file's list by its path, ``loras.0.strength``, as the worker and batch name it).

    A broken rule of the request model is told from its code and fields (the error's ``type``
    and ``ctx``, :data:`~ltx2sdk.vocabulary.RequestRule`), never from its words."""
    parts: list[str] = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":  # only a request file has fields to misspell
            where = ".".join(loc[:-1])  # the message names the field (and the nearest one)
            parts.append(f"{where}: {message}" if where else message)
        elif item["type"] in RULE_MESSAGES:
            parts.append(RULE_MESSAGES[item["type"]](item.get("ctx", {}), sources))
        elif loc == ["models"]:  # the models field itself is no object: pydantic's words alone
            parts.append(message)
        elif loc[:1] == ["models"]:
            parts.append(f"{_name(loc[1], sources, 'models.')}: {message}")
        elif len(loc) > 1 and loc[0] not in sources.flags:
            # a value inside a request file's list (loras.0.strength): its path says which
            parts.append(f"{'.'.join(loc)}: {message}")
        elif loc:
            parts.append(f"{sources.name(loc[0])}: {message}")
        else:
            parts.append(message)
    return "invalid request: " + "; ".join(parts)


def _name(field_name: str, sources: FlagSources, prefix: str) -> str:
    """How a field of an object (``models``) is named: its flag when one set it; else its
    path (``models.checkpoint``) when a request file set it; else its flag."""
    if field_name not in sources.flags and prefix + field_name in sources.from_file:
        return prefix + field_name
    name = sources.name(field_name)
    return prefix + name if name == field_name else name


def _type_is(sources: FlagSources) -> str:
    """``--type``, or ``type`` when a request file set it."""
    return "--type" if sources.name("type") == "--type" else "type"


def _either(words: Sequence[str]) -> str:
    """``a, b or c``."""
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _input_not_used(ctx: dict[str, Any], sources: FlagSources) -> str:
    type_is, which = _type_is(sources), _FLAGS_OF_INPUT[ctx["input"]].input
    return (f"{sources.name(ctx['field'])} is only used with {type_is} {_either(which.types)} "
            f"({type_is} is {ctx['type']})")


def _input_missing(ctx: dict[str, Any], sources: FlagSources) -> str:
    which = _FLAGS_OF_INPUT[ctx["input"]]
    made_by = ctx.get("inferred_from")
    why = f" ({sources.name(made_by)} makes the type {ctx['type']})" if made_by else ""
    return (f"{_type_is(sources)} {ctx['type']} needs {which.input.wanted_by(ctx['type'])}: "
            f"give {which.text}{why}")


def _one_source_only(ctx: dict[str, Any], sources: FlagSources) -> str:
    names = " and ".join(sources.name(name) for name in ctx["fields"])
    return f"give only one {_FLAGS_OF_INPUT[ctx['input']].noun} source, not {names}"


def _one_length_only(ctx: dict[str, Any], sources: FlagSources) -> str:
    return f"give {' or '.join(sources.name(name) for name in ctx['fields'])}, not both"


def _length_over_limit(ctx: dict[str, Any], sources: FlagSources) -> str:
    return f"{sources.name(ctx['field'])}: {ctx['reason']}"


def _unknown_model_file(ctx: dict[str, Any], sources: FlagSources) -> str:
    return f"{_name(ctx['field'], sources, 'models.')}: {ctx['reason']}"


def _no_pipeline(ctx: dict[str, Any], sources: FlagSources) -> str:
    reason = ctx["reason"]
    made_by = ctx.get("inferred_from")
    if ctx["field"] == "type" and made_by:  # the type came from the input files
        reason += (f"; {sources.name(made_by)} makes the type {ctx['type']}: choose a "
                   f"{sources.name('model')} that has it")
    return f"{sources.name(ctx['field'])}: {reason}"


def _type_needed(ctx: dict[str, Any], sources: FlagSources) -> str:
    return (f"{sources.name(ctx['field'])} is used by --type {_either(ctx['types'])}: give "
            "--type")


RULE_MESSAGES: dict[RequestRule, Callable[[dict[str, Any], FlagSources], str]] = {
    "input_not_used": _input_not_used,
    "input_missing": _input_missing,
    "one_source_only": _one_source_only,
    "one_length_only": _one_length_only,
    "length_over_limit": _length_over_limit,
    "unknown_model_file": _unknown_model_file,
    "no_pipeline": _no_pipeline,
    "type_needed": _type_needed,
}
"""How the CLI words each rule of the request model, from the fields of its error (a flag
for each field a flag gave)."""


_FIELD_NAME = re.compile(r"\b(?:models\.)?[a-z]+(?:_[a-z0-9]+)+\b")  # image_strength, ...


def note_for_cli(note: str, args: argparse.Namespace | None) -> str:
    """A plan note in the CLI's words: each request field it names (``image_strength``,
    ``models.distilled_lora_strength``) by the flag that gave it (:func:`flag_for_field`)."""
    if args is None:
        return note

    def said(match: re.Match[str]) -> str:
        name = match.group(0)
        key = name.removeprefix("models.")  # the flags know a model file field by its name
        if key not in (MODEL_FLAGS if key != name else FIELD_FLAGS):
            return name
        flag = flag_for_field(args, key)
        return name if flag == key else flag  # a request file's field: as it was written

    return _FIELD_NAME.sub(said, note)


def flag_for_field(args: argparse.Namespace, field_name: str) -> str:
    """The flag that gave the request field ``field_name`` (for errors raised after the
    request was made: a URL that cannot be fetched, an image the server refused)."""
    sources: FlagSources | None = getattr(args, "flag_sources", None)
    return sources.name(field_name) if sources is not None else field_name
