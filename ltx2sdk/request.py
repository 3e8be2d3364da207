"""The one request model behind every entry point: Python, the CLI and the RunPod handler.

It accepts the original handler contract unchanged (``prompt, mode, type, width,
height, duration, seed, camera_lora, image_url, image_base64``) plus the SDK's
extra fields. Bad input is a :class:`pydantic.ValidationError` naming the field
and the allowed values; :func:`describe_validation_error` turns it into one line. A rule about
several fields (:data:`~ltx2sdk.vocabulary.RequestRule`) is an error whose ``type`` is the
rule's code and whose ``ctx`` holds the fields, so that callers need not read its words.

Input files come from one of three fields each (:data:`~ltx2sdk.vocabulary.INPUT_FILES`): the
first frame (i2v, flf2v, ia2v) from ``image_url``, ``image_base64`` or ``image``, the last
frame (flf2v) from ``last_image_url``, ``last_image_base64`` or ``last_image``, the audio
(ia2v) from ``audio_url``, ``audio_base64`` or ``audio``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ltx2sdk import model_files as models
from ltx2sdk.errors import RequestFieldError
from ltx2sdk.vocabulary import (
    DEFAULT_MODEL,
    INPUT_FILES,
    MAX_DURATION_S,
    MAX_FRAMES,
    MAX_PROMPT_CHARS,
    CameraMotion,
    Mode,
    ModelId,
    RequestRule,
    VideoTypeId,
    check_length,
)

DEFAULT_NEGATIVE_PROMPT = ("blurry, low quality, still frame, frames, watermark, overlay, titles, "
                           "has blurbox, has subtitles")
_BARE_FILE_NAME = re.compile(r"^[^/\\\x00]+$")


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


class ModelSet(BaseModel):
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


class GenerationRequest(BaseModel):
    """Everything needed to build (and run) one LTX-2 video.

    Either ``duration`` (seconds) or ``frames`` sets the length; frame counts are
    8n+1, and sizes of two-stage pipelines are multiples of 64: the builders snap to
    the nearest valid values and report what they produce.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
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
                                           "pro: the dev model with real CFG guidance.")
    type: VideoTypeId = Field("t2v", description="Text to video, image to video (a first "
                                                  "frame), first-and-last-frame video (flf2v: "
                                                  "a first and a last frame), or image and "
                                                  "audio to video (ia2v: a first frame and a "
                                                  "voice to lip-sync).")
    width: int = Field(1280, ge=128, le=3840, description="Output width in pixels "
                       "(snapped to a multiple of 64).")
    height: int = Field(720, ge=128, le=3840, description="Output height in pixels "
                        "(snapped to a multiple of 64).")
    duration: float | None = Field(None, gt=0, le=MAX_DURATION_S,
                                   description="Length in seconds (default 10, at most 20; "
                                               "ia2v: the audio's length).")
    frames: int | None = Field(None, ge=9, le=MAX_FRAMES,
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
    image: str | None = Field(None, description="i2v, flf2v, ia2v: name of the first frame's "
                                                "image in ComfyUI's input folder (for example, "
                                                "returned by an upload).")
    image_url: str | None = Field(None, description="i2v, flf2v, ia2v: http(s) URL of the "
                                                    "first frame.")
    image_base64: str | None = Field(None, description="i2v, flf2v, ia2v: the first frame as "
                                                       "base64 or a data: URI.")
    image_strength: float = Field(1.0, ge=0.0, le=1.0,
                                  description="i2v, ia2v: how strongly the first frame is "
                                              "kept in the first stage (unless given, the "
                                              "pipeline's: 1.0 for LTX-2, 0.7 for LTX-2.3 and "
                                              "LTX-2.5); flf2v's guides keep their own.")
    last_image: str | None = Field(None, description="flf2v: name of the last frame's image in "
                                                     "ComfyUI's input folder.")
    last_image_url: str | None = Field(None, description="flf2v: http(s) URL of the last "
                                                         "frame.")
    last_image_base64: str | None = Field(None, description="flf2v: the last frame as base64 "
                                                            "or a data: URI.")
    audio: str | None = Field(None, description="ia2v: name of the audio file (wav, mp3, flac "
                                                "or ogg) in ComfyUI's input folder; its length "
                                                "is not known here: give duration (default "
                                                "10 s).")
    audio_url: str | None = Field(None, description="ia2v: http(s) URL of the audio (wav, mp3, "
                                                    "flac or ogg vorbis; at most 20 MB and 60 s "
                                                    "by default).")
    audio_base64: str | None = Field(None, description="ia2v: the audio file as base64 or a "
                                                       "data: URI.")
    models: ModelSet = Field(default_factory=ModelSet, description="Model file overrides.")
    filename_prefix: str = Field("video/ltx2sdk", min_length=1, max_length=200,
                                 pattern=r"^[A-Za-z0-9_\-./]+$",
                                 description="SaveVideo prefix (subfolder/name).")

    @field_validator("negative_prompt", "image", "image_url", "image_base64", "last_image",
                     "last_image_url", "last_image_base64", "audio", "audio_url",
                     "audio_base64", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        # the original contract sends "" or null for unused fields
        return None if value == "" else value

    @field_validator("image", "last_image", "audio")
    @classmethod
    def _bare_name(cls, value: str | None) -> str | None:
        if value is not None and (not _BARE_FILE_NAME.match(value) or value in (".", "..")):
            raise ValueError("must be a file name in ComfyUI's input folder, not a path")
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

    @model_validator(mode="after")
    def _consistent(self) -> GenerationRequest:
        for which in INPUT_FILES:
            given = which.given(self)
            if self.type not in which.types and given:
                quoted = [f"'{t}'" for t in which.types]
                types = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if quoted[:-1]
                                    else quoted)
                raise refusal("input_not_used", f"{given[0]} is only used with type {types} "
                              f"(type is '{self.type}')", input=which.file, field=given[0],
                              type=self.type)
            if self.type in which.types and not given:
                url, data, file = which.fields
                raise refusal("input_missing", f"type '{self.type}' needs "
                              f"{which.wanted_by(self.type)}: give one of {url}, {data} or "
                              f"{file}", input=which.file, type=self.type)
            if len(given) > 1:
                raise refusal("one_source_only", f"give only one {which.noun} source, not "
                              f"{' and '.join(given)}", input=which.file, fields=given)
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


def request_json_schema() -> dict[str, Any]:
    """The request's JSON Schema (for the RunPod Hub, docs and other languages)."""
    return GenerationRequest.model_json_schema()


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: ``field: message`` (input values are not echoed)."""
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            allowed = ", ".join(GenerationRequest.model_fields)
            message = f"unknown field (allowed: {allowed})"
        # a rule about the whole request has no field: the message alone says it
        parts.append(f"{field}: {message}" if field else message)
    return "invalid request: " + "; ".join(parts)
