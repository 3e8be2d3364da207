"""The four LTX-2 pipelines: T2V and I2V, each fast (distilled) or pro (dev).

All four are one two-stage composition (:func:`compose`) driven by a
:class:`Recipe`, whose values come from Comfy-Org's official templates (checked by
``tests/test_templates_match.py``):

- stage 1 samples the joint audio-video latent at half resolution;
- the video latent is upscaled 2x by the spatial upscaler;
- stage 2 refines at full resolution with 3 steps at CFG 1 (the dev model gets the
  distilled LoRA for this stage only);
- both latents are decoded and saved as one mp4.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ltx2sdk.compat import BuildSchemas
from ltx2sdk.graph import Graph
from ltx2sdk.nodes import Nodes
from ltx2sdk.schema import NodeSchema

from . import stages
from .plan import Plan, make_plan

if TYPE_CHECKING:  # the request module (pydantic) loads with the first request, not here
    from ltx2sdk.request import GenerationRequest

# What an offline build calls an i2v image that has not been uploaded yet.
PLACEHOLDER_IMAGE = "ltx2sdk_input.png"


@dataclass(frozen=True)
class Recipe:
    """The settings that distinguish the four pipelines."""

    stage1_sampler: str
    stage2_sampler: str
    stage1_cfg: float
    stage1_schedule: str | tuple[int, float, float, bool, float]
    stage1_output_slot: int  # 0 "output" or 1 "denoised_output" feeds the upscale
    crop_guides: bool
    tiled_decode: bool
    zero_negative: bool  # CFG-1 pipelines: zeroed positive (else the positive itself)
    resize_scale_method: str  # i2v: the longer-edge resize


RECIPES: dict[tuple[str, str], Recipe] = {
    ("t2v", "pro"): Recipe("euler_ancestral", "euler_ancestral", 4.0, stages.DEV_SCHEDULE, 0,
                           crop_guides=True, tiled_decode=True, zero_negative=False,
                           resize_scale_method="area"),
    ("t2v", "fast"): Recipe("euler_ancestral", "euler_ancestral", 1.0, stages.DISTILLED_SIGMAS, 1,
                            crop_guides=False, tiled_decode=True, zero_negative=False,
                            resize_scale_method="area"),
    ("i2v", "pro"): Recipe("euler", "gradient_estimation", 4.0, stages.DEV_SCHEDULE, 0,
                           crop_guides=True, tiled_decode=False, zero_negative=False,
                           resize_scale_method="area"),
    ("i2v", "fast"): Recipe("euler", "gradient_estimation", 1.0, stages.DISTILLED_SIGMAS, 0,
                            crop_guides=True, tiled_decode=False, zero_negative=True,
                            resize_scale_method="lanczos"),
}


@dataclass(frozen=True)
class Build:
    """A built pipeline: the graph and the plan it realises."""

    graph: Graph
    plan: Plan

    def compile(self) -> dict[str, dict[str, Any]]:
        """The ComfyUI API prompt of :attr:`graph`."""
        return self.graph.compile()


def build(request: GenerationRequest, *, image_name: str | None = None,
          rng: random.Random | None = None, graph: Graph | None = None,
          schemas: Mapping[str, NodeSchema] | None = None) -> Build:
    """Build the pipeline ``request`` asks for.

    ``image_name`` is the i2v image's name on the server (as returned by an upload);
    without it ``request.image`` is used, or :data:`PLACEHOLDER_IMAGE` for an
    offline build of a URL/base64 request. ``rng`` draws the seed when the request
    has none.

    ``schemas`` are those of the server the graph will run on (``client.schemas()``, a
    bundled release's ``ltx2sdk.releases.bundled_schemas("0.8.0")``, or
    ``SchemaSet.from_object_info(...)``): each node is then written the way that server
    declares it, and a node it lacks is an :class:`~ltx2sdk.errors.IncompatibleServerError`
    naming the feature and the ComfyUI release that has it. The computation (samplers,
    sigmas, CFG, sizes, frames, seed) is the same whatever the schemas. Without them the
    SDK's own declarations are used. ``graph`` lets a caller build into a graph of its own.
    """
    plan = make_plan(request, rng=rng)
    image = None
    if plan.type == "i2v":
        image = image_name or request.image or PLACEHOLDER_IMAGE
    if graph is None:
        graph = Graph(BuildSchemas(schemas) if schemas is not None else None)
    compose(Nodes(graph), plan, RECIPES[(plan.type, plan.mode)], image)
    graph.validate()
    return Build(graph=graph, plan=plan)


def compose(n: Nodes, plan: Plan, recipe: Recipe, image_name: str | None) -> None:
    """Add the two-stage LTX-2 pipeline for ``plan`` to ``n.graph``."""
    files = plan.models
    loaded = stages.load_models(n, files)

    # Stage 1 model: checkpoint (+ camera). Stage 2: + distilled LoRA (pro), + camera.
    stage1_model = stages.apply_lora(n, loaded.model, files.camera_lora, plan.camera_strength,
                                     "Camera LoRA (stage 1)")
    if files.distilled_lora is None:
        stage2_model = stage1_model  # fast: the same (distilled) model refines
    else:
        distilled = stages.apply_lora(n, loaded.model, files.distilled_lora,
                                      files.distilled_lora_strength, "Distilled LoRA (stage 2)")
        stage2_model = stages.apply_lora(n, distilled, files.camera_lora, plan.camera_strength,
                                         "Camera LoRA (stage 2)")

    first_frame = None
    if image_name is not None:
        first_frame = stages.prepare_image(n, image_name, plan.width, plan.height,
                                           recipe.resize_scale_method)
    positive, negative = stages.encode_prompts(
        n, loaded.clip, plan.prompt, plan.negative_prompt, plan.fps,
        zero_negative=recipe.zero_negative, image=first_frame,
        enhance_seed=plan.seed if plan.enhance_prompt else None)

    half_width, half_height = plan.stage1_size
    video, audio = stages.empty_latents(n, loaded.audio_vae, half_width, half_height, plan.frames,
                                        plan.fps)
    if first_frame is not None:
        video = n.LTXVImgToVideoInplace(loaded.vae, first_frame, video, plan.image_strength,
                                        title="First frame (stage 1)")
    av_latent = n.LTXVConcatAVLatent(video, audio, title="Stage 1 audio+video latent")

    stage1 = stages.sample(n, 1, model=stage1_model, positive=positive, negative=negative,
                           cfg=recipe.stage1_cfg, sampler_name=recipe.stage1_sampler,
                           latent=av_latent, seed=plan.seed, schedule=recipe.stage1_schedule)
    video, audio = n.LTXVSeparateAVLatent(stage1[recipe.stage1_output_slot],
                                          title="Stage 1 split")
    if recipe.crop_guides:
        positive, negative, video = n.LTXVCropGuides(positive, negative, video,
                                                     title="Crop guides")

    video = n.LTXVLatentUpsampler(video, loaded.upscaler, loaded.vae, title="Upscale latent x2")
    if first_frame is not None:
        # the refine pass would otherwise drift away from the given first frame
        video = n.LTXVImgToVideoInplace(loaded.vae, first_frame, video, 1.0,
                                        title="First frame (stage 2)")
    av_latent = n.LTXVConcatAVLatent(video, audio, title="Stage 2 audio+video latent")

    _, refined = stages.sample(n, 2, model=stage2_model, positive=positive, negative=negative,
                               cfg=1.0, sampler_name=recipe.stage2_sampler, latent=av_latent,
                               seed=plan.seed, schedule=stages.REFINE_SIGMAS)
    video, audio = n.LTXVSeparateAVLatent(refined, title="Stage 2 split")
    stages.decode_and_save(n, video, audio, loaded.vae, loaded.audio_vae, plan.fps,
                           plan.filename_prefix, tiled=recipe.tiled_decode)
