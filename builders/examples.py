"""An example request for every pipeline and every official template it computes.

``ltx2 build --template NAME`` starts from :func:`template_request`: the template's own
settings (:mod:`builders.catalog.templates`) with the offline build's placeholders for its input
files. A pipeline no template has gets :func:`pipeline_request`: a plain 5 s prompt, a fixed
seed and the placeholders. Both are request fields (a dict): flags and request files change
them before the request model checks them.
"""

from __future__ import annotations

from typing import Any

from ltx2sdk.vocabulary import FIRST_IMAGE, LAST_IMAGE

from .catalog import PIPELINES, Pipeline
from .catalog.ltx2_5_api import BY_KEY as PARTNER_PIPELINES
from .catalog.ltx2_5_api import PartnerPipeline
from .catalog.templates import OfficialTemplate, templates_of
from .pipelines import (
    PLACEHOLDER_AUDIO,
    PLACEHOLDER_IMAGE,
    PLACEHOLDER_LAST_IMAGE,
    PLACEHOLDER_VIDEO,
)

PLAIN_PROMPT = ("A red fox trots through fresh snow at dawn, its breath fogging in the cold "
                "air. The camera holds steady at ground level. Soft wind and the crunch of "
                "snow.")
"""The prompt of a pipeline's example when no template gives one."""


def placeholder_inputs(pipeline: Pipeline | PartnerPipeline) -> dict[str, str]:
    """Request field -> the placeholder name of each input file ``pipeline`` takes (an
    optional first image included: the templates give one)."""
    inputs: dict[str, str] = {}
    if FIRST_IMAGE in pipeline.images:
        inputs[FIRST_IMAGE.file] = PLACEHOLDER_IMAGE
    if LAST_IMAGE in pipeline.images:
        inputs[LAST_IMAGE.file] = PLACEHOLDER_LAST_IMAGE
    if pipeline.audio is not None:
        inputs["audio"] = PLACEHOLDER_AUDIO
    if pipeline.control is not None:
        inputs["video"] = PLACEHOLDER_VIDEO
    return inputs


def template_request(template: OfficialTemplate) -> dict[str, Any]:
    """The request fields that reproduce ``template``, its input files as placeholders."""
    pipeline = PARTNER_PIPELINES.get(template.pipeline) or PIPELINES.get(*template.pipeline)
    return template.example(placeholder_inputs(pipeline))


def pipeline_request(pipeline: Pipeline | PartnerPipeline) -> dict[str, Any]:
    """``pipeline``'s example: that of the first template it computes without adding a LoRA,
    else a plain 5 s request with a fixed seed, its input files as placeholders."""
    plain = [t for t in templates_of(pipeline.key) if not t.loras]
    if plain:
        return template_request(plain[0])
    model, kind, mode = pipeline.key
    return {"prompt": PLAIN_PROMPT, "model": model, "type": kind, "mode": mode,
            "duration": 5, "seed": 42, **placeholder_inputs(pipeline)}
