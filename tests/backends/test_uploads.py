"""Binding uploaded input files at submission (:mod:`ltx2sdk.backends.uploads`)."""

from __future__ import annotations

from ltx2sdk.backends.uploads import bind_uploads

PROMPT = {"1": {"class_type": "LoadImage", "inputs": {"image": "a.png", "upload": "image"}},
          "2": {"class_type": "LoadAudio", "inputs": {"audio": "v.wav"}},
          "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0],
                                                      "filename_prefix": "a.png"}}}


def test_each_literal_naming_an_upload_becomes_what_it_stands_for() -> None:
    reference = {"type": "core/ASSET", "id": "x"}
    bound = bind_uploads(PROMPT, {"a.png": "a (1).png", "v.wav": reference})
    assert bound["1"]["inputs"] == {"image": "a (1).png", "upload": "image"}
    assert bound["2"]["inputs"]["audio"] == reference
    assert bound["2"]["inputs"]["audio"] is not reference  # no object shared between prompts
    assert bound["3"]["inputs"]["filename_prefix"] == "a (1).png"  # any literal input
    assert bound["3"]["inputs"]["images"] == ["1", 0]  # links are not names


def test_the_prompt_given_is_left_as_it_is() -> None:
    bind_uploads(PROMPT, {"a.png": "b.png"})
    assert PROMPT["1"]["inputs"]["image"] == "a.png"
    assert bind_uploads(PROMPT, {}) == PROMPT
