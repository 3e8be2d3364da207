"""ltx-2.3 depth2v fast: LTX-2.3's union control (``video_ltx2_3_ic_lora``).

The video is cut by time (``Video Slice``) before it is decoded, and the latents are as long
as the frames that cut holds (``GetImageSize``), as in the template; what the plan makes of
the video (start, seconds, frame rate), the sizes the guide at half size allows, the IC-LoRA
parameters and the release it needs. Parity with the template is in
``test_templates_match.py``.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builders import build
from builders.catalog import PIPELINES, ControlCut, LatentSlot, ltx2, ltx2_3
from ltx2sdk import GenerationRequest, generate
from ltx2sdk.errors import IncompatibleServerError, RequestFieldError
from ltx2sdk.graph.releases import bundled_schemas
from ltx2sdk.graph.schema import SchemaSet
from tests.comfyserver import ComfyTestServer
from tests.media.video_files import make_video

UNION = PIPELINES.get("ltx-2.3", "depth2v", "fast")


@dataclass(frozen=True)
class Facts:
    """What the SDK measured of a video (as ``ltx2sdk.media.video.VideoData`` has it)."""

    fps: float
    frames: int
    width: int = 1280

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def _request(**fields: Any) -> GenerationRequest:
    fields.setdefault("video", "clip.mp4")
    return GenerationRequest(prompt="ruins", model="ltx-2.3", type="depth2v", mode="fast",
                             seed=3, **fields)


def _nodes(api: dict[str, Any], class_type: str) -> list[dict[str, Any]]:
    return [node for node in api.values() if node["class_type"] == class_type]


def _source(api: dict[str, Any], node: dict[str, Any], name: str) -> dict[str, Any]:
    value = node["inputs"][name]
    assert isinstance(value, list), f"{node['class_type']}.{name} is not a link"
    found: dict[str, Any] = api[str(value[0])]
    return found


def test_the_declaration_is_the_templates_one_stage() -> None:
    assert UNION.template == "video_ltx2_3_ic_lora" and UNION.min_comfyui == "0.22.0"
    assert UNION.control is not None and UNION.control.cut is ControlCut.SECONDS
    assert (UNION.fps, UNION.size_multiple, len(UNION.stages)) == (25, 64, 1)
    assert ("geometry_estimation", "moge_2_vitl_normal_fp16.safetensors") in UNION.model_files


def test_the_video_is_cut_by_time_and_the_latents_follow_its_frames() -> None:
    # 30 fps: the 121 frames are 4.033 s; half a frame more so that rounding loses none
    built = build(_request(), video=Facts(fps=30.0, frames=300))
    plan, api = built.plan, built.compile()
    assert (plan.frames, plan.fps, plan.video_start_seconds, plan.video_seconds) == (
        121, 25, 0.0, 4.05)
    [cut] = _nodes(api, "Video Slice")
    assert cut["inputs"] == {"video": cut["inputs"]["video"], "start_time": 0.0,
                             "duration": 4.05, "strict_duration": False}
    assert _source(api, cut, "video")["class_type"] == "LoadVideo"
    assert not _nodes(api, "ImageFromBatch")  # the cut is made before decoding
    [frames] = _nodes(api, "GetVideoComponents")
    assert _source(api, frames, "video") is cut
    [depth] = _nodes(api, "MoGeRender")
    assert depth["inputs"]["output"] == "depth"
    [count] = _nodes(api, "GetImageSize")
    assert _source(api, count, "image") is depth
    [video] = _nodes(api, "EmptyLTXVLatentVideo")
    [audio] = _nodes(api, "LTXVEmptyLatentAudio")
    assert video["inputs"]["length"] == audio["inputs"]["frames_number"]
    assert _source(api, video, "length") is count and video["inputs"]["length"][1] == 2
    assert "the video is 30 fps; its frames play at 25 fps" in plan.adjustments


def test_a_start_cuts_from_there_and_the_length_stops_where_the_video_does() -> None:
    # 100 frames at 30 fps, from 2 s: 40 frames left, 8n+1 of them: 33 (1.117 s)
    built = build(_request(video_start=2.0), video=Facts(fps=30.0, frames=100))
    plan = built.plan
    assert (plan.frames, plan.video_start_seconds, plan.video_seconds) == (33, 2.0, 1.117)
    assert "frames 121 -> 33: the video has 40 frames from 2 s (LTX-2 needs 8n+1 frames)" in (
        plan.adjustments)
    [cut] = _nodes(built.compile(), "Video Slice")
    assert (cut["inputs"]["start_time"], cut["inputs"]["duration"]) == (2.0, 1.117)
    with pytest.raises(RequestFieldError) as caught:
        build(_request(video_start=4.0), video=Facts(fps=25.0, frames=100))
    assert caught.value.field == "video_start"


def test_without_the_videos_facts_the_plan_says_what_the_length_follows() -> None:
    plan = build(_request()).plan
    assert plan.video_seconds == 4.86  # 121.5 frames at the template's 25 fps
    assert ("the video's frame rate is not known here: the cut is 4.860 s, 121 frames if it "
            "is 25 fps (the video's length follows the frames it holds)") in plan.adjustments


def test_wide_frames_are_limited_when_built_or_when_run() -> None:
    # the video measured: decided now; not measured: by the template's nodes when it runs
    known = build(_request(), video=Facts(fps=25.0, frames=200, width=3840)).compile()
    [limit] = _nodes(known, "ResizeImageMaskNode")
    assert (limit["inputs"]["resize_type"], limit["inputs"]["resize_type.longer_size"],
            limit["inputs"]["scale_method"]) == ("scale longer dimension", 2048, "area")
    assert not _nodes(known, "ComfySwitchNode")
    narrow = build(_request(), video=Facts(fps=25.0, frames=200, width=1920)).compile()
    assert not _nodes(narrow, "ResizeImageMaskNode") and not _nodes(narrow, "ComfySwitchNode")
    unknown = build(_request()).compile()
    [switch] = _nodes(unknown, "ComfySwitchNode")
    [wider] = _nodes(unknown, "ComfyMathExpression")
    assert wider["inputs"]["expression"] == "a > 2048"
    assert _source(unknown, switch, "switch") is wider and switch["inputs"]["switch"][1] == 2
    assert _source(unknown, switch, "on_true")["class_type"] == "ResizeImageMaskNode"
    assert _source(unknown, switch, "on_false")["class_type"] == "GetVideoComponents"
    [moge] = _nodes(unknown, "MoGeInference")
    assert _source(unknown, moge, "image") is switch


def test_a_union_control_declaration_checks_itself() -> None:
    [stage] = UNION.stages
    assert UNION.control is not None
    with pytest.raises(ValueError, match="KSampler stage has no sigmas"):
        dataclasses.replace(stage, sigmas=ltx2_3.DISTILLED_SIGMAS)
    with pytest.raises(ValueError, match="KSampler stage"):
        dataclasses.replace(stage, passes_on=LatentSlot.DENOISED_OUTPUT)
    with pytest.raises(ValueError, match="only a KSampler schedules itself"):
        dataclasses.replace(ltx2_3.FLF2V_FAST.stages[0], sigmas=None)
    with pytest.raises(ValueError, match="needs iclora_parameters"):
        dataclasses.replace(UNION.control, iclora_parameters=False)
    with pytest.raises(ValueError, match="scale_method"):  # two stages: frames halved
        dataclasses.replace(ltx2.CANNY_PRO, control=dataclasses.replace(
            UNION.control, resize=ltx2.FIRST_FRAME_FITTED.resize))


def test_a_late_start_needs_no_frame_index_limit() -> None:
    # Video Slice takes a start in seconds: no ImageFromBatch limit (4095 frames) to name
    built = build(_request(video_start=200.0), schemas=bundled_schemas("0.22.0"))
    [cut] = _nodes(built.compile(), "Video Slice")
    assert cut["inputs"]["start_time"] == 200.0


def test_an_older_release_is_told_the_release_it_needs() -> None:
    with pytest.raises(IncompatibleServerError, match=r"needs ComfyUI >= 0\.22\.0"):
        build(_request(), schemas=bundled_schemas("0.16.4"))
    assert build(_request(), schemas=bundled_schemas("0.22.0")).compile()


def test_sizes_are_multiples_of_64_for_the_half_size_guide() -> None:
    plan = build(_request(width=1312, height=736)).plan
    assert (plan.width, plan.height) == (1280, 768)
    assert ("size 1312x736 -> 1280x768 (one-stage LTX-2 with a guide at 1/2 size (the "
            "IC-LoRA's) needs multiples of 64)") in plan.adjustments
    assert (build(_request()).plan.width, build(_request()).plan.height) == (1280, 704)


def test_the_ic_lora_parameters_come_from_the_ic_lora_itself() -> None:
    # with a LoRA of the user's, the IC-LoRA is still the last one on the stage's model: its
    # loader's output is what GetICLoRAParameters reads and what KSampler samples with
    api = build(_request(loras=["mine.safetensors"])).compile()
    [parameters] = _nodes(api, "GetICLoRAParameters")
    [guide] = _nodes(api, "LTXVAddGuide")
    assert _source(api, guide, "iclora_parameters") is parameters
    lora = _source(api, parameters, "iclora_model")
    assert lora["inputs"]["lora_name"] == "ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors"
    [sampler] = _nodes(api, "KSampler")
    assert _source(api, sampler, "model") is lora
    assert _source(api, lora, "model")["inputs"]["lora_name"] == "mine.safetensors"
    assert {k: sampler["inputs"][k] for k in ("seed", "steps", "cfg", "sampler_name",
                                              "scheduler", "denoise")} == {
        "seed": 3, "steps": 8, "cfg": 1.0, "sampler_name": "euler_ancestral",
        "scheduler": "linear_quadratic", "denoise": 1.0}


def test_the_first_image_goes_in_place_as_it_is() -> None:
    api = build(_request(image="gate.png")).compile()
    [in_place] = _nodes(api, "LTXVImgToVideoInplace")
    assert _source(api, in_place, "image")["class_type"] == "LoadImage"
    assert in_place["inputs"]["strength"] == 1.0
    assert not _nodes(build(_request()).compile(), "LoadImage")


def test_generate_measures_the_video_and_the_server_runs_the_graph(
        ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    # the stand-in (ComfyUI 0.26.0's nodes and validation): 49 frames at 24 fps, all used
    clip = make_video("mp4", frames=49, fps=24)
    result = generate({"prompt": "ruins", "model": "ltx-2.3", "type": "depth2v",
                       "video_base64": base64.b64encode(clip).decode(), "seed": 3},
                      ltx_server.url, output_dir=tmp_path)
    assert result.video.exists()
    [posted] = ltx_server.received.prompts
    [cut] = _nodes(posted["prompt"], "Video Slice")
    assert (cut["inputs"]["start_time"], cut["inputs"]["duration"]) == (0.0, 2.062)  # 49.5/24
    assert "frames 121 -> 49: the video has 49 frames from 0 s (LTX-2 needs 8n+1 frames)" in (
        result.adjustments)
    assert result.frames == 49


def test_a_server_without_the_moge_nodes_is_told_the_release_that_has_them() -> None:
    # a server of unknown version whose /object_info lacks MoGe: the node and its release
    schemas = bundled_schemas("0.26.0")
    lacking = SchemaSet(tuple(schemas[name] for name in schemas if name != "MoGeInference"))
    lacking.from_server = True
    with pytest.raises(IncompatibleServerError) as caught:
        build(_request(), schemas=lacking)
    assert "the node MoGeInference, ComfyUI >= 0.22.0" in str(caught.value)
    assert "this server does not have it" in str(caught.value)


def test_a_video_already_on_the_server_runs_with_the_run_time_switch(
        ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    # generate reads the server's file and measures it, as an uploaded one; a graph built
    # without measuring it (offline, for that name) carries the template's switch, which the
    # server's validation (ComfyUI 0.26.0's nodes) accepts and runs
    from ltx2sdk import ComfyClient

    inputs = tmp_path / "server-in"
    inputs.mkdir(exist_ok=True)
    (inputs / "ruins.mp4").write_bytes(make_video("mp4", frames=49, fps=24))
    result = generate({"prompt": "ruins", "model": "ltx-2.3", "type": "depth2v",
                       "video": "ruins.mp4", "seed": 3}, ltx_server.url, output_dir=tmp_path)
    assert result.video.exists() and result.frames == 49  # measured: as long as the video
    [posted] = ltx_server.received.prompts
    assert not _nodes(posted["prompt"], "ComfySwitchNode")
    client = ComfyClient(ltx_server.url)
    unmeasured = build(_request(video="ruins.mp4"), schemas=client.schemas())
    [switch] = _nodes(unmeasured.compile(), "ComfySwitchNode")
    assert switch["inputs"]["switch"][1] == 2  # ComfyMathExpression's BOOL
    assert client.run(unmeasured.graph, output_dir=tmp_path / "unmeasured").outputs
