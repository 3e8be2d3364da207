"""The four default pipelines compute what Comfy-Org's official templates compute.

The templates (PyPI ``comfyui-workflow-templates-json``) are UI workflows with one
subgraph each; :mod:`tests.official_templates` flattens them to API JSON and
summarises any API graph by following links. Both sides go through the same
summary, so ids and node order do not matter; user-level values (prompt, seed,
size, fps, file prefix) are set to the template's own before comparing.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import build
from ltx2sdk import GenerationRequest

from .official_templates import pipeline_features, template_api

TEMPLATES = {
    ("t2v", "pro"): "video_ltx2_t2v",
    ("t2v", "fast"): "video_ltx2_t2v_distilled",
    ("i2v", "pro"): "video_ltx2_i2v",
    ("i2v", "fast"): "video_ltx2_i2v_distilled",
}
# Graph-wide summary keys that describe what is computed (not user parameters).
COMPUTATION_KEYS = ("stages", "separate_av_slots", "crop_guides", "decoder", "img_compression",
                    "image_path", "ltxv_schedulers", "save_video_count", "class_counts")


def _sdk_like_template(kind: str, mode: str, template: dict[str, Any]) -> dict[str, Any]:
    fps = int(template["create_video"]["fps"])
    frames = template["parameters"]["latent_audio"]["frames_number"]
    request = GenerationRequest(prompt="p", type=kind, mode=mode, fps=fps, frames=frames,
                                camera_lora="none", seed=10,
                                image="first.png" if kind == "i2v" else None)
    return pipeline_features(build(request).compile())


@pytest.fixture(scope="module", params=sorted(TEMPLATES), ids=lambda k: f"{k[0]}-{k[1]}")
def pair(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    kind, mode = request.param
    template = pipeline_features(template_api(TEMPLATES[(kind, mode)]))
    return template, _sdk_like_template(kind, mode, template)


@pytest.mark.parametrize("key", COMPUTATION_KEYS)
def test_same_computation(pair: tuple[dict[str, Any], dict[str, Any]], key: str) -> None:
    template, sdk = pair
    assert sdk[key] == template[key]


def test_same_video_settings(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, sdk = pair
    assert sdk["create_video"] == template["create_video"]
    assert sdk["frame_rates"] == template["frame_rates"]


def test_same_default_model_files(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, sdk = pair
    for key in ("checkpoint", "text_encoder", "upscale_model"):
        assert sdk["parameters"][key] == template["parameters"][key], key


def test_same_image_preparation(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    template, sdk = pair

    def settings(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # the fitted size is the produced size: the SDK fits 1280x704, the template 1280x720
        # and lets the latent floor it to 704
        return [{k: v for k, v in s.items() if k not in ("resize_type.width",
                                                          "resize_type.height")}
                for s in steps]

    assert settings(sdk["resize_steps"]) == settings(template["resize_steps"])


def test_the_comparison_can_fail() -> None:
    # a pro graph summarised against the fast template must differ in what it computes
    template = pipeline_features(template_api("video_ltx2_t2v_distilled"))
    pro = _sdk_like_template("t2v", "pro", template)
    assert pro["stages"] != template["stages"]
    assert pro["class_counts"] != template["class_counts"]
