"""LTX-2 pipelines composed node by node, from a catalog of typed declarations.

    from ltx2sdk import GenerationRequest
    from builders import build

    result = build(GenerationRequest(prompt="a fox in the snow", mode="pro"))
    result.plan.width, result.plan.frames   # what will be produced
    api_json = result.compile()             # ComfyUI API format

Which pipelines exist, and what each computes: :mod:`builders.catalog`
(``PIPELINES.keys()``, ``get_pipeline("ltx-2", "t2v", "fast")``); the hosted LTX-2.5 API's,
one partner node each and no model files, are :mod:`builders.catalog.ltx2_5_api`, planned
and composed by :mod:`builders.partner` (``build`` and ``check_request`` take both).

Import rule: the builders stand above the graph layer and the request model and import
only those and the foundation (``ltx2sdk.errors``, ``ltx2sdk.model_files``, ...); never a
backend, ``ltx2sdk.media`` or the application layer (``ltx2sdk.app``), which imports them.
"""

from .catalog import PIPELINES, Pipeline, PipelineKey, get_pipeline
from .pipelines import PLACEHOLDER_IMAGE, PLACEHOLDER_VIDEO, Build, build, build_pipeline
from .plan import CheckedRequest, Plan, ResolvedModels, VideoFacts, check_request, make_plan

__all__ = [
           "PIPELINES",
           "PLACEHOLDER_IMAGE",
           "PLACEHOLDER_VIDEO",
           "Build",
           "CheckedRequest",
           "Pipeline",
           "PipelineKey",
           "Plan",
           "ResolvedModels",
           "VideoFacts",
           "build",
           "build_pipeline",
           "check_request",
           "get_pipeline",
           "make_plan",
]
