"""Every catalog pipeline computes what its Comfy-Org official template computes.

The templates (PyPI ``comfyui-workflow-templates-json``) are UI workflows with one
subgraph each; :mod:`tests.official_templates` flattens them to API JSON and
summarises any API graph by following links. Two comparisons per catalog entry
(:data:`builders.catalog.PIPELINES`, each naming its template):

- the graph built from the declaration against the template, through the same summary, so
  ids and node order do not matter; user-level values (prompt, seed, size, fps, file prefix)
  are set to the template's own before comparing;
- the declaration itself against the template (:func:`declared_features`): samplers,
  sigmas, guider and CFG per stage, the slot each stage passes on, LoRAs and camera LoRAs per
  stage, crop guides, preprocessing, first-frame strengths, the control chain of a video
  (cut, resize, scale, edges or depth and their settings, guide frame and strength), decoder,
  files, negative prompt and minimum ComfyUI version.

A template that holds several pipelines (the control templates' bypassed distilled subgraph)
is compared variant by variant: each declaration names its ``template_variant``. A template
that loads a LoRA of the user's kind (``video_ltx2_i2v_lora``'s effect LoRA) is compared with
its example's LoRAs in the request (:data:`builders.catalog.templates.TEMPLATES`), placed as
the user's are: before the stage's own LoRAs in the first stage, after them in the others.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from builders import build_pipeline
from builders.catalog import (
    CFG,
    PIPELINES,
    AddGuide,
    CannyEdges,
    CheckpointFiles,
    ControlCut,
    ControlVideo,
    DualCFG,
    EulerAncestral,
    FirstFrameInplace,
    FitToOutput,
    GivenAudio,
    KSampler,
    LoraFile,
    LoraRole,
    LotusDepth,
    LTXVSchedule,
    ManualSigmas,
    MoGeDepth,
    Negative,
    Pipeline,
    PlainDecode,
    ReferenceAudio,
    ReferenceSheet,
    SamplerSelect,
    ScaleLongerEdge,
    ScaleToMaxDimension,
    SplitFiles,
    Stage,
    TiledDecode,
)
from builders.catalog.templates import template_named
from ltx2sdk import GenerationRequest
from ltx2sdk.app.cli.main import main
from ltx2sdk.vocabulary import LAST_IMAGE
from tests.helpers import png_bytes, wav_bytes
from tests.official_templates import (
    LTX2_CONTROL_TEMPLATES,
    load_template,
    pipeline_features,
    template_api,
)

TEMPLATES = {p.key: p.template for p in PIPELINES if p.template is not None}
"""(model, type, mode) -> the template the catalog says that pipeline matches."""
WITH_TEMPLATE = [p for p in PIPELINES if p.template is not None]

# Graph-wide summary keys that describe what is computed (not user parameters).
COMPUTATION_KEYS = ("stages", "separate_av_slots", "crop_guides", "decoder", "img_compression",
                    "image_path", "ltxv_schedulers", "save_video_count", "class_counts")
# The fitted size is the produced size: the SDK fits 1280x704, the template 1280x720 and lets
# the latent floor it to 704.
FITTED_SIZE = ("resize_type.width", "resize_type.height")


def _template(pipeline: Pipeline, **options: Any) -> dict[str, Any]:
    """The summary of ``pipeline``'s template (its variant); what it decides from its video's
    width is left to run time (``video_width`` None), as in a graph the SDK builds without
    knowing the video."""
    assert pipeline.template is not None
    options.setdefault("video_width", None)
    return pipeline_features(template_api(pipeline.template, variant=pipeline.template_variant,
                                          **options), details=True)


def _control_chains(stage: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The image chains of a stage's guides that come from a video (control frames)."""
    return [guide["image"] for guide in stage["guides"]
            if guide["image"] and guide["image"][0]["class_type"] == "LoadVideo"]


def _frames(template: dict[str, Any]) -> int:
    """The template's length: its latent's, or (a control template sizes the latent from the
    control frames) the frames its control video is cut to (``ImageFromBatch.length``, or the
    ``Video Slice`` seconds at the template's frame rate, floored to 8n+1 by the latent)."""
    length = template["parameters"]["latent_video"]["length"]
    sheets = [step["amount"] for guide in template["stage_details"][0]["guides"]
              for step in guide["image"] if step["class_type"] == "RepeatImageBatch"
              ] if length is None else []
    if sheets:  # a reference sheet made into as many frames
        length = 8 * ((sheets[0] - 1) // 8) + 1
    if length is None:
        [chain] = _control_chains(template["stage_details"][0])
        [cut] = [step for step in chain
                 if step["class_type"] in ("ImageFromBatch", "Video Slice")]
        if cut["class_type"] == "ImageFromBatch":
            length = cut["length"]
        else:
            length = _slice_frames(cut["duration"], template["create_video"]["fps"])
    assert isinstance(length, int)
    return length


def _slice_frames(seconds: float, fps: float) -> int:
    """The latent length of a ``Video Slice`` of ``seconds`` of a video at ``fps``: its
    frames, floored to 8n+1 (``EmptyLTXVLatentVideo``)."""
    frames = int(seconds * fps)
    return 8 * ((frames - 1) // 8) + 1


def _example_loras(pipeline: Pipeline) -> tuple[LoraFile, ...]:
    """The LoRAs ``pipeline``'s template loads beyond the pipeline's own (its example's
    ``loras``: an effect LoRA)."""
    assert pipeline.template is not None
    return template_named(pipeline.template, pipeline.key).loras


def _sdk_like_template(pipeline: Pipeline, template: dict[str, Any]) -> dict[str, Any]:
    fps = int(template["create_video"]["fps"])
    request = GenerationRequest(
        prompt="p", model=pipeline.model.id, type=pipeline.type,
        mode=pipeline.mode, fps=fps, frames=_frames(template), camera_lora="none",
        loras=[{"name": lora.name, "strength": lora.strength}
               for lora in _example_loras(pipeline)],
        seed=template["parameters"]["seeds"][0],  # stage 1's: the request's
        image="first.png" if pipeline.needs_image else None,
        last_image="last.png" if LAST_IMAGE in pipeline.images else None,
        **({"audio": "voice.mp3"} if pipeline.audio is not None else {}),
        **({"video": "control.mp4"} if pipeline.control is not None else {}))
    return pipeline_features(build_pipeline(pipeline, request).compile(), details=True)


def _resize_settings(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if k not in FITTED_SIZE} for s in steps]


@pytest.fixture(scope="module", params=WITH_TEMPLATE, ids=lambda p: p.name.replace(" ", "-"))
def pair(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    pipeline: Pipeline = request.param
    template = _template(pipeline)
    return template, _sdk_like_template(pipeline, template)


@pytest.mark.parametrize("key", COMPUTATION_KEYS)
def test_same_computation(pair: tuple[dict[str, Any], dict[str, Any]], key: str) -> None:
    template, sdk = pair
    assert sdk[key] == template[key]


def test_same_video_settings(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, sdk = pair
    expected = dict(template["create_video"])
    if expected["bit_depth"] == "auto":
        # video_ltx2_3_t2v was saved by a newer CreateVideo (bit depth "auto": that of the
        # frames, 8 for decoded video); ComfyUI 0.33.0's takes 8 or 10
        expected["bit_depth"] = 8
    assert sdk["create_video"] == expected
    assert sdk["frame_rates"] == template["frame_rates"]


def test_same_default_model_files(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, sdk = pair
    for key in ("checkpoint", "text_encoder", "upscale_model"):
        assert sdk["parameters"][key] == template["parameters"][key], key


def test_same_image_preparation(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, sdk = pair
    assert _resize_settings(sdk["resize_steps"]) == _resize_settings(template["resize_steps"])


# Values a request sets (the image files, the output size, the length): left out of the
# detailed comparison; everything else in it is what the pipeline computes. (The LTX-2.3
# templates ask for 5 s x 25 fps + 1 = 126 frames, which the latent floors to 121; the SDK
# snaps lengths to 8n+1 itself, here to 129.)
USER_LEVEL = frozenset({"image", "audio", "file", "width", "height", "resize_type.width",
                        "resize_type.height", "length", "frames_number", "duration",
                        "amount", "target_width", "target_height"})


def _computation(value: Any) -> Any:
    """A detailed summary without the request's own values (a guide's ``image`` chain is
    kept: how an image or a video is prepared is computation; its file is not)."""
    if isinstance(value, dict):
        return {k: _computation(v) for k, v in value.items()
                if k not in USER_LEVEL or isinstance(v, list)}
    if isinstance(value, list):
        return [_computation(v) for v in value]
    return value


@pytest.mark.parametrize("key", ["stage_details", "loaders", "loras", "decode",
                                 "crop_guides_placement"])
def test_same_stages_loaders_guides_and_decoding(pair: tuple[dict[str, Any], dict[str, Any]],
                                                 key: str) -> None:
    # per stage: sampler and its settings, guider and its scales, sigmas, model chain with
    # LoRAs, guides (frame, strength, image chain), first frames, the video and audio latent
    # paths; the loaders and their files by role; where guides are cropped
    template, sdk = pair
    assert _computation(sdk[key]) == _computation(template[key])


@pytest.mark.parametrize("pipeline", WITH_TEMPLATE, ids=lambda p: p.name.replace(" ", "-"))
def test_ltx2_build_with_the_tables_flags_computes_what_the_template_does(
        pipeline: Pipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the README's table as a user types it: --model, --type, --mode and the input files
    if pipeline.control is not None and "--video" not in _build_flags():
        pytest.skip("ltx2 build takes no --video yet (the CLI's video input)")
    template = _template(pipeline, video_width=VIDEO_SIZE[0])  # build measures the video
    argv = ["build", "--model", pipeline.model.id, "--type", str(pipeline.type),
            "--mode", str(pipeline.mode), "--prompt", "p", "--camera", "none",
            "--fps", str(int(template["create_video"]["fps"])),
            "--frames", str(_frames(template)),
            "--seed", str(template["parameters"]["seeds"][0])]
    for lora in _example_loras(pipeline):
        argv += ["--lora", f"{lora.name}:{lora.strength:g}"]
    inputs = {"--image": ("first.png", png_bytes()), "--last-image": ("last.png", png_bytes()),
              "--audio": ("voice.wav", wav_bytes(2.0)),
              "--video": ("control.mp4", _video_bytes())}
    wanted = {"--image": pipeline.needs_image, "--last-image": LAST_IMAGE in pipeline.images,
              "--audio": pipeline.audio is not None, "--video": pipeline.control is not None}
    for flag, (name, data) in inputs.items():
        if wanted[flag]:
            (tmp_path / name).write_bytes(data)
            argv += [flag, str(tmp_path / name)]
    assert main(argv) == 0
    built = pipeline_features(json.loads(capsys.readouterr().out), details=True)
    for key in ("stage_details", "loaders", "loras", "decode", "crop_guides_placement"):
        assert _computation(built[key]) == _computation(template[key]), key


def _build_flags() -> str:
    """``ltx2 build --help``, to know whether the CLI has a flag yet."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(["build", "--help"])
    return out.getvalue()


def _video_bytes() -> bytes:
    """A short real mp4 (the CLI checks a video before building)."""
    from tests.media.video_files import make_video  # extra: PyAV writes it

    return make_video("mp4", frames=121, size=VIDEO_SIZE)  # the templates' length: no cut


VIDEO_SIZE = (64, 48)
"""The size of the CLI test's video."""


def test_same_noise_seeds(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    # stage 1 samples with the request's seed (set to the template's here); later stages
    # with the template's own fixed seeds
    template, sdk = pair
    assert sdk["parameters"]["seeds"] == template["parameters"]["seeds"]


def test_the_comparison_can_fail() -> None:
    # a pro graph summarised against the fast template must differ in what it computes
    template = pipeline_features(template_api("video_ltx2_t2v_distilled"))
    pro = _sdk_like_template(PIPELINES.get("ltx-2", "t2v", "pro"), template)
    assert pro["stages"] != template["stages"]
    assert pro["class_counts"] != template["class_counts"]


# ------------------------------------------------------------- the declarations themselves


def _sampler(sampler: SamplerSelect | EulerAncestral | KSampler) -> str:
    """A sampler as the summary names it: its name, or the node that is it."""
    if isinstance(sampler, SamplerSelect | KSampler):
        return sampler.name
    return "SamplerEulerAncestral"


def _guider(guider: CFG | DualCFG) -> tuple[str, float | None]:
    if isinstance(guider, CFG):
        return "CFGGuider", float(guider.cfg)
    return "LTXVDualCFGGuider", None


def _sigmas(schedule: ManualSigmas | LTXVSchedule | None,
            sampler: SamplerSelect | EulerAncestral | KSampler | None = None) -> dict[str, Any]:
    """A schedule as ``pipeline_features`` reports it (a KSampler's: its own)."""
    if isinstance(sampler, KSampler):
        return {"type": "KSampler", "scheduler": sampler.scheduler, "steps": sampler.steps,
                "denoise": float(sampler.denoise)}
    assert schedule is not None
    if isinstance(schedule, ManualSigmas):
        return {"type": "ManualSigmas", "values": list(schedule.values)}
    return {"type": "LTXVScheduler", "steps": schedule.steps,
            "max_shift": float(schedule.max_shift), "base_shift": float(schedule.base_shift),
            "stretch": schedule.stretch, "terminal": float(schedule.terminal),
            "latent_linked": schedule.fitted_to_latent}


def _resize_step(step: FitToOutput | ScaleLongerEdge | ScaleToMaxDimension) -> dict[str, Any]:
    if isinstance(step, FitToOutput):
        return {"class_type": "ResizeImageMaskNode", "resize_type": "scale dimensions",
                "resize_type.crop": step.crop, "scale_method": step.scale_method}
    if isinstance(step, ScaleToMaxDimension):
        return {"class_type": "ImageScaleToMaxDimension", "upscale_method": step.scale_method,
                "largest_size": step.size}
    return {"class_type": "ResizeImageMaskNode", "resize_type": "scale longer dimension",
            "resize_type.longer_size": step.size, "scale_method": step.scale_method}


def _guider_details(guider: CFG | DualCFG, stage: Stage | None = None) -> dict[str, Any]:
    if stage is not None and isinstance(stage.sampler, KSampler):  # its cfg input
        assert isinstance(guider, CFG)
        return {"class_type": "KSampler", "cfg": float(guider.cfg)}
    if isinstance(guider, CFG):
        return {"class_type": "CFGGuider", "cfg": float(guider.cfg)}
    return {"class_type": "LTXVDualCFGGuider", "video_cfg": float(guider.video),
            "audio_cfg": float(guider.audio)}


def _sampler_details(sampler: SamplerSelect | EulerAncestral | KSampler) -> dict[str, Any]:
    if isinstance(sampler, KSampler):
        return {"class_type": "KSampler", "sampler_name": sampler.name}
    if isinstance(sampler, SamplerSelect):
        return {"class_type": "KSamplerSelect", "sampler_name": sampler.name}
    return {"class_type": "SamplerEulerAncestral", "eta": sampler.eta, "s_noise": sampler.s_noise}


def _loaded_files(files: CheckpointFiles | SplitFiles) -> set[str]:
    """The files the loaders read (LoRAs aside)."""
    if isinstance(files, CheckpointFiles):
        names = {files.checkpoint, files.text_encoder}
    else:
        names = {files.diffusion_model, files.video_vae, files.audio_vae, files.text_encoder}
    return names | ({files.upscaler} if files.upscaler else set())


def declared_features(pipeline: Pipeline) -> dict[str, Any]:
    """What the template summary must say of ``pipeline``'s template, from the declaration
    alone (never building a graph)."""
    files = pipeline.files
    stages: list[dict[str, Any]] = []
    cropped = False
    role_files = {LoraRole.DISTILLED: files.distilled_lora, LoraRole.CONTROL: files.control_lora,
                  LoraRole.IDENTITY: files.identity_lora}
    example = [(lora.name, float(lora.strength)) for lora in _example_loras(pipeline)]
    for index, stage in enumerate(pipeline.stages):
        loras = [(lora.name, float(lora.strength)) for role in stage.loras
                 if (lora := role_files.get(role)) is not None]  # in chain order
        # the example's LoRAs: before the stage's own in the first stage, after them later
        loras = [*example, *loras] if index == 0 else [*loras, *example]
        first_frame = None
        for guide in pipeline.guides:
            strength = (guide.strength if index == 0 else guide.refine_strength
                        ) if isinstance(guide, FirstFrameInplace) else None
            if strength is not None:  # (None: the first stage's only)
                first_frame = {"strength": float(strength), "bypass": False}
        stages.append({
            "sampler": _sampler_details(stage.sampler),
            "sigmas": _sigmas(stage.sigmas, stage.sampler),
            "guider": _guider_details(stage.guider, stage),
            "loras": loras,
            "camera": LoraRole.CAMERA in stage.loras,
            "negative": pipeline.negative.value,
            "cropped_conditioning": cropped,
            "img_to_video_inplace": first_frame,
            "guides": [(g.frame_idx, float(g.strength)) for g in (
                *pipeline.guides, *([pipeline.reference] if pipeline.reference else []))
                       if isinstance(g, AddGuide | ReferenceSheet) and index == 0],
            "fixed_seed": stage.noise_seed,
        })
        cropped = cropped or stage.crop_guides
    decoder: dict[str, Any] = {"class_type": "VAEDecode"}
    if isinstance(pipeline.decode, TiledDecode):
        decoder = {"class_type": "VAEDecodeTiled", **dataclasses.asdict(pipeline.decode)}
    else:
        assert isinstance(pipeline.decode, PlainDecode)
    preprocess = pipeline.preprocess
    return {
        "stages": stages,
        "separate_av_slots": [stage.passes_on.value for stage in pipeline.stages],
        "crop_guides": any(stage.crop_guides for stage in pipeline.stages),
        "decoder": decoder,
        "img_compression": ([preprocess.img_compression] * len(pipeline.images)
                            if preprocess and preprocess.img_compression is not None else []),
        "resize_steps": [_resize_step(s) for s in preprocess.resize] if preprocess else [],
        "control": _declared_control(pipeline),
        "reference": (None if pipeline.reference is None else {
            "chain": [{"class_type": "LoadImage"}, {"class_type": "RepeatImageBatch"},
                      {"class_type": "ResizeAndPadImage",
                       "padding_color": pipeline.reference.padding_color,
                       "interpolation": pipeline.reference.interpolation}],
            "iclora_parameters": True}),
        "files": _loaded_files(files) | _preprocessor_files(pipeline.control),
        "negative_prompt": (pipeline.default_negative_prompt
                            if pipeline.negative is Negative.PROMPT else None),
        "fps": pipeline.fps,
        "given_audio": (None if not isinstance(pipeline.audio, GivenAudio) else
                        {"start_index": pipeline.audio.trim_start,
                         "mask_value": pipeline.audio.mask_value}),
        "reference_audio": (None if not isinstance(pipeline.audio, ReferenceAudio) else
                            {"class_type": "LTXVReferenceAudio",
                             "identity_guidance_scale": pipeline.audio.identity_guidance_scale,
                             "start_percent": pipeline.audio.start_percent,
                             "end_percent": pipeline.audio.end_percent}),
        "min_comfyui": pipeline.min_comfyui,
    }


def _preprocessor_files(control: ControlVideo | None) -> set[str]:
    """The files a control preprocessor loads (Lotus: its model and VAE; MoGe: its model)."""
    if control is not None and isinstance(control.preprocessor, LotusDepth):
        return {control.preprocessor.diffusion_model, control.preprocessor.vae}
    if control is not None and isinstance(control.preprocessor, MoGeDepth):
        return {control.preprocessor.model}
    return set()


PROBE_WIDTHS = (1280, 2048, 2049, 3840)
"""Widths of a control video at which the control chain is compared: a template may decide
from the frames' width at run time (the union control's "wider than 2048" switch)."""


def _declared_control(pipeline: Pipeline) -> dict[str, Any] | None:
    """A control video's chain as :func:`_template_control` reads it from a template, with
    the resize steps at each of :data:`PROBE_WIDTHS` (``"resize_by_width"``)."""
    control, stage1_scale = pipeline.control, pipeline.stage1_scale
    if control is None:
        return None
    step = control.preprocessor
    limit: list[dict[str, Any]] = []
    if isinstance(step, CannyEdges):
        preprocess: list[dict[str, Any]] = [{"class_type": "Canny",
                                             "low_threshold": step.low_threshold,
                                             "high_threshold": step.high_threshold}]
    elif isinstance(step, MoGeDepth):
        preprocess = [{"class_type": "MoGeDepth", "model_name": step.model,
                       "resolution_level": step.resolution_level,
                       "fov_x_degrees": float(step.fov_x_degrees), "batch_size": step.batch_size,
                       "force_projection": step.force_projection,
                       "apply_mask": step.apply_mask, "output": step.render}]
        if step.limit_width is not None:
            limit = [_resize_step(ScaleLongerEdge(step.limit_width, step.limit_method))]
    else:
        assert isinstance(step, LotusDepth)
        preprocess = [{"class_type": "LotusDepth", "unet_name": step.diffusion_model,
                       "weight_dtype": step.weight_dtype, "vae_name": step.vae,
                       "sigma": step.first_sigma, "scheduler": step.scheduler,
                       "steps": step.steps, "denoise": step.denoise,
                       "sampler_name": step.sampler, "noise": "DisableNoise",
                       "sigmas_from": ["SetFirstSigma", "BasicScheduler"],
                       "encoded_with_same_vae": True}]
        if step.invert:
            preprocess.append({"class_type": "ImageInvert"})
    scale = ([{"class_type": "ImageScaleBy", "upscale_method": control.scale_method,
               "scale_by": 1 / stage1_scale}] if stage1_scale > 1 else [])
    resize = [_resize_step(s) for s in control.resize] + scale
    cut: dict[str, Any] = {"class_type": "ImageFromBatch", "batch_index": 0,
                           "length": control.default_frames}
    if control.cut is ControlCut.SECONDS:
        cut = {"class_type": "Video Slice", "start_time": 0.0, "strict_duration": False,
               "frames": control.default_frames}
    lora = pipeline.files.control_lora
    parameters = None
    if control.iclora_parameters:
        assert lora is not None
        parameters = {"class_type": "GetICLoRAParameters",
                      "model": {"class_type": "LoraLoaderModelOnly", "lora_name": lora.name,
                                "strength_model": lora.strength},
                      "stage_model": True}
    limited = step.limit_width if isinstance(step, MoGeDepth) else None
    return {
        "source": [{"class_type": "LoadVideo"}, {"class_type": "GetVideoComponents", "slot": 0}],
        "cut": cut,
        "resize": resize,
        "resize_by_width": {width: limit + resize if limited is not None and width > limited
                            else resize for width in PROBE_WIDTHS},
        "preprocess": preprocess,
        "frame_idx": control.frame_idx,
        "strength": control.strength,
        "iclora_parameters": parameters,
    }


_CUTS = ("ImageFromBatch", "Video Slice")
_RESIZES = ("ResizeImageMaskNode", "ImageScaleBy")


def _template_control(stage: dict[str, Any], fps: float,
                      by_width: dict[int, dict[str, Any]] | None = None
                      ) -> dict[str, Any] | None:
    """The control chain guiding a template's first stage (None: no video guides it); with
    ``by_width`` (the first stage's details of the template flattened for a video of each of
    :data:`PROBE_WIDTHS`), the resize steps at each width. ``fps``: the template's frame
    rate, at which a ``Video Slice`` counts its frames."""
    guides = [g for g in stage["guides"]
              if g["image"] and g["image"][0]["class_type"] == "LoadVideo"]
    if not guides:
        return None
    [guide] = guides
    chain = guide["image"]
    [cut] = [step for step in chain if step["class_type"] in _CUTS]
    if cut["class_type"] == "Video Slice":  # its seconds at the template's rate: frames
        cut = {"class_type": cut["class_type"], "start_time": float(cut["start_time"]),
               "strict_duration": cut["strict_duration"],
               "frames": _slice_frames(cut["duration"], fps)}

    def resize_of(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in step.items() if k not in FITTED_SIZE} for step in steps
                if step["class_type"] in _RESIZES]

    first_pre = next(i for i, step in enumerate(chain)
                     if step["class_type"] not in ("LoadVideo", "GetVideoComponents", *_CUTS,
                                                   *_RESIZES))
    widths = {}
    for width, other in (by_width or {}).items():
        [wide] = [g for g in other["guides"]
                  if g["image"] and g["image"][0]["class_type"] == "LoadVideo"]
        widths[width] = resize_of(wide["image"])
    return {
        "source": [{"class_type": step["class_type"], **({"slot": step["slot"]}
                                                         if "slot" in step else {})}
                   for step in chain[:first_pre]
                   if step["class_type"] in ("LoadVideo", "GetVideoComponents")],
        "cut": cut,
        "resize": resize_of(chain[:first_pre]),
        "resize_by_width": widths,
        "preprocess": chain[first_pre:],
        "frame_idx": guide["frame_idx"],
        "strength": guide["strength"],
        "iclora_parameters": guide["iclora_parameters"],
    }


def _is_sheet(chain: list[dict[str, Any]]) -> bool:
    """Whether an image chain makes a reference sheet (a still repeated into frames)."""
    return any(step["class_type"] == "RepeatImageBatch" for step in chain)


def _template_reference(stage: dict[str, Any]) -> dict[str, Any] | None:
    """The reference sheet guiding a template's first stage: its image chain (settings
    without the length and the size, which the request sets) and whether the IC-LoRA's
    parameters go with it; None without one."""
    sheets = [g for g in stage["guides"] if g["image"] and _is_sheet(g["image"])]
    if not sheets:
        return None
    [guide] = sheets
    return {"chain": [{k: v for k, v in step.items() if k not in USER_LEVEL}
                      for step in guide["image"]],
            "iclora_parameters": guide["iclora_parameters"] is not None}


def _template_index() -> dict[str, dict[str, Any]]:
    return {t["name"]: t for group in load_template("index") for t in group["templates"]}


FILE_INPUTS = ("ckpt_name", "text_encoder", "unet_name", "vae_name", "clip_name", "model_name")


def template_features(name: str, variant: str | None = None) -> dict[str, Any]:
    """The :func:`declared_features` keys, read from template ``name`` (its ``variant``)."""
    features = pipeline_features(template_api(name, variant=variant), details=True)
    # the templates' camera LoRAs are bypassed: see where they would apply
    with_camera = pipeline_features(template_api(name, include_bypassed=True, variant=variant))
    seeds = features["parameters"]["seeds"]
    stages = [{
        "sampler": {k: v for k, v in details["sampler"].items()},
        "sigmas": stage["sigmas"],
        "guider": details["guider"],
        "loras": stage["loras"],
        "camera": bool(camera_stage["camera_loras"]),
        "negative": stage["negative"],
        "cropped_conditioning": details["cropped_conditioning"],
        "img_to_video_inplace": stage["img_to_video_inplace"],
        "guides": [(g["frame_idx"], g["strength"]) for g in details["guides"]
                   if not (g["image"] and g["image"][0]["class_type"] == "LoadVideo")],
        "fixed_seed": seeds[index] if index > 0 else None,  # stage 1's is the request's
    } for index, (stage, camera_stage, details) in enumerate(
        zip(features["stages"], with_camera["stages"], features["stage_details"], strict=True))]
    parameters = features["parameters"]
    resize_chains = {json.dumps(_resize_settings([step for step in chain
                                                  if step["class_type"] != "LTXVPreprocess"]))
                     for chains in features["images"].values() for chain in chains
                     if not _is_sheet(chain)}
    assert len(resize_chains) <= 1, f"{name}: images prepared differently: {resize_chains}"
    return {
        "stages": stages,
        "separate_av_slots": features["separate_av_slots"],
        "crop_guides": features["crop_guides"],
        "decoder": features["decoder"],
        "img_compression": features["img_compression"],
        # every given image goes through the same steps (checked above): the resize steps
        "resize_steps": json.loads(resize_chains.pop()) if resize_chains else [],
        "control": _template_control(
            features["stage_details"][0], features["create_video"]["fps"],
            {width: pipeline_features(template_api(name, variant=variant, video_width=width),
                                      details=True)["stage_details"][0]
             for width in PROBE_WIDTHS} if features["stage_details"][0]["guides"] else None),
        "reference": _template_reference(features["stage_details"][0]),
        "files": {loader[key] for loader in features["loaders"] for key in FILE_INPUTS
                  if isinstance(loader.get(key), str)},
        "negative_prompt": parameters["negative_prompt"],
        "fps": int(features["create_video"]["fps"]),
        "given_audio": _given_audio(features["stage_details"][0]["audio_latent"]),
        "reference_audio": _reference_audio(features["stage_details"][0]["model"]),
        "min_comfyui": _template_index()[name]["minComfyUIVersion"],
    }


def _reference_audio(chain: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The voice reference (``LTXVReferenceAudio``) the first stage's model ends with, with
    its settings, or None."""
    found = [step for step in chain if step["class_type"] == "LTXVReferenceAudio"]
    if not found:
        return None
    assert found == chain[-1:], chain  # (on the model the guider takes, after its LoRAs)
    return {k: float(v) if isinstance(v, int) else v for k, v in found[0].items()}


def _given_audio(chain: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first stage's audio latent path: a kept, trimmed given audio, or None."""
    kinds = [step.get("class_type") for step in chain]
    if kinds != ["SetLatentNoiseMask", "LTXVAudioVAEEncode", "TrimAudioDuration", "LoadAudio"]:
        assert "LoadAudio" not in kinds, chain  # an audio chain of another shape
        return None
    return {"start_index": chain[2]["start_index"], "mask_value": chain[0]["mask"]["value"]}


@pytest.mark.parametrize("pipeline", WITH_TEMPLATE, ids=lambda p: p.name.replace(" ", "-"))
def test_declaration_matches_its_template(pipeline: Pipeline) -> None:
    assert pipeline.template is not None
    declared = declared_features(pipeline)
    template = template_features(pipeline.template, pipeline.template_variant)
    assert declared.keys() == template.keys()
    for key in declared:
        assert declared[key] == template[key], key


def test_the_declaration_comparison_can_fail() -> None:
    pipeline = PIPELINES.get("ltx-2", "i2v", "fast")
    assert pipeline.template is not None
    template = template_features(pipeline.template)
    stage1, stage2 = pipeline.stages
    variants = [
        dataclasses.replace(pipeline, stages=(
            dataclasses.replace(stage1, sigmas=ManualSigmas(values=(1.0, 0.5, 0.0))), stage2)),
        dataclasses.replace(pipeline, stages=(stage1, dataclasses.replace(stage2, loras=()))),
        dataclasses.replace(pipeline, negative=Negative.POSITIVE),
        dataclasses.replace(pipeline, min_comfyui="0.16.4"),
        dataclasses.replace(pipeline, stages=(stage1, dataclasses.replace(stage2,
                                                                          noise_seed=None))),
        dataclasses.replace(pipeline, fps=24),
    ]
    for variant in variants:
        assert declared_features(variant) != template


def test_the_comparisons_of_guides_guiders_and_samplers_can_fail() -> None:
    flf2v = PIPELINES.get("ltx-2.5", "flf2v", "fast")
    assert flf2v.template is not None
    template = pipeline_features(template_api(flf2v.template), details=True)
    expected = template_features(flf2v.template)
    first, last = flf2v.guides
    assert isinstance(last, AddGuide)
    [stage] = flf2v.stages
    variants = [
        dataclasses.replace(flf2v, guides=(first, dataclasses.replace(last, frame_idx=-9))),
        dataclasses.replace(flf2v, stages=(dataclasses.replace(stage, guider=DualCFG(1.0, 3.0)),)),
        dataclasses.replace(flf2v, stages=(dataclasses.replace(
            stage, sampler=EulerAncestral(eta=1.0, s_noise=1.0)),)),
    ]
    for variant in variants:
        assert declared_features(variant) != expected
        sdk = _sdk_like_template(variant, template)
        assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])


# ------------------------------------------------------------- the control templates


def test_a_control_templates_variants_are_told_apart() -> None:
    # each declaration matches its own variant only: the pro one is not the distilled one
    for name in LTX2_CONTROL_TEMPLATES:
        pro, fast = (p for p in WITH_TEMPLATE if p.template == name and p.mode in ("pro",
                                                                                  "fast"))
        assert {pro.template_variant, fast.template_variant} == {None, "distilled"}
        dev = template_features(name)
        distilled = template_features(name, "distilled")
        for pipeline in (pro, fast):
            own = dev if pipeline.template_variant is None else distilled
            other = distilled if own is dev else dev
            assert declared_features(pipeline) == own
            assert declared_features(pipeline) != other


def test_the_lotus_pass_is_no_stage_and_the_dead_decode_is_dropped() -> None:
    depth = template_api("video_ltx2_depth_to_video")
    samplers = [k for k, v in depth.items() if v["class_type"] == "SamplerCustomAdvanced"]
    assert len(samplers) == 3  # the Lotus depth pass and the two stages
    features = pipeline_features(depth)
    assert len(features["stages"]) == 2
    assert features["stages"][0]["sigmas"]["type"] == "LTXVScheduler"  # not Lotus's
    # the shipped graph decodes the result twice, once for nothing: the flattening drops it
    raw = template_api("video_ltx2_canny_to_video", static=False)
    used = {str(v[0]) for node in raw.values() for v in node["inputs"].values()
            if isinstance(v, list)}
    assert [k for k, v in raw.items() if v["class_type"] == "VAEDecode" and k not in used]
    assert "VAEDecode" not in pipeline_features(
        template_api("video_ltx2_canny_to_video"))["class_counts"]


@pytest.mark.parametrize("pipeline", [p for p in WITH_TEMPLATE if p.control is not None],
                         ids=lambda p: p.name.replace(" ", "-"))
def test_the_control_chain_comparison_can_fail(pipeline: Pipeline) -> None:
    control = pipeline.control
    assert control is not None and pipeline.template is not None
    template = _template(pipeline)
    expected = template_features(pipeline.template, pipeline.template_variant)
    step = control.preprocessor
    changed_step: CannyEdges | LotusDepth | MoGeDepth
    if isinstance(step, CannyEdges):
        changed_step = dataclasses.replace(step, high_threshold=0.9)
    elif isinstance(step, LotusDepth):
        changed_step = dataclasses.replace(step, first_sigma=500.0)
    else:
        changed_step = dataclasses.replace(step, resolution_level=8)
    variants = [
        dataclasses.replace(control, preprocessor=changed_step),
        dataclasses.replace(control, strength=0.8),
        dataclasses.replace(control, frame_idx=8),
        dataclasses.replace(control, resize=(FitToOutput(scale_method="lanczos",
                                                         crop="disabled"),)),
        # cut by frames (ImageFromBatch after decoding) or by time (Video Slice before it)
        dataclasses.replace(control, cut=ControlCut.SECONDS if control.cut is ControlCut.FRAMES
                            else ControlCut.FRAMES),
        # the IC-LoRA's parameters (GetICLoRAParameters) given to the guide, or not
        dataclasses.replace(control, iclora_parameters=not control.iclora_parameters,
                            reference_downscale=1),
    ]
    if pipeline.stage1_scale > 1:
        variants.append(dataclasses.replace(control, scale_method="bicubic"))
    for variant in variants:
        changed = dataclasses.replace(pipeline, control=variant)
        assert declared_features(changed) != expected, variant
        sdk = _sdk_like_template(changed, template)
        assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])
    # the IC-LoRA: at another strength, or (two stages) on the first stage only
    lora = pipeline.files.control_lora
    assert lora is not None
    lora_variants = [dataclasses.replace(pipeline, files=dataclasses.replace(
        pipeline.files, control_lora=dataclasses.replace(lora, strength=0.5)))]
    if len(pipeline.stages) == 2:
        stage1, stage2 = pipeline.stages
        lora_variants.append(dataclasses.replace(pipeline, stages=(stage1, dataclasses.replace(
            stage2, loras=tuple(r for r in stage2.loras if r is not LoraRole.CONTROL)))))
    for changed in lora_variants:
        assert declared_features(changed) != expected
        sdk = _sdk_like_template(changed, template)
        assert _computation(sdk["loras"]) != _computation(template["loras"])


# ------------------------------------------------------------- LTX-2.3's union control

UNION = PIPELINES.get("ltx-2.3", "depth2v", "fast")


@dataclasses.dataclass(frozen=True)
class _Video:
    """What the SDK knows of a control video (as ``ltx2sdk.media.video.VideoData``)."""

    width: int
    fps: float = 25.0
    frames: int = 250

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def test_a_ksampler_is_a_stage_read_from_its_own_inputs() -> None:
    # the union-control template samples with one KSampler: one stage, its sampler,
    # scheduler, steps, cfg and seed its own inputs (not a SamplerCustomAdvanced's links)
    features = pipeline_features(template_api("video_ltx2_3_ic_lora"), details=True)
    [stage] = features["stages"]
    assert (stage["sampler"], stage["guider"], stage["cfg"], stage["noise"]) == (
        "euler_ancestral", "KSampler", 1.0, "KSampler")
    assert stage["sigmas"] == {"type": "KSampler", "scheduler": "linear_quadratic", "steps": 8,
                               "denoise": 1.0}
    assert features["parameters"]["seeds"] == [0]
    assert features["separate_av_slots"] == ["output"]
    [details] = features["stage_details"]
    assert details["sampler"] == {"class_type": "KSampler", "sampler_name": "euler_ancestral"}
    [guide] = details["guides"]
    assert [step["class_type"] for step in guide["image"]] == [
        "LoadVideo", "Video Slice", "GetVideoComponents", "MoGeDepth"]
    assert guide["image"][1] == {"class_type": "Video Slice", "start_time": 0, "duration": 5,
                                 "strict_duration": False}
    assert guide["iclora_parameters"]["stage_model"] is True


def test_the_ksampler_comparison_can_fail() -> None:
    assert UNION.template is not None
    template = _template(UNION)
    expected = template_features(UNION.template)
    [stage] = UNION.stages
    sampler = stage.sampler
    assert isinstance(sampler, KSampler)
    variants = [dataclasses.replace(sampler, name="euler"),
                dataclasses.replace(sampler, scheduler="simple"),
                dataclasses.replace(sampler, steps=9),
                dataclasses.replace(sampler, denoise=0.9)]
    for variant in variants:
        changed = dataclasses.replace(UNION, stages=(dataclasses.replace(stage, sampler=variant),))
        assert declared_features(changed) != expected, variant
        sdk = _sdk_like_template(changed, template)
        assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])
        assert sdk["stages"] != template["stages"]
    changed = dataclasses.replace(UNION, stages=(dataclasses.replace(stage, guider=CFG(2.0)),))
    assert declared_features(changed) != expected
    assert _sdk_like_template(changed, template)["stages"] != template["stages"]
    seeded = dataclasses.replace(UNION, stages=(dataclasses.replace(stage, noise_seed=7),))
    sdk = _sdk_like_template(seeded, template)
    assert sdk["parameters"]["seeds"] != template["parameters"]["seeds"]


@pytest.mark.parametrize("width", [1280, 2048, 2049, 3840])
def test_wide_frames_are_limited_as_the_template_limits_them(width: int) -> None:
    # the template decides at run time from the frames' width ("a > 2048"); the SDK when it
    # builds, from the video it was given: the same chain either way
    assert UNION.template is not None
    template = pipeline_features(template_api(UNION.template, video_width=width), details=True)
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="depth2v", mode="fast",
                                seed=0, video="control.mp4", image="first.png")
    sdk = pipeline_features(build_pipeline(UNION, request, video=_Video(width)).compile(),
                            details=True)
    assert _computation(sdk["stage_details"]) == _computation(template["stage_details"])
    [guide] = sdk["stage_details"][0]["guides"]
    limited = [step for step in guide["image"] if step["class_type"] == "ResizeImageMaskNode"]
    assert bool(limited) == (width > 2048)


def test_the_width_limit_comparison_can_fail() -> None:
    assert UNION.template is not None and UNION.control is not None
    expected = template_features(UNION.template)
    moge = UNION.control.preprocessor
    assert isinstance(moge, MoGeDepth)
    for variant in (dataclasses.replace(moge, limit_width=None),
                    dataclasses.replace(moge, limit_width=1920),
                    dataclasses.replace(moge, limit_method="lanczos")):
        changed = dataclasses.replace(UNION, control=dataclasses.replace(
            UNION.control, preprocessor=variant))
        assert declared_features(changed)["control"] != expected["control"], variant
    # decided when the graph is built (the video known) or when it runs: told apart
    wide = pipeline_features(template_api(UNION.template, video_width=3840), details=True)
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="depth2v", mode="fast",
                                seed=0, video="control.mp4", image="first.png")
    unknown = pipeline_features(build_pipeline(UNION, request).compile(), details=True)
    assert _computation(unknown["stage_details"]) != _computation(wide["stage_details"])
    at_run_time = pipeline_features(template_api(UNION.template, video_width=None),
                                    details=True)
    known = pipeline_features(build_pipeline(UNION, request, video=_Video(3840)).compile(),
                              details=True)
    assert _computation(known["stage_details"]) != _computation(at_run_time["stage_details"])


def test_without_the_videos_width_the_switch_runs_as_the_templates() -> None:
    # the video not measured (a file on the server, an offline build): the frames' width is
    # measured when the graph runs, by the template's own nodes
    assert UNION.template is not None
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="depth2v", mode="fast",
                                seed=0, video="control.mp4", image="first.png")
    sdk = pipeline_features(build_pipeline(UNION, request).compile(), details=True)
    template = pipeline_features(template_api(UNION.template, video_width=None), details=True)
    assert _computation(sdk["stage_details"]) == _computation(template["stage_details"])
    [guide] = sdk["stage_details"][0]["guides"]
    [switch] = [step for step in guide["image"] if step["class_type"] == "ComfySwitchNode"]
    assert switch["switch"]["expression"] == "a > 2048"
    assert switch["switch"]["values"]["a"]["from"] == "GetImageSize"
    assert [step["class_type"] for step in switch["on_true"]][-1] == "ResizeImageMaskNode"
    # the comparison sees the threshold: 1920 is not the template's
    assert UNION.control is not None and isinstance(UNION.control.preprocessor, MoGeDepth)
    changed = dataclasses.replace(UNION, control=dataclasses.replace(
        UNION.control, preprocessor=dataclasses.replace(UNION.control.preprocessor,
                                                        limit_width=1920)))
    other = pipeline_features(build_pipeline(changed, request).compile(), details=True)
    assert _computation(other["stage_details"]) != _computation(template["stage_details"])


# ------------------------------------------------------------- the effect-LoRA template

I2V_LORA = PIPELINES.get("ltx-2", "i2v", "lora")


def test_the_effect_lora_template_is_compared_with_its_lora_and_can_fail() -> None:
    # the template's own effect LoRA (ltx2-squish) is part of the comparison: the pipeline
    # without it, with it elsewhere in the chain or at another strength is not the template
    assert I2V_LORA.template == "video_ltx2_i2v_lora"
    template = _template(I2V_LORA)
    [squish] = _example_loras(I2V_LORA)
    base = _sdk_like_template(I2V_LORA, template)
    assert _computation(base["loras"]) == _computation(template["loras"])
    fps, frames = int(template["create_video"]["fps"]), _frames(template)
    for loras in ([], [{"name": squish.name, "strength": 0.5}],
                  [{"name": squish.name, "strength": 1.0}] * 2):
        request = GenerationRequest(prompt="p", model="ltx-2", type="i2v", mode="lora",
                                    fps=fps, frames=frames, seed=1, image="first.png",
                                    loras=loras)
        sdk = pipeline_features(build_pipeline(I2V_LORA, request).compile(), details=True)
        assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])


def test_the_first_frame_goes_in_before_the_first_stage_only() -> None:
    # the template has LTXVImgToVideoInplace before stage 1 and none before stage 2 (the
    # other i2v templates have one before each): refine_strength None, and 1 is told apart
    template = _template(I2V_LORA)
    expected = template_features("video_ltx2_i2v_lora")
    assert [stage["img_to_video_inplace"] for stage in expected["stages"]] == [
        {"strength": 1.0, "bypass": False}, None]
    [first] = I2V_LORA.guides
    assert isinstance(first, FirstFrameInplace) and first.refine_strength is None
    changed = dataclasses.replace(I2V_LORA, guides=(dataclasses.replace(first,
                                                                        refine_strength=1.0),))
    assert declared_features(changed) != expected
    sdk = _sdk_like_template(changed, template)
    assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])


def test_the_image_is_scaled_by_its_larger_side_as_the_template_does() -> None:
    # ImageScaleToMaxDimension (not ResizeImageMaskNode's "scale longer dimension": another
    # node, the same sizes); the comparison sees the node and its settings
    template = _template(I2V_LORA)
    assert template["resize_steps"] == [{"class_type": "ImageScaleToMaxDimension",
                                         "upscale_method": "lanczos", "largest_size": 1536}]
    assert I2V_LORA.preprocess is not None
    for step in (ScaleLongerEdge(size=1536, scale_method="lanczos"),
                 ScaleToMaxDimension(size=1280, scale_method="lanczos"),
                 ScaleToMaxDimension(size=1536, scale_method="area")):
        changed = dataclasses.replace(I2V_LORA, preprocess=dataclasses.replace(
            I2V_LORA.preprocess, resize=(step,)))
        assert declared_features(changed)["resize_steps"] != template_features(
            "video_ltx2_i2v_lora")["resize_steps"], step
        sdk = _sdk_like_template(changed, template)
        assert sdk["resize_steps"] != template["resize_steps"], step


def test_a_camera_lora_on_the_lora_mode_names_the_pipeline() -> None:
    # LTX-2 has camera LoRAs; its lora mode (as its template) has none
    from builders import check_request
    from ltx2sdk.errors import RequestFieldError

    request = GenerationRequest(prompt="p", type="i2v", mode="lora", image="first.png",
                                camera_lora="dolly_in")
    with pytest.raises(RequestFieldError) as caught:
        check_request(request)
    assert str(caught.value) == "camera_lora: ltx-2 i2v lora has no camera LoRAs (use 'none')"


# ------------------------------------------------------------- LTX-2.3's voice identity

ID2V = PIPELINES.get("ltx-2.3", "id2v", "fast")


def test_the_voice_identity_comparison_can_fail() -> None:
    # LTXVReferenceAudio's settings, and the ID-LoRA's strength and stages, are compared
    assert ID2V.template == "video_ltx2_3_id_lora"
    assert isinstance(ID2V.audio, ReferenceAudio)
    template = _template(ID2V)
    expected = template_features("video_ltx2_3_id_lora")
    assert expected["reference_audio"] == {"class_type": "LTXVReferenceAudio",
                                           "identity_guidance_scale": 3.0,
                                           "start_percent": 0.0, "end_percent": 1.0}
    lora = ID2V.files.identity_lora
    assert lora is not None
    stage1, stage2 = ID2V.stages
    variants = [
        dataclasses.replace(ID2V, audio=dataclasses.replace(ID2V.audio,
                                                            identity_guidance_scale=2.0)),
        dataclasses.replace(ID2V, audio=dataclasses.replace(ID2V.audio, end_percent=0.5)),
        dataclasses.replace(ID2V, files=dataclasses.replace(
            ID2V.files, identity_lora=dataclasses.replace(lora, strength=0.5))),
        # the ID-LoRA on stage 2 too
        dataclasses.replace(ID2V, stages=(stage1, dataclasses.replace(
            stage2, loras=(*stage2.loras, LoraRole.IDENTITY)))),
    ]
    for variant in variants:
        assert declared_features(variant) != expected
        sdk = _sdk_like_template(variant, template)
        assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])


def test_the_voice_goes_to_the_first_stage_only_and_is_not_the_soundtrack() -> None:
    template = _template(ID2V)
    sdk = _sdk_like_template(ID2V, template)
    first, second = sdk["stage_details"]
    assert [step["class_type"] for step in first["model"]][-1] == "LTXVReferenceAudio"
    assert "LTXVReferenceAudio" not in [step["class_type"] for step in second["model"]]
    # the video's audio starts empty, as t2v's: the recording goes in as it is, once
    assert [step["class_type"] for step in first["audio_latent"]] == ["LTXVEmptyLatentAudio"]
    assert sdk["class_counts"]["LoadAudio"] == 1 and "TrimAudioDuration" not in sdk[
        "class_counts"]


# ------------------------------------------------------------- LTX-2.3's reference sheet

REF2V = PIPELINES.get("ltx-2.3", "ref2v", "fast")


def test_the_reference_sheet_comparison_can_fail() -> None:
    # the sheet's padding and interpolation, its guide's frame and strength, and the
    # IC-LoRA's strength are compared, by the declaration and by the graph
    assert REF2V.template == "template_ltx2_3_ic_lora_ingredients"
    assert REF2V.reference is not None
    template = _template(REF2V)
    expected = template_features(REF2V.template)
    assert expected["reference"] == {
        "chain": [{"class_type": "LoadImage"}, {"class_type": "RepeatImageBatch"},
                  {"class_type": "ResizeAndPadImage", "padding_color": "black",
                   "interpolation": "lanczos"}],
        "iclora_parameters": True}
    lora = REF2V.files.control_lora
    assert lora is not None
    sheet = REF2V.reference
    variants = [
        dataclasses.replace(REF2V, reference=dataclasses.replace(sheet, padding_color="white")),
        dataclasses.replace(REF2V, reference=dataclasses.replace(sheet, interpolation="area")),
        dataclasses.replace(REF2V, reference=dataclasses.replace(sheet, strength=0.8)),
        dataclasses.replace(REF2V, reference=dataclasses.replace(sheet, frame_idx=8)),
        dataclasses.replace(REF2V, files=dataclasses.replace(
            REF2V.files, control_lora=dataclasses.replace(lora, strength=0.5))),
    ]
    for variant in variants:
        assert declared_features(variant) != expected
        sdk = _sdk_like_template(variant, template)
        assert _computation(sdk["stage_details"]) != _computation(template["stage_details"])


def test_the_sheet_is_made_into_the_videos_frames_and_sizes_the_latents() -> None:
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="ref2v", image="sheet.png",
                                frames=49, width=1280, height=704, seed=1)
    api = build_pipeline(REF2V, request).compile()
    [repeat] = [n for n in api.values() if n["class_type"] == "RepeatImageBatch"]
    [pad] = [n for n in api.values() if n["class_type"] == "ResizeAndPadImage"]
    assert repeat["inputs"]["amount"] == 49
    assert (pad["inputs"]["target_width"], pad["inputs"]["target_height"]) == (1280, 704)
    [latent] = [n for n in api.values() if n["class_type"] == "EmptyLTXVLatentVideo"]
    counted = api[latent["inputs"]["length"][0]]
    assert counted["class_type"] == "GetImageSize" and latent["inputs"]["length"][1] == 2
    assert not [n for n in api.values() if n["class_type"] == "LTXVImgToVideoInplace"]
