"""The one request model behind every entry point: Python, the CLI and the RunPod handler.

It accepts the original handler contract unchanged (``prompt, mode, type, width,
height, duration, seed, camera_lora, image_url, image_base64``) plus the SDK's
extra fields. Bad input is a :class:`~ltx2sdk.errors.RequestError` (an ``LTX2Error`` and a
``ValueError``; never pydantic's ``ValidationError``), however the request is made
(``GenerationRequest(...)``, ``model_validate``, ``model_validate_json``, assigning a field:
a refused assignment leaves the request as it was): one line naming each field at fault and
what it allows (an unknown field: the same name in other case or the nearest one), and
:meth:`~ltx2sdk.errors.RequestError.errors`, the structured list. A rule about several fields
(:data:`~ltx2sdk.vocabulary.RequestRule`) is an error whose ``type`` is the rule's code and
whose ``ctx`` holds the fields, so that callers need not read its words.

**The type, when not given** (absent, ``null`` or ``""``), follows from the input files, the
same way in Python, JSON (the worker, batch jobs) and the CLI: an audio file makes ``ia2v``;
else a last image ``flf2v``; else a first image ``i2v``; no input file ``t2v``. A video steers
either edges or depth: with a video, the type must be given (``canny2v`` or ``depth2v``). A
type that is given is kept, and one the input files contradict is refused (``image_url is only
used with type 'i2v', 'flf2v' or 'ia2v' (type is 't2v')``).

**Only what a pipeline makes**: a model, type and mode without a pipeline
(:data:`~ltx2sdk.vocabulary.PIPELINES_MADE`; LTX-2.5 has no ``pro``) is refused when the
request is made, saying what the model has.

Input files come from one of three fields each (:data:`~ltx2sdk.vocabulary.INPUT_FILES`): the
first frame (i2v, flf2v, ia2v, id2v; ref2v's reference sheet) from ``image_url``,
``image_base64`` or ``image``, the last frame (flf2v) from ``last_image_url``,
``last_image_base64`` or ``last_image``, the audio (ia2v; id2v's voice to keep) from
``audio_url``, ``audio_base64`` or ``audio``, the video (canny2v, depth2v) from
``video_url``, ``video_base64`` or ``video``; ``video_start`` says where in it the part used
begins. A URL must be an absolute http(s)
URL with a host, by the fetcher's rule (:func:`ltx2sdk.web_urls.parse_url`); whether its host
is public is known only when it is fetched. ``repr()`` shows base64 by its size.

**Numbers and booleans**, one rule for every entry point: a number field takes a number
(a JSON number; in Python an ``int`` or a ``float``): an integer for a float field and a float
without a fraction for an integer field are accepted, ``true``/``false`` are refused rather
than read as 1 and 0 (``seed: must be a whole number, not true``), and so is a string, whatever
it holds (``duration: must be a number, not a string``: ``"5"``, ``" 5 "`` and Arabic-Indic
digits alike), a fraction for an integer field (``seed: must be a whole number, not 1.5``) and
infinity or nan (``duration: must be a finite number, not inf``). A text, list or object field
given another kind is said alike (``loras: must be a list, not 5``, ``loras.0: must be a file
name or an object (...), not null``).
A boolean field (``enhance_prompt``) takes ``true``/``false`` only: ``1`` or ``"yes"`` is
``enhance_prompt: must be true or false, not 1``. Text is read only where every value is text
(the CLI's flags, ``model_validate_strings``), by one rule
(:func:`~ltx2sdk.vocabulary.number_from_text`): ASCII digits 0-9, no spaces around them, no
``_``, ``nan`` or other scripts' digits; ``true`` or ``false``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import Self

from ltx2sdk import model_files as models
from ltx2sdk.errors import FetchError, RequestError, RequestFieldError
from ltx2sdk.vocabulary import (
    AUDIO,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    INPUT_FILES,
    LAST_IMAGE,
    MAX_DURATION_S,
    MAX_FRAMES,
    MAX_PROMPT_CHARS,
    MIN_FRAMES,
    NUMBER_FORM,
    VIDEO,
    WHOLE_NUMBER_FORM,
    CameraMotion,
    Mode,
    ModelId,
    RequestRule,
    VideoTypeId,
    check_length,
    missing_pipeline,
    number_from_text,
)
from ltx2sdk.wording import byte_size, nearest

DEFAULT_NEGATIVE_PROMPT = ("blurry, low quality, still frame, frames, watermark, overlay, titles, "
                           "has blurbox, has subtitles")
_BARE_FILE_NAME = re.compile(r"^[^/\\\x00]+$")
# what ComfyUI's LoadVideo lists in its input folder: the files whose mimetype is video/*
# (Python's table, which it asks, and the common ones a system's table adds: mkv, m4v)
VIDEO_EXTENSIONS = ("mp4", "mov", "webm", "mkv", "avi", "m4v", "mpeg", "mpg", "mpe", "m1v",
                    "qt", "movie")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refusal(rule: RequestRule, message: str, **context: Any) -> PydanticCustomError:
    """The error of a broken rule: ``rule`` becomes its ``type`` and ``context`` (the fields
    concerned, as :data:`~ltx2sdk.vocabulary.RequestRule` lists them) its ``ctx``.

    pydantic fills each ``{key}`` of ``message`` from ``context``, key after key: a message
    quoting what a user typed carries it in the last key, which nothing is filled into after.
    """
    # pydantic's own structured error rather than a ValueError subclass: the code and the
    # fields are the error's `type` and `ctx` in ValidationError.errors() for every reader (the
    # CLI, a batch's results), and a rule about several fields needs no single `field`
    return PydanticCustomError(rule, message, context)


ScalarKind = Literal["whole", "number", "boolean"]


def scalar_kind(annotation: Any) -> ScalarKind | None:
    """What a field of type ``annotation`` holds, for :func:`plain_scalar`: ``"whole"``
    (``int``, ``int | None``), ``"number"`` (``float``...), ``"boolean"`` (``bool``...), or
    ``None`` for anything else (text, a word list, an object, a list)."""
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    kinds = [arg for arg in args if arg is not type(None)]
    if kinds == [bool]:
        return "boolean"
    if kinds == [int]:
        return "whole"
    return "number" if kinds == [float] else None


def plain_scalar(value: Any, kind: ScalarKind, mode: str) -> Any:
    """``value`` for a field holding a ``kind``, refused unless it is one by the request's
    rule: a number field takes a number, never ``True``/``False`` (pydantic's lax mode reads
    them as 1 and 0: ``"seed": true`` would be seed 1) nor a string (it reads ``"5"`` too);
    a boolean field takes ``True``/``False`` only (not ``1``, ``"yes"``); infinity and nan
    are refused, and so is a float with a fraction for an integer field. An integer for a
    float field and a float without a fraction for an integer field (made an ``int``) go on
    to pydantic's own rules, which take them. Where every value is text (``mode`` ``"string"``:
    ``model_validate_strings``), text is read as the CLI reads a flag
    (:func:`~ltx2sdk.vocabulary.number_from_text`; ``true``/``false``)."""
    words = "a whole number" if kind == "whole" else "a number"
    code = {"whole": "int_type", "number": "float_type", "boolean": "bool_type"}[kind]
    if mode == "string" and isinstance(value, str):
        if kind == "boolean":
            if value in ("true", "false"):
                return value == "true"
            raise PydanticCustomError(code, "must be true or false")
        try:
            return number_from_text(value, whole=kind == "whole")
        except ValueError:
            form = WHOLE_NUMBER_FORM if kind == "whole" else NUMBER_FORM
            raise PydanticCustomError(code, "must be {kind} ({form})",
                                      {"kind": words, "form": form}) from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise PydanticCustomError(code, "must be true or false, not {given}",
                                  {"given": _shown_kind(value)})
    if isinstance(value, (bool, str, list, tuple, dict)):  # (a list, an object: JSON's too)
        raise PydanticCustomError(code, "must be {kind}, not {given}",
                                  {"kind": words, "given": _shown_kind(value)})
    if isinstance(value, float) and not math.isfinite(value):
        # (pydantic would say "Input should be a finite number", or "at most 20 s, not nan")
        raise PydanticCustomError("finite_number", "must be {kind}, not {given}",
                                  {"kind": "a whole number" if kind == "whole"
                                   else "a finite number", "given": _shown_kind(value)})
    if kind == "whole" and isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_from_float", "must be {kind}, not {given}",
                                      {"kind": words, "given": _shown_kind(value)})
        return int(value)  # 1e30 then meets the bound, not a parse error
    return value


def kind_refused(annotation: Any, value: Any) -> PydanticCustomError | None:
    """The error of ``value`` (not ``None``) given for a text, list or object field of type
    ``annotation`` when it is not of that kind in JSON's words (``loras: must be a list, not
    5``, ``prompt: must be text, not 5``), rather than pydantic's; ``None`` when it is of the
    kind, or when the field holds another kind (a number, a choice of words)."""
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    kinds = [arg for arg in args if arg is not type(None)]
    if len(kinds) != 1:
        return None
    [kind] = kinds
    if kind is str:
        fits = isinstance(value, str)
    elif get_origin(kind) is list:
        fits = isinstance(value, (list, tuple))  # (pydantic reads a Python tuple as a list)
    elif isinstance(kind, type) and issubclass(kind, BaseModel):
        fits = isinstance(value, (dict, kind))
    else:
        return None
    if fits:
        return None
    return PydanticCustomError("kind_refused", "must be {kind}, not {given}",
                               {"kind": _kind_words(kind), "given": _shown_kind(value)})


def null_refused(annotation: Any, *, required: bool) -> PydanticCustomError:
    """The error of ``null`` given for a field of type ``annotation`` that cannot be null:
    ``must be a number, not null (leave it out for the default)`` (without the advice for a
    ``required`` field), in the words of the field's other refusals."""
    kind = scalar_kind(annotation)
    words = {"whole": "a whole number", "number": "a number", "boolean": "true or false",
             None: None}[kind]
    code = {"whole": "int_type", "number": "float_type", "boolean": "bool_type",
            None: "null_refused"}[kind]
    if words is None:
        words = _kind_words(annotation)
    advice = "" if required else " (leave it out for the default)"
    return PydanticCustomError(code, "must be {kind}, not null{advice}",
                               {"kind": words, "advice": advice})


def _kind_words(annotation: Any) -> str:
    """What a value of type ``annotation`` is, in JSON's words: ``text``, ``a list``, ``an
    object``, ``'fast' or 'pro'``; ``a value`` for what has no shorter name."""
    if annotation is str:
        return "text"
    if get_origin(annotation) is list:
        return "a list"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "an object"
    if get_origin(annotation) is Literal:
        choices = [repr(choice) for choice in get_args(annotation)]
        return " or ".join([", ".join(choices[:-1]), choices[-1]] if len(choices) > 1
                           else choices)
    return "a value"


def _shown_kind(value: Any) -> str:
    """``value`` as an error says it, in JSON's words: a number, ``true`` or ``null`` as it is
    (safe to echo), anything else by its kind (``a string``: never what it says)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else f"a {type(value).__name__}"


def _no_default(schema: dict[str, Any]) -> None:
    """A field's JSON Schema without its default (the type's follows from the inputs)."""
    schema.pop("default", None)


class _RequestModel(BaseModel):
    """A model whose validation fails with a :class:`~ltx2sdk.errors.RequestError`, however
    it is made: ``Model(...)``, :meth:`model_validate`, :meth:`model_validate_json`,
    :meth:`model_validate_strings` (pydantic's ``ValidationError`` is not an ``LTX2Error``,
    and cannot be subclassed: it is wrapped)."""

    if not TYPE_CHECKING:  # (type checkers keep the typed __init__ pydantic's plugin writes)
        def __init__(self, /, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise request_error(exc, type(self)) from None

        # pydantic calls a model's own __init__ to validate it as a field of another (models)
        # unless it is marked as doing what BaseModel's does (RootModel's is marked alike):
        # this one only renames the error, which the outer model's validation does once for all
        __init__.__pydantic_base_init__ = True

        def __setattr__(self, name: str, value: Any) -> None:
            # pydantic checks an assignment (validate_assignment) but leaves the new value in
            # place when a rule about several fields then fails: put the old state back, so
            # that a refused assignment changes nothing
            before, fields_set = dict(self.__dict__), set(self.model_fields_set)
            try:
                super().__setattr__(name, value)
            except ValidationError as exc:
                self.__dict__.clear()
                self.__dict__.update(before)
                self.__pydantic_fields_set__ = fields_set
                raise request_error(exc, type(self)) from None

    @field_validator("*", mode="before")
    @classmethod
    def _plain_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        # every number and boolean field of every request model, those to come included
        field = cls.model_fields.get(info.field_name or "")
        annotation = field.annotation if field is not None else None
        if value is None and field is not None and type(None) not in get_args(annotation):
            raise null_refused(annotation, required=field.is_required())
        if value is None:
            return value  # absent, where a field may be
        kind = scalar_kind(annotation)
        if kind is None:  # text, a list, an object: of that kind, in JSON's words if not
            wrong = kind_refused(annotation, value)
            if wrong is not None:
                raise wrong
            return value
        return plain_scalar(value, kind, info.mode)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise request_error(exc, cls) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise request_error(exc, cls) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            raise request_error(exc, cls) from None


class ModelSet(_RequestModel):
    """Which model files to load. ``None`` means the default for the request's mode.

    Names must be files the SDK knows (see :mod:`ltx2sdk.model_files`), so a typo is an
    error here instead of a ``value_not_in_list`` from the server.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint: str | None = Field(None, description="models/checkpoints file")
    text_encoder: str | None = Field(None, description="models/text_encoders file")
    upscaler: str | None = Field(None, description="models/latent_upscale_models file")
    distilled_lora: str | None = Field(
        None, description="models/loras file applied to the dev model's refine stage (pro)")
    distilled_lora_strength: float = Field(1.0, ge=0.0, le=2.0)

    @model_validator(mode="after")
    def _known_files(self) -> ModelSet:
        for field, folder in (("checkpoint", "checkpoints"), ("text_encoder", "text_encoders"),
                              ("upscaler", "latent_upscale_models"),
                              ("distilled_lora", "loras")):
            name = getattr(self, field)
            if name is not None and models.lookup(folder, name) is None:
                allowed = ", ".join(models.known_files(folder))
                raise refusal("unknown_model_file", "{field}: {reason}", field=field,
                              reason=f"unknown model file {name!r} for models/{folder}; "
                                      f"known files: {allowed}")
        return self

    def checkpoint_for(self, mode: str) -> str:
        return self.checkpoint or models.DEFAULT_CHECKPOINT[mode]


MAX_LORAS = 8
"""The most LoRAs of the user's a request may apply."""
LORA_ITEM_WORDS = 'a file name or an object ({"name": ..., "strength": ...})'
"""What an item of ``loras`` is, as an error says it."""


class LoraChoice(_RequestModel):
    """One LoRA of the user's: a file in the server's ``models/loras`` folder and how strongly
    it applies. The name is checked against the server's folder with the rest of the graph
    (a file it lacks is a missing model file before any GPU time)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(..., min_length=1, max_length=255,
                      description="File name in models/loras (a subfolder may lead: "
                                  "effects/squish.safetensors).")
    strength: float = Field(1.0, ge=-10.0, le=10.0, allow_inf_nan=False,
                            description="How strongly it applies (LoraLoaderModelOnly's "
                                        "strength_model); 1 is the LoRA as trained.")

    @field_validator("name")
    @classmethod
    def _inside_the_folder(cls, value: str) -> str:
        if _CONTROL_CHARACTER.search(value):  # (NUL ends a C string: another file, or none)
            raise ValueError("must be a file name, without control characters")
        parts = value.replace("\\", "/").split("/")
        if value.startswith(("/", "\\")) or {"..", ".", ""} & set(parts):
            raise ValueError("must be a file in models/loras (a name, or a subfolder and a "
                             "name), not a path")
        return value

    @model_validator(mode="before")
    @classmethod
    def _name_alone(cls, data: Any) -> Any:
        # "squish.safetensors" is that LoRA at strength 1
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, (dict, LoraChoice)):  # null, 5, a list: said as the rest
            raise PydanticCustomError("model_type", "must be {kind}, not {given}",
                                      {"kind": LORA_ITEM_WORDS, "given": _shown_kind(data)})
        return data


class GenerationRequest(_RequestModel):
    """Everything needed to build (and run) one LTX-2 video.

    Either ``duration`` (seconds) or ``frames`` sets the length; frame counts are
    8n+1, and sizes of two-stage pipelines are multiples of 64: the builders snap to
    the nearest valid values and report what they produce.

    ``type``, when not given, follows from the input files (an audio: ia2v; a last image:
    flf2v; an image: i2v; none: t2v); ``"type" in request.model_fields_set`` tells whether it
    was given. A request no pipeline makes, or that does not validate, is a
    :class:`~ltx2sdk.errors.RequestError`.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              validate_assignment=True,
                              json_schema_extra={"title": "LTX-2 generation request"})

    prompt: str = Field(..., min_length=1, max_length=MAX_PROMPT_CHARS,
                        description="What happens in the video, including sounds and speech.")
    negative_prompt: str | None = Field(
        None, max_length=MAX_PROMPT_CHARS,
        description="What to avoid (used by pipelines with real CFG guidance; at CFG 1 it has "
                    "no effect). Default: the pipeline's official template's (LTX-2: "
                    f"'{DEFAULT_NEGATIVE_PROMPT}').")
    model: ModelId = Field(
        DEFAULT_MODEL, description="The model: ltx-2 (LTX-2 19B), ltx-2.3 (22B) or ltx-2.5 "
                                   "(22B, distilled only).")
    mode: Mode = Field("fast", description="fast: the distilled model (or the dev model with "
                                           "the distilled LoRA), few steps at CFG 1; "
                                           "pro: the dev model with real CFG guidance; "
                                           "lora (LTX-2 i2v): the dev model made fast by "
                                           "the distilled LoRA, for effect LoRAs.")
    type: VideoTypeId = Field("t2v", description="Text to video, image to video (a first "
                                                  "frame), first-and-last-frame video (flf2v: "
                                                  "a first and a last frame), or image and "
                                                  "audio to video (ia2v: a first frame and a "
                                                  "voice to lip-sync), a first frame and a "
                                                  "voice to speak with (id2v), a reference "
                                                  "sheet (ref2v), or a video's edges or depth "
                                                  "(canny2v, depth2v). When not given, the "
                                                  "input files decide: an audio file makes "
                                                  "ia2v, else a last image flf2v, else an "
                                                  "image i2v; none, t2v.",
                              json_schema_extra=_no_default)
    width: int = Field(1280, ge=128, le=3840, description="Output width in pixels "
                       "(snapped to a multiple of 64).")
    height: int = Field(720, ge=128, le=3840, description="Output height in pixels "
                        "(snapped to a multiple of 64).")
    duration: float | None = Field(None, gt=0, le=MAX_DURATION_S,
                                   description="Length in seconds (default 10, at most 20; "
                                               "ia2v: the audio's length).")
    frames: int | None = Field(None, ge=MIN_FRAMES, le=MAX_FRAMES,
                               description="Length in frames (8n+1); instead of duration.")
    fps: int | None = Field(None, ge=1, le=60,
                            description="Frames per second (default: the pipeline's official "
                                        "template's, 24 or 25).")
    seed: int | None = Field(None, ge=0, le=2**64 - 1,
                             description="Noise seed; random when absent (always reported).")
    enhance_prompt: bool = Field(False, description="Let the Gemma text encoder rewrite the "
                                 "prompt in LTX-2's detailed style first (for i2v it also "
                                 "looks at the image); costs a few seconds.")
    camera_lora: CameraMotion = Field("static", description="Camera motion LoRA.")
    camera_strength: float = Field(1.0, ge=0.0, le=2.0, description="Camera LoRA strength.")
    image: str | None = Field(None, description="i2v, flf2v, ia2v, id2v: name of the first "
                                                "frame's image in ComfyUI's input folder (for "
                                                "example, returned by an upload); ref2v: the "
                                                "reference sheet's.")
    image_url: str | None = Field(None, description="i2v, flf2v, ia2v, id2v: http(s) URL of "
                                                    "the first frame; ref2v: of the reference "
                                                    "sheet.")
    image_base64: str | None = Field(None, description="i2v, flf2v, ia2v, id2v: the first "
                                                       "frame as base64 or a data: URI; ref2v: "
                                                       "the reference sheet.")
    image_strength: float = Field(1.0, ge=0.0, le=1.0,
                                  description="i2v, flf2v, ia2v: how strongly the first "
                                              "frame is kept in the first stage (flf2v: its "
                                              "first frame's guide); unless given, the "
                                              "pipeline's (ltx2 models --pipelines); not used "
                                              "by t2v.")
    last_image: str | None = Field(None, description="flf2v: name of the last frame's image in "
                                                     "ComfyUI's input folder.")
    last_image_url: str | None = Field(None, description="flf2v: http(s) URL of the last "
                                                         "frame.")
    last_image_base64: str | None = Field(None, description="flf2v: the last frame as base64 "
                                                            "or a data: URI.")
    audio: str | None = Field(None, description="ia2v, id2v (the voice to keep): name of "
                                                "the audio file (wav, mp3, flac "
                                                "or ogg) in ComfyUI's input folder; its length "
                                                "is not known here: give duration (default "
                                                "10 s).")
    audio_url: str | None = Field(None, description="ia2v, id2v: http(s) URL of the audio "
                                                    "(wav, mp3, "
                                                    "flac or ogg vorbis; at most 20 MB and 60 s "
                                                    "by default).")
    audio_base64: str | None = Field(None, description="ia2v, id2v: the audio file as base64 "
                                                       "or a "
                                                       "data: URI.")
    video: str | None = Field(None, description="canny2v, depth2v: name of the video (mp4, mov, "
                                                "webm, mkv, avi or another video extension "
                                                "LoadVideo lists) in ComfyUI's input folder; "
                                                "generate reads and measures it there before "
                                                "queueing (an offline build does not: give "
                                                "duration or frames, default the pipeline's).")
    video_url: str | None = Field(None, description="canny2v, depth2v: http(s) URL of the video "
                                                    "that steers the new one (at most 256 MiB, "
                                                    "120 s, 4K by default).")
    video_base64: str | None = Field(None, description="canny2v, depth2v: the video as base64 "
                                                       "or a data: URI.")
    video_start: float = Field(0.0, ge=0.0, le=3600.0,
                               description="canny2v, depth2v: where in the video the part "
                                           "used begins, in seconds; the part is as long as "
                                           "the new video.")
    loras: list[LoraChoice] = Field(
        default_factory=list, max_length=MAX_LORAS,
        description="Your own LoRAs (files in the server's models/loras), applied to the model "
                    "of every stage the way Comfy-Org's LoRA template applies one: before the "
                    "pipeline's own LoRAs in the first stage, after them in the others. Each "
                    "is {\"name\": FILE, \"strength\": S} or just FILE (strength 1).")
    models: ModelSet = Field(default_factory=ModelSet, description="Model file overrides.")
    filename_prefix: str = Field("video/ltx2sdk", min_length=1, max_length=200,
                                 pattern=r"^[A-Za-z0-9_\-./]+$",
                                 description="SaveVideo prefix (subfolder/name).")

    @model_validator(mode="before")
    @classmethod
    def _no_type_given(cls, data: Any) -> Any:
        # a type given as null or "" is no type: inferred from the inputs (in _consistent)
        if isinstance(data, dict) and "type" in data and data["type"] in (None, ""):
            data = {key: value for key, value in data.items() if key != "type"}
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            # the original contract sends "" for the input fields its type does not use:
            # those are absent; "" where the type is inferred or uses it is refused (below)
            unused = {name for which in INPUT_FILES if data["type"] not in which.types
                      for name in which.fields}
            data = {key: value for key, value in data.items()
                    if not (key in unused and value == "")}
        return data

    @field_validator("negative_prompt", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator(*(name for which in INPUT_FILES for name in which.fields), mode="before")
    @classmethod
    def _empty_is_no_file(cls, value: Any, info: ValidationInfo) -> Any:
        # not dropped: an i2v whose image came out empty would quietly become a t2v; worded
        # as the CLI words an empty --image-base64
        if value == "":
            which = next(w for w in INPUT_FILES if info.field_name in w.fields)
            what = ("URL" if info.field_name == which.url else "file name"
                    if info.field_name == which.file else which.noun.removeprefix("last "))
            raise ValueError(f"the {what} is empty")
        return value

    @field_validator("image_url", "last_image_url", "audio_url", "video_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        # the fetcher's own rule (parse_url), so that a URL refused at fetch time is refused
        # here first; whether its host is public is known only once it is resolved
        if value is not None:
            from ltx2sdk.web_urls import parse_url  # start-up: only a request with a URL

            try:
                parse_url(value)
            except FetchError as exc:
                raise ValueError(f"not an http(s) URL ({exc})") from None
        return value

    @field_validator("image", "last_image", "audio", "video")
    @classmethod
    def _bare_name(cls, value: str | None) -> str | None:
        if value is not None and (not _BARE_FILE_NAME.match(value) or value in (".", "..")):
            raise ValueError("must be a file name in ComfyUI's input folder, not a path")
        if value is not None and _CONTROL_CHARACTER.search(value):  # (no folder lists one)
            raise ValueError("must be a file name, without control characters")
        return value

    @field_validator("video")
    @classmethod
    def _video_extension(cls, value: str | None) -> str | None:
        # LoadVideo lists only video files: another name would be refused by the server
        if value is not None and value.rpartition(".")[2].lower() not in VIDEO_EXTENSIONS:
            raise ValueError(f"must be a video file ({', '.join(VIDEO_EXTENSIONS)})")
        return value

    @field_validator("filename_prefix")
    @classmethod
    def _no_traversal(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must stay inside ComfyUI's output folder")
        if ".." in value.rsplit("/", 1)[-1]:
            # ComfyUI's /view refuses any file name containing "..": the video would be
            # made, then could not be downloaded
            raise ValueError("the file name part must not contain '..' (ComfyUI would not "
                             "serve the video)")
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "type" and value in (None, ""):
            # as in JSON: no type given, so the input files make it (validated afresh, as a
            # request giving none; the request is left as it was if that is refused)
            fresh = type(self).model_validate(
                {field: getattr(self, field) for field in self.model_fields_set
                 if field != "type"})
            self.__dict__.update(fresh.__dict__)
            self.__pydantic_fields_set__ = set(fresh.model_fields_set)
            return
        super().__setattr__(name, value)

    def __repr_args__(self) -> Any:
        # a base64 field is shown by its size: a video's first frame is hundreds of KiB
        for name, value in super().__repr_args__():
            if name is not None and name.endswith("_base64") and isinstance(value, str):
                yield name, _Shown(f"<{byte_size(base64_size(value))} base64>")
            else:
                yield name, value

    @model_validator(mode="after")
    def _consistent(self) -> GenerationRequest:
        inferred_from = None  # the input field that made the type, when none was given
        video_given = VIDEO.given(self)
        if "type" not in self.model_fields_set and video_given:
            # edges or depth: the video alone does not say which it is to steer
            types = " or ".join(f"'{t}'" for t in VIDEO.types)
            raise refusal("type_needed", f"{video_given[0]} is used by type {types}: give the "
                          "type", input=VIDEO.file, field=video_given[0],
                          types=list(VIDEO.types))
        if "type" not in self.model_fields_set:
            # straight into the fields, not through setattr: the type stays "not given"
            self.__dict__["type"] = inferred_type(self)
            inferred_from = _made_by(self)
        for which in INPUT_FILES:
            given = which.given(self)
            if self.type not in which.types and given:
                quoted = [f"'{t}'" for t in which.types]
                types = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if quoted[:-1]
                                    else quoted)
                raise refusal("input_not_used", f"{given[0]} is only used with type {types} "
                              f"(type is '{self.type}')", input=which.file, field=given[0],
                              type=self.type)
            if which.needed_by(self.type) and not given:
                url, data, file = which.fields
                made_by = (f" ({inferred_from} makes the type {self.type})"
                           if inferred_from else "")
                raise refusal("input_missing", f"type '{self.type}' needs "
                              f"{which.wanted_by(self.type)}: give one of {url}, {data} or "
                              f"{file}{made_by}", input=which.file, type=self.type,
                              inferred_from=inferred_from)
            if len(given) > 1:
                raise refusal("one_source_only", f"give only one {which.noun} source, not "
                              f"{' and '.join(given)}", input=which.file, fields=given)
        if self.video_start and self.type not in VIDEO.types:
            types = " or ".join(f"'{t}'" for t in VIDEO.types)
            raise refusal("input_not_used", f"video_start is only used with type {types} "
                          f"(type is '{self.type}')", input=VIDEO.file, field="video_start",
                          type=self.type)
        missing = missing_pipeline(self.model, self.type, self.mode)
        if missing is not None:
            field, reason = missing
            why = (f"; {inferred_from} makes the type {self.type}"
                   if field == "type" and inferred_from else "")
            raise refusal("no_pipeline", "{field}: {reason}" + why, field=field, model=self.model,
                          type=self.type, mode=self.mode, inferred_from=inferred_from,
                          reason=reason)
        if self.duration is not None and self.frames is not None:
            raise refusal("one_length_only", "give duration or frames, not both",
                          fields=["duration", "frames"])
        if self.fps is not None:  # else the pipeline's fps: checked when planning
            try:
                check_length(self.frames, self.duration, self.fps)
            except RequestFieldError as exc:
                raise refusal("length_over_limit", "{field}: {reason}", field=exc.field,
                              reason=exc.reason) from exc
        return self


class _Shown(str):
    """A text a ``repr`` shows as it is, without quotes."""

    def __repr__(self) -> str:
        return str(self)


def base64_size(text: str) -> int:
    """The size of the bytes base64 ``text`` (or a ``data:...;base64,`` URI) decodes to, about
    (white space and padding do not count), without decoding it."""
    payload = text.partition(",")[2] if text[:5].lower() == "data:" else text
    body = sum(1 for char in payload if not char.isspace() and char != "=")
    return body * 3 // 4


def inferred_type(request: GenerationRequest) -> VideoTypeId:
    """The type ``request``'s input files make (the rule of a request that gives none): ia2v
    with an audio file, else flf2v with a last image, else i2v with an image, else t2v.
    Each is a type that uses the file (id2v, which takes an audio file too, is asked for by
    name), so that a missing first image is then said as such."""
    if AUDIO.given(request):
        return "ia2v"
    if LAST_IMAGE.given(request):
        return "flf2v"
    return "i2v" if FIRST_IMAGE.given(request) else "t2v"


def _made_by(request: GenerationRequest) -> str | None:
    """The field that makes the inferred type (for messages): ``audio_url``; ``None`` for
    t2v, which no input file makes."""
    for which in (AUDIO, LAST_IMAGE, FIRST_IMAGE):
        given = which.given(request)
        if given:
            return given[0]
    return None


def request_json_schema() -> dict[str, Any]:
    """The request's JSON Schema (for the RunPod Hub, docs and other languages)."""
    return GenerationRequest.model_json_schema()


def request_error(error: ValidationError, model: type[BaseModel] = GenerationRequest
                  ) -> RequestError:
    """``error`` as the SDK's :class:`~ltx2sdk.errors.RequestError`: the same structured
    errors (an unknown field's message naming the nearest known one, its ``ctx`` holding it
    as ``suggestion``), and one line for people (:func:`describe_validation_error`)."""
    items: list[dict[str, Any]] = []
    for item in error.errors(include_url=False):
        items.append(dict(item))
        if item["type"] == "extra_forbidden":
            items[-1].update(_unknown_field(model, tuple(item["loc"])))
        elif item["type"] in _BOUNDS:
            items[-1]["msg"] = _out_of_bounds(item)
        elif item["type"] in _WORDED:
            items[-1]["msg"] = _WORDED[item["type"]](item)
    return RequestError(_describe(items), items)


def _too_short(item: Mapping[str, Any]) -> str:
    """``is empty`` (``... (only white space)``) for pydantic's ``String should have at
    least 1 character``."""
    given, least = item.get("input"), item.get("ctx", {}).get("min_length", 1)
    if least > 1:
        return f"at least {least} characters"
    return "is empty (only white space)" if isinstance(given, str) and given else "is empty"


def _too_long(item: Mapping[str, Any]) -> str:
    """``at most 20000 characters, not 20001`` (``at most 8 items, not 9`` for a list)."""
    ctx, given = item.get("ctx", {}), item.get("input")
    unit = "characters" if item["type"] == "string_too_long" else "items"
    count = len(given) if isinstance(given, (str, list)) else ctx.get("actual_length")
    return f"at most {ctx.get('max_length')} {unit}" + (f", not {count}" if count else "")


def _not_a_choice(item: Mapping[str, Any]) -> str:
    """``'statc' is not one of none, static, ...; did you mean 'static'?`` for pydantic's
    ``Input should be 'none', 'static', ...`` (a short text echoed, a long one not)."""
    options = re.findall(r"'((?:[^'\\]|\\.)*)'", str(item.get("ctx", {}).get("expected", "")))
    given = item.get("input")
    shown = repr(given) if isinstance(given, str) and len(given) <= _ECHOED_CHOICE \
        else "the text given" if isinstance(given, str) else _shown_kind(given)
    # only a choice that is close: 'ultra' is no 'lora' (the choices are listed anyway)
    near = nearest(given, options) \
        if isinstance(given, str) and len(given) <= _ECHOED_CHOICE else None
    return f"{shown} is not one of {', '.join(options)}" + (
        f"; did you mean {near!r}?" if near else "")


_ECHOED_CHOICE = 40  # the longest text a "not one of" message repeats
# pydantic's words -> the project's, by the error's type
_WORDED: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "string_too_short": _too_short, "string_too_long": _too_long, "too_long": _too_long,
    "literal_error": _not_a_choice, "missing": lambda item: "is required"}


# pydantic's bound checks -> how the bound reads (its ctx holds the bound under that key)
_BOUNDS = {"less_than_equal": ("le", "at most"), "less_than": ("lt", "less than"),
           "greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than")}
# the unit of a request field's number, where it has one
_UNITS = {"duration": " s", "width": " px", "height": " px", "frames": " frames",
          "fps": " fps"}


def _out_of_bounds(item: Mapping[str, Any]) -> str:
    """``at most 20 s, not 25`` for pydantic's ``Input should be less than or equal to 20``:
    the limit with its unit, and the number given (a number is safe to echo)."""
    key, words = _BOUNDS[item["type"]]
    unit = _UNITS.get(str(item["loc"][-1]), "") if item["loc"] else ""
    bound, given = item.get("ctx", {}).get(key), item.get("input")
    return f"{words} {_number(bound)}{unit}" + (f", not {_number(given)}"
                                                 if _number(given) != "" else "")


def _number(value: Any) -> str:
    """``20`` for 20.0, ``1.5`` for 1.5; ``""`` for what is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _unknown_field(root: type[BaseModel], loc: tuple[Any, ...]) -> dict[str, Any]:
    """The ``msg`` and ``ctx`` of an unknown field at ``loc`` of a ``root`` model: the
    known field of its object it is meant as (the same name in other case first, then the
    nearest spelling), or, when none is near, the fields (where they are listed, when there
    are many)."""
    model: type[BaseModel] | None = root
    for name in loc[:-1]:  # down to the object holding it (``models``, ``loras.0``)
        if isinstance(name, int):
            continue  # an item of a list: the list's field gave its model already
        field = model.model_fields.get(str(name)) if model is not None else None
        kind = field.annotation if field is not None else None
        if get_origin(kind) is list:
            kind = get_args(kind)[0]
        model = kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None
    known = list(model.model_fields) if model is not None else []
    name = str(loc[-1])
    # "image_URL" is image_url, though "image" is spelt closer (nearest: case aside)
    near = nearest(name, known)
    if near:
        return {"msg": f"unknown field {name!r}; did you mean {near!r}?",
                "ctx": {"field": name, "suggestion": near}}
    # a few fields (models') read in a line; the request's 26 would not: say where they are
    listed = (f"the fields: {', '.join(known)}" if len(known) <= _LISTED_FIELDS
              else "ltx2 schema lists the fields; in Python, request_json_schema()")
    return {"msg": f"unknown field {name!r} ({listed})",
            "ctx": {"field": name, "suggestion": None}}


_LISTED_FIELDS = 8  # the most fields an unknown field's message lists


def describe_validation_error(error: RequestError | ValidationError) -> str:
    """One line per problem: ``field: message`` (input values are not echoed)."""
    if isinstance(error, RequestError):
        return str(error)
    return str(request_error(error))


def _describe(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items:
        field = ".".join(str(p) for p in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            field = ".".join(str(p) for p in item["loc"][:-1])  # the message names it
        # a rule about the whole request has no field: the message alone says it
        parts.append(f"{field}: {message}" if field else message)
    return "invalid request: " + "; ".join(parts)
