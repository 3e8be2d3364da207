"""LTX-2 pipelines composed node by node: T2V and I2V, fast (distilled) and pro (dev).

    from ltx2sdk import GenerationRequest
    from builders import build

    result = build(GenerationRequest(prompt="a fox in the snow", mode="pro"))
    result.plan.width, result.plan.frames   # what will be produced
    api_json = result.compile()             # ComfyUI API format
"""

from .pipelines import PLACEHOLDER_IMAGE, RECIPES, Build, Recipe, build
from .plan import Plan, ResolvedModels, make_plan

__all__ = ["PLACEHOLDER_IMAGE", "RECIPES", "Build", "Plan", "Recipe", "ResolvedModels", "build",
           "make_plan"]
