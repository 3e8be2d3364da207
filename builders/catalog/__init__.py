"""The pipeline catalog: one typed declaration per (model, type, mode).

    from builders.catalog import PIPELINES, get_pipeline

    PIPELINES.keys()                       # what exists, as PipelineKey(model, type, mode)
    pipeline = get_pipeline("ltx-2", "i2v", "pro")
    pipeline.stages[0].sigmas              # LTXVSchedule(steps=20, ...)
    pipeline.template                      # "video_ltx2_i2v"

The declarations live in one module per model (:mod:`.ltx2`, :mod:`.ltx2_3`, :mod:`.ltx2_5`);
their types in :mod:`.types`. The hosted LTX-2.5 API (:mod:`.ltx2_5_api`: partner nodes, no
model files) declares its pipelines with a type of its own, apart from :data:`PIPELINES`.

A new pipeline is a new declaration in its model's module, listed in that module's
``PIPELINES`` (a new model: a new module, added to :data:`PIPELINES` below)
and in :data:`ltx2sdk.vocabulary.PIPELINES_MADE` (what the request model accepts: it cannot
import the builders; a test holds the two equal), plus its parity test; no stage code changes
unless it needs a node the stages do not add yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ltx2sdk.errors import UnknownPipelineError
from ltx2sdk.vocabulary import missing_pipeline

from . import ltx2, ltx2_3, ltx2_5, ltx2_5_api
from .types import (
    AUDIO_USE,
    CFG,
    IMAGES_OF_TYPE,
    LATENT_PIXELS,
    UPSCALE_FACTOR,
    AddGuide,
    AudioUse,
    CannyEdges,
    CheckpointFiles,
    ControlCut,
    ControlVideo,
    Decode,
    DualCFG,
    EulerAncestral,
    FirstFrameInplace,
    FitToOutput,
    GivenAudio,
    Guide,
    Guider,
    ImagePreprocess,
    KSampler,
    LatentSlot,
    LoraFile,
    LoraRole,
    LotusDepth,
    LTXVSchedule,
    ManualSigmas,
    ModelFiles,
    ModelVersion,
    MoGeDepth,
    Negative,
    Pipeline,
    PipelineKey,
    PlainDecode,
    Preprocessor,
    ReferenceAudio,
    ReferenceSheet,
    ResizeStep,
    Sampler,
    SamplerSelect,
    ScaleLongerEdge,
    ScaleToMaxDimension,
    Schedule,
    SplitFiles,
    Stage,
    TiledDecode,
)

if TYPE_CHECKING:  # the request module (pydantic) loads with the first request, not here
    from ltx2sdk.request import GenerationRequest


class Registry:
    """Pipelines by (model, type, mode), in the order they were declared."""

    def __init__(self, pipelines: Iterable[Pipeline],
                 declared_apart: Iterable[PipelineKey] = ()) -> None:
        """``declared_apart``: pipelines of other kinds (partner nodes,
        :mod:`.ltx2_5_api`), named when a missing one is worded."""
        self._apart = tuple(declared_apart)
        self._by_key: dict[PipelineKey, Pipeline] = {}
        for pipeline in pipelines:
            if pipeline.key in self._by_key:
                raise ValueError(f"pipeline {pipeline.key} is declared twice")
            self._by_key[pipeline.key] = pipeline

    def get(self, model: str, type: str, mode: str) -> Pipeline:
        """The pipeline of ``model`` (``"ltx-2"``), ``type`` and ``mode``.

        An unknown combination is an :class:`UnknownPipelineError` naming the request field
        (``model``, ``type`` or ``mode``) that has no pipeline and what there is instead.
        """
        key = PipelineKey(str(model), str(type), str(mode))
        found = self._by_key.get(key)
        if found is not None:
            return found
        missing = missing_pipeline(*key, made=(*self._by_key, *self._apart))
        assert missing is not None  # (not found above)
        raise UnknownPipelineError(*missing)

    def keys(self) -> tuple[PipelineKey, ...]:
        return tuple(self._by_key)

    def models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k.model for k in self._by_key))

    def describe(self) -> str:
        """``"ltx-2 t2v fast, ltx-2 t2v pro, ..."``."""
        return ", ".join(str(key) for key in self._by_key)

    def __iter__(self) -> Iterator[Pipeline]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key


PIPELINES = Registry((*ltx2.PIPELINES, *ltx2_3.PIPELINES, *ltx2_5.PIPELINES),
                     declared_apart=ltx2_5_api.BY_KEY)
"""Every pipeline the SDK builds from model files; the hosted LTX-2.5 API's, made by partner
nodes, are :data:`.ltx2_5_api.PIPELINES` (``builders.check_request`` finds both)."""

def get_pipeline(model: str, type: str, mode: str) -> Pipeline:
    """``PIPELINES.get(model, type, mode)``."""
    return PIPELINES.get(model, type, mode)


def pipeline_for(request: GenerationRequest) -> Pipeline:
    """The pipeline ``request`` asks for."""
    return PIPELINES.get(request.model, request.type, request.mode)


__all__ = [
    "AUDIO_USE",
    "CFG",
    "IMAGES_OF_TYPE",
    "LATENT_PIXELS",
    "PIPELINES",
    "UPSCALE_FACTOR",
    "AddGuide",
    "AudioUse",
    "CannyEdges",
    "CheckpointFiles",
    "ControlCut",
    "ControlVideo",
    "Decode",
    "DualCFG",
    "EulerAncestral",
    "FirstFrameInplace",
    "FitToOutput",
    "GivenAudio",
    "Guide",
    "Guider",
    "ImagePreprocess",
    "KSampler",
    "LTXVSchedule",
    "LatentSlot",
    "LoraFile",
    "LoraRole",
    "LotusDepth",
    "ManualSigmas",
    "MoGeDepth",
    "ModelFiles",
    "ModelVersion",
    "Negative",
    "Pipeline",
    "PipelineKey",
    "PlainDecode",
    "Preprocessor",
    "ReferenceAudio",
    "ReferenceSheet",
    "Registry",
    "ResizeStep",
    "Sampler",
    "SamplerSelect",
    "ScaleLongerEdge",
    "ScaleToMaxDimension",
    "Schedule",
    "SplitFiles",
    "Stage",
    "TiledDecode",
    "get_pipeline",
    "pipeline_for",
]
