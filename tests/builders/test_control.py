"""canny2v and depth2v: a given video's frames steer the first stage (IC-LoRA control).

What the plan makes of the video (which frames, how many, at which frame rate), how the
control chain is built, and the optional first image: here for LTX-2's pipelines, which cut
the video by frames (LTX-2.3's union control, cut by time: ``test_union_control.py``). Parity
with the official templates is in ``test_templates_match.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from builders import PLACEHOLDER_VIDEO, build, build_pipeline
from builders.catalog import PIPELINES, ControlCut, LoraRole, LotusDepth, Pipeline, ltx2
from ltx2sdk import GenerationRequest
from ltx2sdk.errors import RequestFieldError
from ltx2sdk.graph.releases import bundled_schemas
from ltx2sdk.vocabulary import VIDEO

CONTROL = [p for p in PIPELINES if p.control is not None]
FRAME_CUT = [p for p in CONTROL if p.control is not None and p.control.cut is ControlCut.FRAMES]
"""LTX-2's control pipelines: two stages, the video cut by frames."""


@dataclass(frozen=True)
class Facts:
    """What the SDK measured of a video (as ``ltx2sdk.media.video.VideoData`` has it)."""

    fps: float
    frames: int
    width: int = 1280

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def _request(pipeline: Pipeline = ltx2.CANNY_PRO, **fields: Any) -> GenerationRequest:
    fields.setdefault("video", "clip.mp4")
    return GenerationRequest(prompt="a fox", type=pipeline.type, mode=pipeline.mode, seed=5,
                             **fields)


def _nodes(api: dict[str, Any], class_type: str) -> list[dict[str, Any]]:
    return [node for node in api.values() if node["class_type"] == class_type]


def _upstream(api: dict[str, Any], node: dict[str, Any], name: str) -> dict[str, Any]:
    value = node["inputs"][name]
    assert isinstance(value, list), f"{node['class_type']}.{name} is not a link"
    found: dict[str, Any] = api[str(value[0])]
    return found


def test_the_control_types_are_the_video_types() -> None:
    assert {p.type for p in CONTROL} == set(VIDEO.types)
    assert {(p.type, p.mode) for p in CONTROL} == {
        (t, m) for t in VIDEO.types for m in ("fast", "pro")}


@pytest.mark.parametrize("pipeline", FRAME_CUT, ids=lambda p: p.name.replace(" ", "-"))
def test_the_video_is_cut_fitted_halved_and_guides_the_first_stage(pipeline: Pipeline) -> None:
    built = build_pipeline(pipeline, _request(pipeline))
    plan, api = built.plan, built.compile()
    assert (plan.frames, plan.fps, plan.video_start_frame) == (121, 24, 0)  # the templates'
    [load] = _nodes(api, "LoadVideo")
    assert load["inputs"]["file"] == "clip.mp4"
    [cut] = _nodes(api, "ImageFromBatch")
    assert (cut["inputs"]["batch_index"], cut["inputs"]["length"]) == (0, 121)
    assert _upstream(api, _upstream(api, cut, "image"), "video") is load
    [guide] = _nodes(api, "LTXVAddGuide")
    assert (guide["inputs"]["frame_idx"], guide["inputs"]["strength"]) == (0, 1.0)
    signal = _upstream(api, guide, "image")
    chain = []
    node = signal
    while node is not cut:  # from the signal back to the cut, through the preprocessor
        chain.append(node["class_type"])
        node = next(_upstream(api, node, name) for name in ("image", "pixels", "samples",
                                                            "latent_image", "input")
                    if isinstance(node["inputs"].get(name), list))
    expected_tail = ["ImageScaleBy", "ResizeImageMaskNode"]
    assert chain[-2:] == expected_tail
    if pipeline.type == "canny2v":
        assert chain[:-2] == ["Canny"]
    else:
        assert chain[:-2] == ["ImageInvert", "VAEDecode", "SamplerCustomAdvanced",
                              "VAEEncode"]
    [half] = [n for n in _nodes(api, "ImageScaleBy")]
    assert half["inputs"]["scale_by"] == 0.5 and half["inputs"]["upscale_method"] == "lanczos"
    # the guide goes on the first stage's latent after the in-place first frame: no image here
    assert _upstream(api, guide, "latent")["class_type"] == "EmptyLTXVLatentVideo"
    assert not _nodes(api, "LoadImage") and not _nodes(api, "LTXVImgToVideoInplace")


@pytest.mark.parametrize("pipeline", FRAME_CUT, ids=lambda p: p.name.replace(" ", "-"))
def test_a_first_image_goes_in_place_before_the_guide_without_preprocessing(
        pipeline: Pipeline) -> None:
    api = build_pipeline(pipeline, _request(pipeline, image="first.png")).compile()
    [guide] = _nodes(api, "LTXVAddGuide")
    in_place = _upstream(api, guide, "latent")
    assert in_place["class_type"] == "LTXVImgToVideoInplace"
    assert len(_nodes(api, "LTXVImgToVideoInplace")) == 2  # before each stage, as the template
    assert not _nodes(api, "LTXVPreprocess")  # fitted to the output size only
    assert _upstream(api, in_place, "image")["class_type"] == "ResizeImageMaskNode"


@pytest.mark.parametrize("pipeline", FRAME_CUT, ids=lambda p: p.name.replace(" ", "-"))
def test_the_ic_lora_is_on_both_stages_models(pipeline: Pipeline) -> None:
    assert pipeline.files.control_lora is not None
    api = build_pipeline(pipeline, _request(pipeline)).compile()
    control = [n for n in _nodes(api, "LoraLoaderModelOnly")
               if n["inputs"]["lora_name"] == pipeline.files.control_lora.name]
    assert len(control) == 1  # shared by both stages, as in the template
    for guider in _nodes(api, "CFGGuider"):
        model = _upstream(api, guider, "model")
        loras = []
        while model["class_type"] == "LoraLoaderModelOnly":
            loras.append(model["inputs"]["lora_name"])
            model = _upstream(api, model, "model")
        assert loras[-1] == pipeline.files.control_lora.name  # next to the checkpoint


def test_the_length_stops_where_the_video_does() -> None:
    # 100 frames at 30 fps, from 1 s: frame 30, 70 frames left; 8n+1 within them: 65
    built = build(_request(video_start=1.0), video=Facts(fps=30.0, frames=100))
    plan = built.plan
    assert (plan.video_start_frame, plan.frames, plan.fps) == (30, 65, 24)
    assert "frames 121 -> 65: the video has 70 frames from 1 s (LTX-2 needs 8n+1 frames)" in (
        plan.adjustments)
    assert "the video is 30 fps; its frames play at 24 fps" in plan.adjustments
    [cut] = _nodes(built.compile(), "ImageFromBatch")
    assert (cut["inputs"]["batch_index"], cut["inputs"]["length"]) == (30, 65)
    # a video as long as the request: nothing to say
    plan = build(_request(frames=49), video=Facts(fps=24.0, frames=300)).plan
    assert plan.frames == 49
    assert not [note for note in plan.adjustments if "video" in note]


def test_a_start_at_or_after_the_end_of_the_video_is_refused() -> None:
    for start in (4.0, 10.0):  # 96 frames at 24 fps: 4 s
        with pytest.raises(RequestFieldError) as caught:
            build(_request(video_start=start), video=Facts(fps=24.0, frames=96))
        assert caught.value.field == "video_start"
        assert "at or after the end of the video (4.00 s)" in str(caught.value)
    with pytest.raises(RequestFieldError) as caught:  # 5 frames left: fewer than 9
        build(_request(video_start=3.8), video=Facts(fps=24.0, frames=96))
    assert caught.value.field == "video_start" and "at least 9" in str(caught.value)
    with pytest.raises(RequestFieldError) as caught:  # a video of 6 frames in all
        build(_request(), video=Facts(fps=24.0, frames=6))
    assert caught.value.field == "video"


def test_without_the_videos_facts_the_start_is_counted_at_the_output_rate() -> None:
    plan = build(_request(video_start=2.0)).plan
    assert (plan.video_start_frame, plan.frames) == (48, 121)
    assert any("video_start 2 s is frame 48 at 24 fps" in note for note in plan.adjustments)
    assert not any("video_start" in note for note in build(_request()).plan.adjustments)


def test_the_request_length_wins_over_the_templates() -> None:
    assert build(_request(duration=2.0)).plan.frames == 49
    assert build(_request(frames=57)).plan.frames == 57


def test_an_offline_build_of_a_fetched_video_names_a_placeholder() -> None:
    request = _request(video=None, video_url="https://example.com/clip.mp4")
    [load] = _nodes(build(request).compile(), "LoadVideo")
    assert load["inputs"]["file"] == PLACEHOLDER_VIDEO
    [load] = _nodes(build(request, video_name="up_1.mp4").compile(), "LoadVideo")
    assert load["inputs"]["file"] == "up_1.mp4"


def test_an_image_strength_without_an_image_is_said_unused() -> None:
    plan = build(_request(image_strength=0.5)).plan
    assert any(note.startswith("image_strength is not used") and "no image is given" in note
               for note in plan.adjustments)
    assert not any("image_strength" in note
                   for note in build(_request(image_strength=0.5, image="a.png")).plan.adjustments)


def test_a_control_declaration_checks_itself() -> None:
    canny = ltx2.CANNY_PRO
    with pytest.raises(ValueError, match="steered by a given video"):
        dataclasses.replace(canny, control=None)
    with pytest.raises(ValueError, match="must crop them"):
        stage1, stage2 = canny.stages
        dataclasses.replace(canny, stages=(dataclasses.replace(stage1, crop_guides=False),
                                           stage2))
    with pytest.raises(ValueError, match="control LoRA file"):
        dataclasses.replace(canny, stages=tuple(
            dataclasses.replace(s, loras=tuple(r for r in s.loras if r is not LoraRole.CONTROL))
            for s in canny.stages))
    with pytest.raises(ValueError, match="steered by a given video"):
        dataclasses.replace(ltx2.I2V_PRO, control=canny.control)


def test_the_lotus_files_are_loaded_by_depth_only() -> None:
    lotus = {("diffusion_models", "lotus-depth-d-v1-1.safetensors"),
             ("vae", "vae-ft-mse-840000-ema-pruned.safetensors")}
    for pipeline in PIPELINES:
        assert (lotus <= set(pipeline.model_files)) == (
            pipeline.control is not None and isinstance(pipeline.control.preprocessor,
                                                        LotusDepth))
    api = build_pipeline(ltx2.DEPTH_FAST, _request(ltx2.DEPTH_FAST)).compile()
    [unet] = _nodes(api, "UNETLoader")
    [sigma] = _nodes(api, "SetFirstSigma")
    assert unet["inputs"]["unet_name"] == "lotus-depth-d-v1-1.safetensors"
    assert sigma["inputs"]["sigma"] == 999.0000000000002


def test_a_start_beyond_what_the_release_can_cut_names_the_field_and_the_release() -> None:
    # ImageFromBatch reaches frame 4095 up to ComfyUI 0.16.4, 16384 from 0.22.0
    request = _request(video_start=200.0)  # frame 4800 at 24 fps
    with pytest.raises(RequestFieldError) as caught:
        build(request, schemas=bundled_schemas("0.8.0"))
    assert caught.value.field == "video_start"
    assert str(caught.value) == (
        "video_start: 200 s is frame 4800; ComfyUI 0.8.0 cuts a video from frame 4095 at "
        "most (ComfyUI >= 0.22.0: 16384)")
    assert build(request, schemas=bundled_schemas("0.22.0")).plan.video_start_frame == 4800
    with pytest.raises(RequestFieldError) as caught:  # past what any release's node reaches
        build(_request(video_start=1000.0))
    assert str(caught.value).endswith("frame 24000; ComfyUI cuts a video from frame 16384 at "
                                      "most")
