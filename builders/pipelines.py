"""Building a request's pipeline: its declaration composed node by node.

:func:`build` finds the request's declaration in the catalog (:mod:`builders.catalog`),
plans the exact numbers (:mod:`builders.plan`) and composes the graph (:func:`compose`) from
the stage functions of :mod:`builders.stages`. :func:`compose` works for any declaration:

- the loaders, then each stage's model (its LoRAs applied);
- for pipelines that take an image, the image prepared as declared; for those a video
  steers, its control frames (cut, resized, turned into edges or depth);
- the prompt (optionally enhanced) and the negative conditioning the declaration names;
- an empty video latent at the first stage's size, and an empty audio latent of the same
  length or the given audio, kept;
- per stage: the video latent (upscaled 2x after the first stage), its guides (the first
  stage's: the in-place first frame, the image guides, then the control frames), the joint
  audio-video latent, sampling, the declared output split into video and audio, guides
  cropped where declared;
- both latents decoded as declared and saved as one mp4.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ltx2sdk.errors import IncompatibleServerError, RequestFieldError
from ltx2sdk.graph.compat import BuildSchemas
from ltx2sdk.graph.core import Graph
from ltx2sdk.graph.handles import IntValue
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.nodes import Nodes
from ltx2sdk.graph.releases import bundled_schemas, bundled_versions
from ltx2sdk.graph.schema import NodeSchema
from ltx2sdk.vocabulary import FIRST_IMAGE, IMAGE_INPUTS, LAST_IMAGE, VIDEO, InputFile

from . import stages
from .catalog import ControlCut, GivenAudio, LoraRole, Pipeline, ReferenceAudio
from .catalog.ltx2_5_api import PartnerPipeline
from .partner import hosted_video
from .plan import CheckedRequest, Plan, VideoFacts, checked, make_plan

if TYPE_CHECKING:  # the request module (pydantic) loads with the first request, not here
    from ltx2sdk.request import GenerationRequest

# What an offline build calls given images that have not been uploaded yet.
PLACEHOLDER_IMAGE = "ltx2sdk_input.png"
PLACEHOLDER_LAST_IMAGE = "ltx2sdk_last_input.png"
PLACEHOLDER_AUDIO = "ltx2sdk_input_audio.wav"
PLACEHOLDER_VIDEO = "ltx2sdk_input.mp4"


@dataclass(frozen=True)
class Build:
    """A built pipeline: the graph and the plan it realises."""

    graph: Graph
    plan: Plan

    def compile(self) -> dict[str, dict[str, Any]]:
        """The ComfyUI API prompt of :attr:`graph`."""
        return self.graph.compile()

    def to_ui(self) -> dict[str, Any]:
        """:attr:`graph` as a workflow for ComfyUI's editor, laid out and grouped by stage
        (:meth:`~ltx2sdk.graph.core.Graph.to_ui`)."""
        return self.graph.to_ui()


def build(request: GenerationRequest | CheckedRequest, *, image_name: str | None = None,
          last_image_name: str | None = None, audio_name: str | None = None,
          audio_seconds: float | None = None, video_name: str | None = None,
          video: VideoFacts | None = None, rng: random.Random | None = None,
          graph: Graph | None = None,
          schemas: Mapping[str, NodeSchema] | None = None) -> Build:
    """Build the pipeline ``request`` asks for.

    ``image_name`` is the first frame's name on the server (as returned by an upload),
    ``last_image_name`` the last frame's (flf2v), ``audio_name`` the audio's (ia2v; id2v: the
    voice recording),
    ``video_name`` the control video's (canny2v, depth2v); without them the request's
    ``image``, ``last_image``, ``audio`` and ``video`` are used, or :data:`PLACEHOLDER_IMAGE`,
    :data:`PLACEHOLDER_LAST_IMAGE`, :data:`PLACEHOLDER_AUDIO` and :data:`PLACEHOLDER_VIDEO`
    for an offline build of a URL/base64 request. The first image is optional for canny2v and
    depth2v: without one (no name and none in the request) the video is made without a
    first frame. ``audio_seconds`` is the given audio's length: an ia2v video is as long
    unless the request sets its length. ``video`` is what is known of the control video (an
    :class:`ltx2sdk.media.video.VideoData`): the length is capped at the frames it has from
    ``video_start`` and the start frame counted at its frame rate (see
    :func:`~builders.plan.make_plan`). ``rng`` draws the seed when the request has none.

    ``schemas`` are those of the server the graph will run on (``client.schemas()``, a
    bundled release's ``ltx2sdk.graph.releases.bundled_schemas("0.8.0")``, or
    ``SchemaSet.from_object_info(...)``): each node is then written the way that server
    declares it, and a node it lacks is an :class:`~ltx2sdk.errors.IncompatibleServerError`
    naming the feature and the ComfyUI release that has it. The computation (samplers,
    sigmas, CFG, sizes, frames, seed) is the same whatever the schemas. Without them the
    SDK's own declarations are used. ``graph`` lets a caller build into a graph of its own.
    A :class:`~builders.plan.CheckedRequest` (from :func:`~builders.check_request`) is built
    without checking it again.
    """
    ok = checked(request)
    if isinstance(ok.pipeline, PartnerPipeline):
        return _build_partner(ok, image_name=image_name, last_image_name=last_image_name,
                              rng=rng, graph=graph, schemas=schemas)
    return build_pipeline(ok.pipeline, ok, image_name=image_name,
                          last_image_name=last_image_name, audio_name=audio_name,
                          audio_seconds=audio_seconds, video_name=video_name, video=video,
                          rng=rng, graph=graph, schemas=schemas)


def _build_partner(ok: CheckedRequest, *, image_name: str | None,
                   last_image_name: str | None, rng: random.Random | None,
                   graph: Graph | None, schemas: Mapping[str, NodeSchema] | None) -> Build:
    """:func:`build` for a partner node's pipeline (:mod:`builders.partner`): no model
    files, the images loaded as given (placeholders offline), the node, ``SaveVideo``."""
    pipeline, request = ok.pipeline, ok.request
    assert isinstance(pipeline, PartnerPipeline)
    plan = make_plan(ok, rng=rng)
    given = {FIRST_IMAGE: image_name or request.image or PLACEHOLDER_IMAGE,
             LAST_IMAGE: last_image_name or request.last_image or PLACEHOLDER_LAST_IMAGE}
    if schemas is not None:
        refuse_older_release(pipeline, getattr(schemas, "comfyui_version", None))
    if graph is None:
        graph = Graph(BuildSchemas(schemas) if schemas is not None else None)
    hosted_video(Nodes(graph), plan, pipeline,
                 {role: name for role, name in given.items() if role in pipeline.images})
    graph.validate()
    return Build(graph=graph, plan=plan)


def build_pipeline(pipeline: Pipeline, request: GenerationRequest | CheckedRequest, *,
                   image_name: str | None = None, last_image_name: str | None = None,
                   audio_name: str | None = None, audio_seconds: float | None = None,
                   video_name: str | None = None, video: VideoFacts | None = None,
                   rng: random.Random | None = None, graph: Graph | None = None,
                   schemas: Mapping[str, NodeSchema] | None = None) -> Build:
    """:func:`build` with a declaration of the caller's choice (one of
    :data:`builders.catalog.PIPELINES`, or a variant made with ``dataclasses.replace``)."""
    ok = checked(request, pipeline)
    plan = make_plan(ok, rng=rng, audio_seconds=audio_seconds, video=video)
    request = ok.request
    given = {
        FIRST_IMAGE: image_name or request.image or PLACEHOLDER_IMAGE,
        LAST_IMAGE: (last_image_name or getattr(request, "last_image", None)
                     or PLACEHOLDER_LAST_IMAGE),
    }
    # an optional image (the control types' first frame) is used only when one is given
    images = {role: given[role] for role in pipeline.images
              if role.needed_by(pipeline.type) or (role is FIRST_IMAGE and image_name)
              or role.given(request)}
    if schemas is not None:
        refuse_older_release(pipeline, getattr(schemas, "comfyui_version", None))
    if graph is None:
        graph = Graph(BuildSchemas(schemas) if schemas is not None else None)
    audio = None
    if pipeline.audio is not None:
        audio = audio_name or getattr(request, "audio", None) or PLACEHOLDER_AUDIO
    control = None
    if pipeline.control is not None:
        control = video_name or getattr(request, VIDEO.file, None) or PLACEHOLDER_VIDEO
        if pipeline.control.cut is ControlCut.FRAMES:  # (Video Slice takes any start)
            _check_start_frame(graph.schemas, plan, request.video_start)
    compose(Nodes(graph), plan, pipeline, images, audio_name=audio, video_name=control)
    graph.validate()
    return Build(graph=graph, plan=plan)


def _check_start_frame(schemas: Mapping[str, NodeSchema], plan: Plan, start: float) -> None:
    """A :class:`~ltx2sdk.errors.RequestFieldError` naming ``video_start`` when the control
    video's start frame is past what the target's ``ImageFromBatch`` reaches (4095 up to
    ComfyUI 0.16.4), rather than a node input error."""
    schema = schemas.get("ImageFromBatch")
    spec = schema.input("batch_index") if schema is not None else None
    frame = plan.video_start_frame or 0
    if spec is None or spec.max is None or frame <= spec.max:
        return
    version = getattr(schemas, "comfyui_version", None)
    if getattr(schemas, "from_server", False):
        who = str(getattr(schemas, "server_label", "this server"))
    else:
        who = f"ComfyUI {version}" if version else "ComfyUI"
    newest = LTX2_SCHEMAS["ImageFromBatch"].input("batch_index")
    hint = ""
    if newest is not None and newest.max is not None and newest.max > spec.max:
        since = _first_release_reaching(spec.max)
        hint = f" (ComfyUI >= {since}: {newest.max})" if since else ""
    raise RequestFieldError("video_start", f"{start:g} s is frame {frame}; {who} cuts a video "
                                           f"from frame {spec.max} at most{hint}")


def _first_release_reaching(limit: float) -> str | None:
    """The oldest bundled release whose ``ImageFromBatch`` reaches past frame ``limit``."""
    for version in bundled_versions():
        schema = bundled_schemas(version).get("ImageFromBatch")
        spec = schema.input("batch_index") if schema is not None else None
        if spec is not None and spec.max is not None and spec.max > limit:
            return version
    return None


def refuse_older_release(pipeline: Pipeline | PartnerPipeline,
                         comfyui_version: str | None) -> None:
    """An :class:`~ltx2sdk.errors.IncompatibleServerError` when ``comfyui_version`` is older
    than the pipeline's minimum (its template's ``minComfyUIVersion``: the release that
    loads its models, which ``/object_info`` does not show). An unknown version passes: the
    server's own checks decide."""
    if not pipeline.runs_on(comfyui_version):
        raise IncompatibleServerError(
            f"{pipeline.model.name} {pipeline.type} {pipeline.mode} needs ComfyUI >= "
            f"{pipeline.min_comfyui}; ComfyUI {comfyui_version} is older (update ComfyUI, or "
            "choose another model with --model / the request field 'model')")


def compose(n: Nodes, plan: Plan, pipeline: Pipeline,
            images: Mapping[InputFile, str] | str | None, *,
            audio_name: str | None = None, video_name: str | None = None) -> None:
    """Add ``pipeline``, with the numbers of ``plan``, to ``n.graph``.

    ``images`` names each given image on the server by role (an input image of
    :mod:`ltx2sdk.vocabulary`; a bare name: the first frame; an image the pipeline's type
    does not need may be left out); ``audio_name`` the given audio (pipelines driven by one),
    ``video_name`` the control video (pipelines a video steers).
    """
    if isinstance(images, str):
        images = {FIRST_IMAGE: images}
    names = dict(images or {})
    wanted = [role for role in IMAGE_INPUTS if role in pipeline.images  # the first, the last
              and (role in names or role.needed_by(pipeline.type))]
    missing = [role.file for role in wanted if role not in names]
    if missing:
        raise ValueError(f"pipeline {pipeline.name} needs an image for {', '.join(missing)}")
    resolved = plan.models
    if resolved is None:
        raise ValueError(f"the plan of pipeline {pipeline.name} names no model files")
    graph = n.graph
    with graph.group(stages.LOADERS):
        loaded = stages.load_models(n, resolved.files)
        loras = {role: resolved.lora(role) for role in LoraRole}
        models = stages.stage_models(n, loaded.model, pipeline.stages, loras,
                                     resolved.user_loras)

    prepared = {}
    if pipeline.preprocess is not None:
        with graph.group(stages.INPUTS):
            for role in wanted:
                prepared[role] = stages.prepare_image(n, role, names[role], plan.width,
                                                      plan.height, pipeline.preprocess)
    first = prepared.get(FIRST_IMAGE)
    sheet = None
    if pipeline.reference is not None:
        if FIRST_IMAGE not in names:
            raise ValueError(f"pipeline {pipeline.name} needs a reference sheet (an image)")
        with graph.group(stages.INPUTS):
            sheet = stages.reference_sheet(n, names[FIRST_IMAGE], plan.frames, plan.width,
                                           plan.height, pipeline.reference)
    with graph.group(stages.LOADERS):
        enhancer = (stages.prompt_enhancer(n, resolved.files, loaded.clip)
                    if plan.enhance_prompt else None)
    with graph.group(stages.PROMPT):
        positive, negative = stages.encode_texts(
            n, loaded.clip, plan.prompt, plan.negative_prompt, negative=pipeline.negative,
            image=first, enhancer=enhancer,
            enhance_seed=plan.seed if plan.enhance_prompt else None)
        if isinstance(pipeline.audio, ReferenceAudio):  # the voice to keep: stage 1's model
            if audio_name is None:
                raise ValueError(f"pipeline {pipeline.name} needs a voice recording")
            models[0], positive, negative = stages.reference_voice(
                n, models[0], positive, negative, audio_name, loaded.audio_vae, pipeline.audio)
        positive, negative = stages.frame_rate(n, positive, negative, plan.fps)

    control = None
    length: int | IntValue = plan.frames
    if pipeline.control is not None:
        if video_name is None:
            raise ValueError(f"pipeline {pipeline.name} needs a control video")
        cut = stages.ControlCutAt(start_frame=plan.video_start_frame or 0, frames=plan.frames,
                                  start_seconds=plan.video_start_seconds or 0.0,
                                  seconds=plan.video_seconds)
        with graph.group(stages.INPUTS):
            control = stages.prepare_control(n, video_name, cut, plan.width, plan.height,
                                             pipeline.stage1_scale, pipeline.control,
                                             video_width=plan.video_width)
        if pipeline.control.cut is ControlCut.SECONDS:
            # as the template: the latents are as long as the frames the cut holds
            with graph.group(stages.SIZE_AND_LENGTH):
                length = n.GetImageSize(control, title="Control frame count").batch_size
    if sheet is not None:
        with graph.group(stages.SIZE_AND_LENGTH):
            # as the template: the latents are as long as the frames the sheet was made into
            length = n.GetImageSize(sheet, title="Reference frame count").batch_size
    width, height = plan.stage1_size
    with graph.group(stages.SIZE_AND_LENGTH):
        video = stages.empty_video(n, width, height, length)
        if not isinstance(pipeline.audio, GivenAudio):  # (a voice to keep is no soundtrack)
            audio = stages.empty_audio(n, loaded.audio_vae, length, plan.fps)
    if isinstance(pipeline.audio, GivenAudio):
        if audio_name is None:
            raise ValueError(f"pipeline {pipeline.name} needs an audio file")
        with graph.group(stages.INPUTS):
            audio = stages.given_audio(n, loaded.audio_vae, audio_name, plan.duration,
                                       plan.width, plan.height, pipeline.audio)
    for index, (stage, model) in enumerate(zip(pipeline.stages, models, strict=True), start=1):
        if index > 1:
            assert loaded.upscaler is not None  # a Pipeline of 2+ stages has an upscaler file
            with graph.group(stages.UPSCALE):
                video = n.LTXVLatentUpsampler(video, loaded.upscaler, loaded.vae,
                                              title="Upscale latent x2")
        with graph.group(stages.stage_group(index)):
            if first is not None:
                video = stages.first_frame(n, index, loaded.vae, video, first, pipeline.guides,
                                           plan.image_strength)
            if index == 1:
                positive, negative, video = stages.add_guides(n, loaded.vae, positive, negative,
                                                              video, prepared, pipeline.guides,
                                                              plan.image_strength)
                if control is not None:
                    assert pipeline.control is not None
                    positive, negative, video = stages.add_control(
                        n, loaded.vae, positive, negative, video, control, pipeline.control,
                        model)
                if sheet is not None:
                    assert pipeline.reference is not None
                    positive, negative, video = stages.add_reference(
                        n, loaded.vae, positive, negative, video, sheet, pipeline.reference,
                        model)
            av_latent = n.LTXVConcatAVLatent(video, audio,
                                             title=f"Stage {index} audio+video latent")
            sampled = stages.sample(n, index, stage, model=model, positive=positive,
                                    negative=negative, latent=av_latent, seed=plan.seed)
            video, audio = n.LTXVSeparateAVLatent(sampled.pick(stage.passes_on),
                                                  title=f"Stage {index} split")
            if stage.crop_guides:
                positive, negative, cropped = n.LTXVCropGuides(positive, negative, video,
                                                               title="Crop guides")
                if stage.crop_latent:
                    video = cropped
    with graph.group(stages.DECODE_AND_SAVE):
        stages.decode_and_save(n, video, audio, loaded.vae, loaded.audio_vae, plan.fps,
                               plan.filename_prefix, pipeline.decode)
