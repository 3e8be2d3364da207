"""The request model: the original handler contract, defaults, and errors naming fields."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pydantic
import pytest

from ltx2sdk import GenerationRequest
from ltx2sdk.errors import LTX2Error, RequestError
from ltx2sdk.request import ModelSet, describe_validation_error, request_json_schema
from ltx2sdk.vocabulary import MODEL_IDS, MODES, PIPELINES_MADE, REQUEST_RULES, VIDEO_TYPES

ORIGINAL_CONTRACT = {  # the fields the original RunPod handler took, unchanged
    "prompt": "a fox", "mode": "pro", "type": "i2v", "width": 1280, "height": 720,
    "duration": 15, "seed": 7, "camera_lora": "dolly_left",
    "image_url": "https://example.com/a.png", "image_base64": None,
}


def _error(fields: dict[str, Any]) -> str:
    with pytest.raises(RequestError) as err:
        GenerationRequest.model_validate(fields)
    return describe_validation_error(err.value)


def test_original_contract_is_accepted_unchanged() -> None:
    request = GenerationRequest.model_validate(ORIGINAL_CONTRACT)
    assert (request.mode, request.type, request.duration, request.camera_lora) == (
        "pro", "i2v", 15, "dolly_left")


def test_defaults() -> None:
    request = GenerationRequest(prompt="p")
    assert (request.model, request.mode, request.type, request.width, request.height) == (
        "ltx-2", "fast", "t2v", 1280, 720)
    assert request.fps is None  # the pipeline's: 24 for LTX-2 (tests/builders/test_catalog.py)
    assert request.camera_lora == "static" and request.seed is None
    assert request.negative_prompt is None


@pytest.mark.parametrize("model", ["ltx-2", "ltx-2.3", "ltx-2.5"])
def test_a_model_is_chosen_by_name(model: str) -> None:
    assert GenerationRequest(prompt="p", model=model).model == model


def test_an_unknown_model_names_the_choices() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest(prompt="p", model="ltx-3")
    message = describe_validation_error(caught.value)
    assert message.startswith("invalid request: model: ") and "'ltx-2.3'" in message


def test_blank_image_fields_of_the_old_contract_mean_absent() -> None:
    """The original contract sends ``""`` for the fields its type does not use."""
    request = GenerationRequest.model_validate({"prompt": "p", "type": "t2v", "image_url": "",
                                                "image_base64": ""})
    assert request.image_url is None and request.image_base64 is None


@pytest.mark.parametrize(("data", "message"), [
    ({"image_base64": ""}, "image_base64: the image is empty"),
    ({"image_url": ""}, "image_url: the URL is empty"),
    ({"image": ""}, "image: the file name is empty"),
    ({"type": "i2v", "image_base64": ""}, "image_base64: the image is empty"),
    ({"type": "flf2v", "image": "a.png", "last_image_base64": ""},
     "last_image_base64: the image is empty"),
    ({"type": "ia2v", "model": "ltx-2.3", "image": "a.png", "audio_base64": ""},
     "audio_base64: the audio file is empty"),
    ({"type": "canny2v", "video_url": ""}, "video_url: the URL is empty"),
])
def test_an_empty_input_field_a_request_would_use_is_refused(data: dict[str, str],
                                                             message: str) -> None:
    """``""`` for an input file is no file: not silently dropped (a t2v planned for an i2v
    that lost its image), but refused as the CLI refuses ``--image-base64 ''``, in Python
    and JSON alike; only a field its given type does not use is the old contract's blank."""
    for make in (lambda: GenerationRequest.model_validate({"prompt": "x", **data}),
                 lambda: GenerationRequest(prompt="x", **data)):  # type: ignore[arg-type]
        with pytest.raises(RequestError) as caught:
            make()
        assert str(caught.value) == f"invalid request: {message}"


def test_blank_last_image_fields_mean_absent_too() -> None:
    request = GenerationRequest.model_validate({
        "prompt": "p", "type": "i2v", "image_url": "https://a/b.png", "last_image": "",
        "last_image_url": "", "last_image_base64": ""})
    assert (request.last_image, request.last_image_url, request.last_image_base64) == (
        None, None, None)


def test_blank_audio_fields_mean_absent_too() -> None:
    request = GenerationRequest.model_validate({
        "prompt": "p", "type": "i2v", "image_url": "https://a/b.png", "audio": "",
        "audio_url": "", "audio_base64": ""})
    assert (request.audio, request.audio_url, request.audio_base64) == (None, None, None)


@pytest.mark.parametrize("first", [{"image": "first.png"}, {"image_url": "https://a/b.png"},
                                   {"image_base64": "AAAA"}])
@pytest.mark.parametrize("audio", [{"audio": "voice.mp3"}, {"audio_url": "https://a/v.wav"},
                                   {"audio_base64": "AAAA"}])
def test_ia2v_takes_a_first_image_and_one_audio_source(first: dict[str, str],
                                                       audio: dict[str, str]) -> None:
    request = GenerationRequest.model_validate({"prompt": "p", "model": "ltx-2.3", "type": "ia2v",
                                                **first, **audio})
    assert request.type == "ia2v"
    assert [getattr(request, k) for k in (*first, *audio)] == [*first.values(), *audio.values()]


@pytest.mark.parametrize("first", [{"image": "first.png"}, {"image_url": "https://a/b.png"},
                                   {"image_base64": "AAAA"}])
@pytest.mark.parametrize("last", [{"last_image": "last.png"},
                                  {"last_image_url": "https://a/c.png"},
                                  {"last_image_base64": "BBBB"}])
def test_flf2v_takes_any_source_for_each_image(first: dict[str, str],
                                               last: dict[str, str]) -> None:
    request = GenerationRequest.model_validate({"prompt": "p", "type": "flf2v", **first,
                                                **last})
    assert request.type == "flf2v"
    assert [getattr(request, k) for k in (*first, *last)] == [*first.values(), *last.values()]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"prompt": "p", "foo": 1}, "unknown field 'foo' (ltx2 schema lists the fields"),
    ({"prompt": "p", "promt": "q"}, "unknown field 'promt'; did you mean 'prompt'?"),
    ({"prompt": "p", "models": {"chekpoint": "x"}},
     "models: unknown field 'chekpoint'; did you mean 'checkpoint'?"),
    ({"prompt": "p", "width": 0}, "width: at least 128 px, not 0"),
    ({"prompt": "p", "duration": 100}, "duration: at most 20 s, not 100"),
    ({"prompt": "p", "type": "x"},
     "type: 'x' is not one of t2v, i2v, flf2v, ia2v, id2v, ref2v, canny2v, depth2v"),
    ({"prompt": "p", "mode": "slow"}, "mode: 'slow' is not one of fast, pro, lora"),
    ({"prompt": "p", "camera_lora": "orbit"}, "camera_lora: 'orbit' is not one of none, static, "),
    ({"prompt": "p", "type": "i2v"}, "type 'i2v' needs an image"),
    ({"prompt": "p", "type": "i2v", "image_url": "https://a/b.png", "image_base64": "AAAA"},
     "give only one image source, not image_url and image_base64"),
    ({"prompt": "p", "type": "t2v", "image_url": "https://a/b.png"},
     "image_url is only used with type 'i2v', 'flf2v', 'ia2v', 'id2v', 'ref2v', 'canny2v' or "
     "'depth2v' (type is 't2v')"),
    ({"prompt": "p", "type": "flf2v"},
     "type 'flf2v' needs a first image: give one of image_url, image_base64 or image"),
    ({"prompt": "p", "type": "flf2v", "last_image_url": "https://a/c.png"},
     "type 'flf2v' needs a first image"),
    ({"prompt": "p", "type": "flf2v", "image_url": "https://a/b.png"},
     "type 'flf2v' needs a last image: give one of last_image_url, last_image_base64 or "
     "last_image"),
    ({"prompt": "p", "type": "flf2v", "image": "a.png", "last_image_url": "https://a/c.png",
      "last_image_base64": "AAAA"},
     "give only one last image source, not last_image_url and last_image_base64"),
    ({"prompt": "p", "type": "flf2v", "image_url": "https://a/b.png", "image": "a.png",
      "last_image": "c.png"}, "give only one image source, not image_url and image"),
    ({"prompt": "p", "type": "i2v", "image": "a.png", "last_image_url": "https://a/c.png"},
     "last_image_url is only used with type 'flf2v' (type is 'i2v')"),
    ({"prompt": "p", "type": "t2v", "last_image_base64": "AAAA"},
     "last_image_base64 is only used with type 'flf2v' (type is 't2v')"),
    ({"prompt": "p", "last_image_base64": "AAAA"},
     "type 'flf2v' needs a first image: give one of image_url, image_base64 or image "
     "(last_image_base64 makes the type flf2v)"),
    ({"prompt": "p", "type": "i2v", "image": "a.png", "last_image": "c.png"},
     "last_image is only used with type 'flf2v'"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image": "a.png"},
     "type 'ia2v' needs an audio file: give one of audio_url, audio_base64 or audio"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "audio": "a.wav"},
     "type 'ia2v' needs an image: give one of image_url, image_base64 or image"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image": "a.png", "audio_url": "https://a/v.mp3",
      "audio_base64": "AAAA"}, "give only one audio file source, not audio_url and audio_base64"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image": "a.png", "audio": "v.wav",
      "audio_url": "https://a/v.mp3"}, "give only one audio file source, not audio_url and audio"),
    ({"prompt": "p", "type": "t2v", "audio_url": "https://a/v.mp3"},
     "audio_url is only used with type 'ia2v' or 'id2v' (type is 't2v')"),
    ({"prompt": "p", "model": "ltx-2.3", "audio_url": "https://a/v.mp3"},
     "type 'ia2v' needs an image: give one of image_url, image_base64 or image (audio_url "
     "makes the type ia2v)"),
    ({"prompt": "p", "image": "a.png", "audio_url": "https://a/v.mp3"},
     "type: model ltx-2 has no 'ia2v' pipeline (it has t2v, i2v, flf2v, canny2v, depth2v); "
     "audio_url makes the type ia2v"),
    ({"prompt": "p", "model": "ltx-2.5", "mode": "pro"},
     "mode: model ltx-2.5 has no 'pro' mode: it ships a distilled model only (t2v has: fast)"),
    ({"prompt": "p", "mode": "pro", "type": "flf2v", "image": "a.png", "last_image": "b.png"},
     "mode: model ltx-2 has no 'pro' mode for flf2v (it has: fast)"),
    ({"prompt": "p", "type": "i2v", "image": "a.png", "audio_base64": "AAAA"},
     "audio_base64 is only used with type 'ia2v' or 'id2v' (type is 'i2v')"),
    ({"prompt": "p", "type": "flf2v", "image": "a.png", "last_image": "b.png",
      "audio": "v.wav"}, "audio is only used with type 'ia2v' or 'id2v' (type is 'flf2v')"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image": "a.png", "last_image": "b.png",
      "audio": "v.wav"}, "last_image is only used with type 'flf2v' (type is 'ia2v')"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image": "a.png", "audio": "../v.wav"},
     "audio: must be a file name in ComfyUI's input folder"),
    ({"prompt": ""}, "prompt: is empty"),
    ({}, "prompt: is required"),
    ({"prompt": "p", "width": "wide"}, "width: must be a whole number, not a string"),
    ({"prompt": "p", "width": [1280]}, "width: must be a whole number, not a list"),
    ({"prompt": "p", "duration": {"s": 5}}, "duration: must be a number, not an object"),
    ({"prompt": "p", "duration": 5, "frames": 121}, "give duration or frames, not both"),
    ({"prompt": "p", "type": "i2v", "image": "../etc/passwd"},
     "image: must be a file name in ComfyUI's input folder"),
    ({"prompt": "p", "type": "flf2v", "image": "a.png", "last_image": "in/../../b.png"},
     "last_image: must be a file name in ComfyUI's input folder"),
    ({"prompt": "p", "type": "flf2v", "image": "a.png", "last_image": ".."},
     "last_image: must be a file name in ComfyUI's input folder"),
    ({"prompt": "p", "models": {"checkpoint": "nope.safetensors"}},
     "models: checkpoint: unknown model file 'nope.safetensors' for models/checkpoints"),
    ({"prompt": "p", "filename_prefix": "../x"}, "must stay inside ComfyUI's output folder"),
])
def test_errors_name_the_field(fields: dict[str, Any], expected: str) -> None:
    assert expected in _error(fields)


def test_json_schema_lists_fields_and_limits() -> None:
    schema = request_json_schema()
    props = schema["properties"]
    assert schema["required"] == ["prompt"]
    assert props["duration"]["anyOf"][0]["maximum"] == 20
    assert set(props["camera_lora"]["enum"]) >= {"none", "static", "jib_down"}
    assert schema["additionalProperties"] is False


def test_a_whole_request_rule_is_named_once() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest(prompt="p", type="i2v")
    assert describe_validation_error(caught.value) == (
        "invalid request: type 'i2v' needs an image: give one of image_url, image_base64 "
        "or image")


# each rule of the request model: a request that breaks it, where the error is, and its fields
BROKEN_RULES: dict[str, tuple[dict[str, Any], tuple[str, ...], dict[str, Any]]] = {
    "input_missing": ({"prompt": "p", "type": "flf2v", "image": "a.png"}, (),
                      {"input": "last_image", "type": "flf2v"}),
    "input_not_used": ({"prompt": "p", "type": "i2v", "image": "a.png", "audio": "v.wav"}, (),
                       {"input": "audio", "field": "audio", "type": "i2v"}),
    "one_source_only": ({"prompt": "p", "type": "i2v", "image_url": "https://a/b.png",
                         "image": "a.png"}, (),
                        {"input": "image", "fields": ["image_url", "image"]}),
    "one_length_only": ({"prompt": "p", "duration": 5, "frames": 121}, (),
                        {"fields": ["duration", "frames"]}),
    "length_over_limit": ({"prompt": "p", "duration": 20, "fps": 60}, (),
                          {"field": "duration", "reason": "20 s at 60 fps is 1201 frames; "
                                                          "LTX-2's audio latent allows at most "
                                                          "1000"}),
    "unknown_model_file": ({"prompt": "p", "models": {"upscaler": "x.safetensors"}},
                           ("models",), {"field": "upscaler"}),
    "type_needed": ({"prompt": "p", "video": "clip.mp4"}, (),
                    {"input": "video", "field": "video", "types": ["canny2v", "depth2v"]}),
    "no_pipeline": ({"prompt": "p", "model": "ltx-2.5", "mode": "pro"}, (),
                    {"field": "mode", "model": "ltx-2.5", "type": "t2v", "mode": "pro",
                     "inferred_from": None}),
}


def test_every_rule_has_a_broken_example() -> None:
    assert set(BROKEN_RULES) == set(REQUEST_RULES)


@pytest.mark.parametrize("rule", sorted(BROKEN_RULES))
def test_a_broken_rule_carries_its_code_and_fields(rule: str) -> None:
    fields, loc, context = BROKEN_RULES[rule]
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate(fields)
    [error] = caught.value.errors()
    assert (error["type"], error["loc"]) == (rule, loc)
    assert error["ctx"].items() >= context.items()
    if "reason" in error["ctx"]:  # "<field>: <reason>", as before the codes
        assert error["msg"] == f"{error['ctx']['field']}: {error['ctx']['reason']}"


def test_a_users_file_name_is_quoted_as_typed() -> None:
    # pydantic fills {key} of a message from its context: not inside what a user typed
    message = _error({"prompt": "p", "models": {"checkpoint": "{field}-{reason}.safetensors"}})
    assert message.startswith("invalid request: models: checkpoint: unknown model file "
                              "'{field}-{reason}.safetensors' for models/checkpoints; known")


# --- the type follows from the input files when none is given ---------------------------------

@pytest.mark.parametrize(("inputs", "expected"), [
    ({}, "t2v"),
    ({"image_url": "https://a/b.png"}, "i2v"),
    ({"image_base64": "AAAA"}, "i2v"),
    ({"image": "a.png"}, "i2v"),
    ({"image": "a.png", "last_image_url": "https://a/c.png"}, "flf2v"),
    ({"image_base64": "AAAA", "last_image_base64": "BBBB"}, "flf2v"),
    ({"image": "a.png", "audio_url": "https://a/v.mp3", "model": "ltx-2.3"}, "ia2v"),
    ({"image_url": "https://a/b.png", "audio_base64": "AAAA", "model": "ltx-2.3"}, "ia2v"),
])
def test_the_type_follows_from_the_input_files(inputs: dict[str, str], expected: str) -> None:
    for given in ({}, {"type": None}, {"type": ""}):  # absent, null and "" alike
        fields = {"prompt": "p", **given, **inputs}
        assert GenerationRequest.model_validate(fields).type == expected
        assert GenerationRequest.model_validate_json(json.dumps(fields)).type == expected
        request = GenerationRequest(**fields)
        assert request.type == expected and "type" not in request.model_fields_set
    # a given type is kept, and its dump gives it again
    request = GenerationRequest(prompt="p", type=expected, **inputs)  # type: ignore[arg-type]
    assert "type" in request.model_fields_set
    again = GenerationRequest.model_validate(request.model_dump())
    assert again == request and again.type == expected


def test_the_json_schema_states_the_type_rule_and_no_fixed_default() -> None:
    described = request_json_schema()["properties"]["type"]
    assert "default" not in described
    assert "When not given, the input files decide" in described["description"]


# --- every error an LTX2Error -----------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: GenerationRequest(prompt="p", width=1),
    lambda: GenerationRequest.model_validate({"prompt": "p", "width": 1}),
    lambda: GenerationRequest.model_validate_json('{"prompt": "p", "width": 1}'),
    lambda: GenerationRequest.model_validate_json("not json"),
    lambda: GenerationRequest.model_validate_strings({"prompt": "p", "width": "1"}),
    lambda: GenerationRequest.model_validate(["not", "a", "dict"]),
    lambda: ModelSet(checkpoint="nope.safetensors"),
    lambda: ModelSet.model_validate({"chekpoint": "x"}),
])
def test_a_bad_request_is_an_ltx2_error_and_a_value_error(make: Any) -> None:
    with pytest.raises(LTX2Error) as caught:
        make()
    assert isinstance(caught.value, RequestError) and isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, pydantic.ValidationError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    message = str(caught.value)
    assert message.startswith("invalid request: ") and "\n" not in message
    assert caught.value.errors() and all({"type", "loc", "msg"} <= set(error)
                                         for error in caught.value.errors())


def test_the_structured_errors_are_pydantics_with_friendlier_unknown_fields() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate({"prompt": "p", "width": 1, "promt": "x"})
    width, unknown = caught.value.errors()
    assert (width["type"], width["loc"]) == ("greater_than_equal", ("width",))
    assert width["ctx"] == {"ge": 128}
    assert (unknown["type"], unknown["loc"]) == ("extra_forbidden", ("promt",))
    assert unknown["ctx"] == {"field": "promt", "suggestion": "prompt"}
    assert str(caught.value) == ("invalid request: width: at least 128 px, not 1; unknown "
                                 "field 'promt'; did you mean 'prompt'?")
    assert describe_validation_error(caught.value) == str(caught.value)


def test_a_request_error_pickles_with_its_problems() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest(prompt="p", width=1)
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.errors()) == (str(caught.value), caught.value.errors())


def test_a_model_set_alone_suggests_its_own_fields() -> None:
    with pytest.raises(RequestError) as caught:
        ModelSet.model_validate({"upscalar": "x"})
    assert str(caught.value) == ("invalid request: unknown field 'upscalar'; did you mean "
                                 "'upscaler'?")


# --- only what a pipeline makes -----------------------------------------------------------------

@pytest.mark.parametrize("model", MODEL_IDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("video_type", VIDEO_TYPES)
def test_a_request_is_made_exactly_when_a_pipeline_makes_it(model: str, mode: str,
                                                            video_type: str) -> None:
    inputs = {"i2v": {"image": "a.png"}, "flf2v": {"image": "a.png", "last_image": "b.png"},
              "ia2v": {"image": "a.png", "audio": "v.wav"}, "id2v": {"image": "a.png",
                                                                      "audio": "v.wav"},
              "ref2v": {"image": "a.png"},
              "canny2v": {"video": "v.mp4"},
              "depth2v": {"video": "v.mp4"}}.get(video_type, {})
    fields = {"prompt": "p", "model": model, "mode": mode, "type": video_type, **inputs}
    if (model, video_type, mode) in PIPELINES_MADE:
        assert GenerationRequest.model_validate(fields).mode == mode
        return
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate(fields)
    [error] = caught.value.errors()
    assert error["type"] == "no_pipeline" and error["ctx"]["field"] in ("type", "mode")


@pytest.mark.parametrize(("fields", "said"), [
    ({"duration": 25}, "duration: at most 20 s, not 25"),
    ({"duration": 0}, "duration: more than 0 s, not 0"),
    ({"frames": 3}, "frames: at least 9 frames, not 3"),
    ({"fps": 61}, "fps: at most 60 fps, not 61"),
    ({"image_strength": 1.5, "image_url": "https://example.com/a.png"},
     "image_strength: at most 1, not 1.5"),
    ({"duration": 25.0}, "duration: at most 20 s, not 25"),
])
def test_a_number_out_of_bounds_says_the_bound_with_its_unit(fields: dict[str, Any],
                                                             said: str) -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate({"prompt": "p", **fields})
    assert str(caught.value) == f"invalid request: {said}"
    assert "Input should be" not in str(caught.value)


# --- QA follow-ups: what cannot run is refused however the request is made -----------------

@pytest.mark.parametrize(("field", "url"), [
    ("image_url", "notaurl"), ("image_url", "file:///etc/passwd"),
    ("last_image_url", "ftp://example.com/b.png"), ("audio_url", "https://"),
    ("image_url", "http://user@example.com/a.png"), ("image_url", "http://127.1/a.png"),
])
def test_a_url_that_is_not_http_is_refused_when_the_request_is_made(field: str,
                                                                    url: str) -> None:
    assert f"{field}: not an http(s) URL (" in _error({"prompt": "p", field: url})


def test_the_request_and_the_fetcher_read_urls_by_one_rule() -> None:
    from ltx2sdk.errors import FetchError
    from ltx2sdk.media.safe_fetch import parse_url

    for url in ("notaurl", "file:///etc/passwd", "http://[::1%eth0]/a.png"):
        with pytest.raises(FetchError):
            parse_url(url)
        assert "image_url: not an http(s) URL" in _error({"prompt": "p", "image_url": url})
    # a private address is decided at fetch time, after the DNS look-up: not here
    for url in ("http://127.0.0.1:8000/a.png", "https://example.com/a.png?x=1"):
        assert GenerationRequest(prompt="p", image_url=url).image_url == url


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("width", 5, "width: at least 128 px, not 5"),
    ("camera_strength", 50, "camera_strength: at most 2, not 50"),
    ("image_url", "notaurl", "image_url: not an http(s) URL"),
    ("type", "i2v", "type 'i2v' needs an image"),
    ("mode", "turbo", "mode: 'turbo' is not one of fast, pro"),
])
def test_an_assignment_is_checked_by_the_same_rules(field: str, value: Any,
                                                    expected: str) -> None:
    request = GenerationRequest(prompt="p", duration=5)
    before = request.model_dump()
    with pytest.raises(RequestError) as err:
        setattr(request, field, value)
    assert expected in str(err.value)
    assert request.model_dump() == before  # a refused assignment changes nothing
    assert request.model_fields_set == {"prompt", "duration"}


def test_an_assignment_runs_the_rules_about_several_fields() -> None:
    request = GenerationRequest(prompt="p", duration=5)
    with pytest.raises(RequestError, match="give duration or frames, not both"):
        request.frames = 121
    request = GenerationRequest(prompt="p", model="ltx-2.5")
    with pytest.raises(RequestError, match="mode"):
        request.mode = "pro"  # LTX-2.5 has no pro
    assert request.mode == "fast"
    request.image_url = "https://example.com/a.png"  # the type follows the inputs again
    assert request.type == "i2v" and "type" not in request.model_fields_set
    request.width = 640
    assert request.width == 640


def test_a_base64_field_is_shown_by_its_size() -> None:
    import base64

    data = base64.b64encode(b"\x89PNG" + b"\0" * 216_000).decode()
    request = GenerationRequest(prompt="p", image_base64=f"data:image/png;base64,{data}")
    for shown in (repr(request), str(request)):
        assert "image_base64=<211 KiB base64>" in shown and data[:100] not in shown
        assert "prompt='p'" in shown and len(shown) < 2000
    assert request.image_base64 is not None and request.image_base64.endswith(data)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"image_URL": "https://example.com/a.png"}, "did you mean 'image_url'?"),
    ({"Prompt2": "x"}, "did you mean 'prompt'?"),
    ({"models": {"CHECKPOINT": "x"}}, "models: unknown field 'CHECKPOINT'; did you mean "
                                      "'checkpoint'?"),
])
def test_a_field_in_other_case_is_suggested_first(fields: dict[str, Any],
                                                  expected: str) -> None:
    assert expected in _error({"prompt": "p", **fields})


def test_an_unrelated_field_points_at_the_schema_not_at_26_names() -> None:
    message = _error({"prompt": "p", "foo": 1})
    assert "unknown field 'foo' (ltx2 schema lists the fields" in message
    assert "negative_prompt" not in message


@pytest.mark.parametrize(("fields", "expected"), [
    ({"duration": 0.1, "fps": 24}, "duration: at least 0.334 s at 24 fps (9 frames, the "
                                   "fewest), not 0.1 s"),
    ({"duration": 0.1, "fps": 25}, "duration: at least 0.32 s at 25 fps"),
])
def test_a_duration_shorter_than_9_frames_is_refused_as_frames_are(fields: dict[str, Any],
                                                                   expected: str) -> None:
    assert expected in _error({"prompt": "p", **fields})
    assert "frames: at least 9 frames, not 5" in _error({"prompt": "p", "frames": 5})
    GenerationRequest(prompt="p", duration=0.334, fps=24)  # the minimum itself is enough


def test_a_short_duration_is_refused_at_the_pipelines_fps_too() -> None:
    from builders import check_request
    from ltx2sdk.errors import RequestFieldError

    with pytest.raises(RequestFieldError) as err:
        check_request(GenerationRequest(prompt="p", duration=0.1))
    assert (err.value.field, err.value.reason) == (
        "duration", "at least 0.334 s at 24 fps (9 frames, the fewest), not 0.1 s")


@pytest.mark.parametrize("no_type", [None, ""])
def test_assigning_no_type_lets_the_inputs_make_it_again(no_type: str | None) -> None:
    request = GenerationRequest(prompt="p", type="i2v", image_url="https://example.com/a.png")
    request.type = no_type  # type: ignore[assignment]  # as "type": null in JSON
    assert request.type == "i2v" and "type" not in request.model_fields_set
    request.image_url = None
    assert request.type == "t2v"


@pytest.mark.parametrize(("data", "message"), [
    ({"prompt": ""}, "prompt: is empty"),
    ({"prompt": "   "}, "prompt: is empty (only white space)"),
    ({"prompt": "x" * 20_001}, "prompt: at most 20000 characters, not 20001"),
    ({"prompt": "x", "negative_prompt": "x" * 20_001},
     "negative_prompt: at most 20000 characters, not 20001"),
    ({"prompt": "x", "loras": [{"name": "a" * 256}]},
     "loras.0.name: at most 255 characters, not 256"),
    ({"prompt": "x", "loras": [{"name": ""}]}, "loras.0.name: is empty"),
    ({"prompt": "x", "loras": ["a.safetensors"] * 9}, "loras: at most 8 items, not 9"),
    ({"prompt": "x", "filename_prefix": ""}, "filename_prefix: is empty"),
    ({}, "prompt: is required"),
    ({"prompt": "x", "camera_lora": "statc"},
     "camera_lora: 'statc' is not one of none, static, dolly_in, dolly_out, dolly_left, "
     "dolly_right, jib_up, jib_down; did you mean 'static'?"),
    ({"prompt": "x", "type": "i2x"},
     "type: 'i2x' is not one of t2v, i2v, flf2v, ia2v, id2v, ref2v, canny2v, depth2v; did you "
     "mean 'i2v'?"),
    ({"prompt": "x", "model": "ltx-9"},
     "model: 'ltx-9' is not one of ltx-2, ltx-2.3, ltx-2.5, ltx-2.5-api; did you mean "
     "'ltx-2'?"),
    ({"prompt": "x", "mode": "zzz"}, "mode: 'zzz' is not one of fast, pro, lora"),
    ({"prompt": "x", "mode": "z" * 100}, "mode: the text given is not one of fast, pro, lora"),
])
def test_pydantic_s_own_words_are_the_project_s(data: dict[str, Any], message: str) -> None:
    """No "String should have at least 1 character", "List should have at most 8 items after
    validation" or "Input should be 'none', 'static', ...": the project's wording."""
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate(data)
    assert str(caught.value) == f"invalid request: {message}"
