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

from typing import TYPE_CHECKING, Any

from .catalog import PIPELINES, Pipeline, PipelineKey, get_pipeline

if TYPE_CHECKING:
    from .pipelines import PLACEHOLDER_IMAGE, PLACEHOLDER_VIDEO, Build, build, build_pipeline
    from .plan import (
        CheckedRequest,
        Plan,
        ResolvedModels,
        VideoFacts,
        check_request,
        make_plan,
    )

# name -> module defining it, imported on first access (PEP 562): the catalog is what most
# importers read (ltx2 --help, pipelines, models); composing graphs (the stages, the typed
# node calls they make, the planner) loads with the first name that needs it
_LAZY = {
    "PLACEHOLDER_IMAGE": "builders.pipelines",
    "PLACEHOLDER_VIDEO": "builders.pipelines",
    "Build": "builders.pipelines",
    "build": "builders.pipelines",
    "build_pipeline": "builders.pipelines",
    "CheckedRequest": "builders.plan",
    "Plan": "builders.plan",
    "ResolvedModels": "builders.plan",
    "VideoFacts": "builders.plan",
    "check_request": "builders.plan",
    "make_plan": "builders.plan",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'builders' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
