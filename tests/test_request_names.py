"""Names and numbers a QA pass found accepted or worded raw (issue 17): a LoRA name with a
control character or that is ``.``, a video name whose extension ComfyUI's LoadVideo does not
list, and ``null`` for a number that has a default."""

from __future__ import annotations

import pytest

from ltx2sdk import GenerationRequest
from ltx2sdk.errors import RequestError, VideoInputError
from ltx2sdk.media.video import decode_video
from ltx2sdk.request import VIDEO_EXTENSIONS
from tests.media.video_files import make_video


@pytest.mark.parametrize("name", ["a\u0000b", "a\nb.safetensors", "tab\there", "a\u007fb",
                                  ".", "sub/./x.safetensors", "./x.safetensors"])
def test_a_lora_name_with_a_control_character_or_a_dot_part_is_refused(name: str) -> None:
    with pytest.raises(RequestError, match=r"^invalid request: loras\.0\.name: "):
        GenerationRequest.model_validate({"prompt": "x", "loras": [name]})


@pytest.mark.parametrize("name", ["squish.safetensors", "effects/squish.safetensors",
                                  "v1.5 style.safetensors", "é.safetensors"])
def test_a_lora_name_in_the_folder_is_taken(name: str) -> None:
    request = GenerationRequest.model_validate({"prompt": "x", "loras": [name]})
    assert request.loras[0].name == name


@pytest.mark.parametrize("name", ["clip.txt", "clip", "clip.png", "clip.mp4.json"])
def test_a_video_name_without_a_video_extension_is_refused_naming_the_allowed_ones(
        name: str) -> None:
    with pytest.raises(RequestError, match=r"^invalid request: video: .*mp4, mov, webm, mkv"):
        GenerationRequest.model_validate({"prompt": "x", "type": "canny2v", "video": name})


@pytest.mark.parametrize("name", ["clip.mp4", "clip.MOV", "a.webm", "a.mkv", "a.avi", "a.m4v",
                                  "a.mpeg"])
def test_a_video_name_with_a_video_extension_is_taken(name: str) -> None:
    request = GenerationRequest.model_validate({"prompt": "x", "type": "canny2v",
                                                "video": name})
    assert request.video == name


def test_the_video_extensions_are_those_comfyui_lists_as_videos() -> None:
    # LoadVideo lists the input files whose mimetype is video/*: the common ones are there
    import mimetypes

    table = mimetypes.MimeTypes(filenames=())  # Python's own table, not this machine's
    known = {ext.lstrip(".") for ext, kind in table.types_map[True].items()
             if kind.startswith("video/")}
    assert {"mp4", "mov", "webm", "avi"} <= known
    assert {"mp4", "mov", "webm", "mkv", "avi"} <= set(VIDEO_EXTENSIONS)
    assert all(mimetypes.guess_type(f"a.{ext}", strict=False)[0] is None
               or str(mimetypes.guess_type(f"a.{ext}", strict=False)[0]).startswith("video/")
               for ext in VIDEO_EXTENSIONS)


@pytest.mark.parametrize("field", ["video_start", "camera_strength", "image_strength",
                                   "width"])
def test_null_for_a_number_with_a_default_is_a_worded_refusal(field: str) -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate({"prompt": "x", field: None})
    message = str(caught.value)
    assert message.startswith(f"invalid request: {field}: must be ")
    assert "not null" in message and "leave it out" in message
    assert "Input should be" not in message


def test_an_mp4_cut_to_one_frame_says_one_is_there() -> None:
    data = make_video(frames=72)
    for keep in range(len(data) // 2, 0, -64):  # shorter and shorter: until one frame is left
        try:
            decode_video(data[:keep], "video")
        except VideoInputError as exc:
            if "72 frames, 1 " in str(exc):
                assert str(exc).endswith("72 frames, 1 is there)"), exc
                return
    pytest.skip("no cut left exactly one frame")


def test_an_mp4_cut_inside_its_header_is_a_video_input_error() -> None:
    data = make_video(frames=72)
    for keep in range(len(data) // 2, 0, -64):  # every cut: refused as a video, never a crash
        with pytest.raises(VideoInputError):
            decode_video(data[:keep], "video")


@pytest.mark.parametrize(("field", "name"), [("image", "a\nb.png"), ("last_image", "a\tb.png"),
                                             ("audio", "a\u001bb.wav"), ("video", "a\rb.mp4")])
def test_an_input_name_with_a_control_character_is_refused(field: str, name: str) -> None:
    with pytest.raises(RequestError, match=rf"^invalid request: {field}: "):
        GenerationRequest.model_validate({"prompt": "x", field: name})


@pytest.mark.parametrize(("field", "words"), [
    ("prompt", "must be text, not null"), ("filename_prefix", "must be text, not null"),
    ("loras", "must be a list, not null"), ("models", "must be an object, not null"),
    ("mode", "must be 'fast', 'pro' or 'lora', not null"),
    ("enhance_prompt", "must be true or false")])
def test_null_for_any_field_that_cannot_be_null_is_worded_alike(field: str, words: str) -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate({"prompt": "x", field: None})
    assert str(caught.value).startswith(f"invalid request: {field}: {words}"), caught.value
    assert ("leave it out" in str(caught.value)) == (field != "prompt")
