"""LTX-2.3's voice identity (``ltx-2.3 id2v fast``, Comfy-Org's ``video_ltx2_3_id_lora``): the
request's audio fields carry the recording of the voice to keep; a request without one is
refused in one line naming the fields; the recording does not set the video's length (the
prompt's speech does), unlike ia2v's soundtrack; and a server older than the node's release is
told which release has it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from builders import build
from builders.plan import make_plan
from ltx2sdk.errors import IncompatibleServerError, RequestError
from ltx2sdk.graph.releases import bundled_schemas
from ltx2sdk.request import GenerationRequest


def _request(**fields: object) -> GenerationRequest:
    return GenerationRequest.model_validate(
        {"prompt": "[SPEECH]: hello", "model": "ltx-2.3", "type": "id2v", "seed": 1,
         "image": "me.png", **fields})


def test_a_voice_request_without_a_recording_is_one_line_naming_the_fields() -> None:
    with pytest.raises(RequestError) as caught:
        _request()
    text = str(caught.value)
    assert "\n" not in text
    assert text == ("invalid request: type 'id2v' needs an audio file of the voice to keep: "
                    "give one of audio_url, audio_base64 or audio")


def test_the_recording_and_the_image_are_loaded_by_name() -> None:
    api = build(_request(audio="my_voice.wav")).graph.compile()
    [voice] = [n for n in api.values() if n["class_type"] == "LoadAudio"]
    assert voice["inputs"]["audio"] == "my_voice.wav"
    [reference] = [n for n in api.values() if n["class_type"] == "LTXVReferenceAudio"]
    assert api[reference["inputs"]["reference_audio"][0]] is voice


@pytest.mark.parametrize("seconds", [2.0, 30.0])
def test_the_recording_does_not_set_the_length(seconds: float) -> None:
    # ia2v is as long as its soundtrack; a voice to speak with says nothing of the length
    voice = make_plan(_request(audio="v.wav"), audio_seconds=seconds)
    plain = make_plan(_request(audio="v.wav"))
    assert voice.frames == plain.frames
    soundtrack = make_plan(GenerationRequest(prompt="p", model="ltx-2.3", type="ia2v",
                                             image="a.png", audio="v.wav", seed=1),
                           audio_seconds=2.0)
    assert soundtrack.frames == 49  # (the rule it does not follow: 2 s at 24 fps)


def test_audio_without_a_type_still_makes_ia2v() -> None:
    # two types take an audio file now; given without a type it is ia2v, as before
    request = GenerationRequest(prompt="p", model="ltx-2.3", image="a.png", audio="v.wav")
    assert request.type == "ia2v"


def test_an_older_server_is_told_the_release_with_the_node() -> None:
    with pytest.raises(IncompatibleServerError, match=r"needs ComfyUI >= 0\.19\.0"):
        build(_request(audio="v.wav"), schemas=bundled_schemas("0.16.4"))
    build(_request(audio="v.wav"), schemas=bundled_schemas("0.22.0"))


# --- through generate(), on the stand-in ---------------------------------------------------------


def test_generate_uploads_the_recording_and_runs_it_on_a_server_that_has_the_node(
        tmp_path: Path) -> None:
    import base64

    from ltx2sdk.app.generate import generate
    from tests.helpers import catalog_server, png_bytes, wav_bytes

    voice = wav_bytes(2.5)
    job = {"prompt": "[SPEECH]: hello", "model": "ltx-2.3", "type": "id2v", "seed": 6,
           "duration": 1, "image_base64": base64.b64encode(png_bytes()).decode(),
           "audio_base64": base64.b64encode(voice).decode()}
    with catalog_server(tmp_path) as srv:
        result = generate(job, srv.url, output_dir=tmp_path)
        _image, audio = srv.received.uploads
        [posted] = srv.received.prompts
    assert audio.sha256 == hashlib.sha256(voice).hexdigest()
    [reference] = [n for n in posted["prompt"].values() if n["class_type"] == "LTXVReferenceAudio"]
    assert posted["prompt"][reference["inputs"]["reference_audio"][0]]["inputs"]["audio"] == (
        audio.name)
    # 1 s as asked (25 frames at 25 fps), not the recording's 2.5 s
    assert (result.type, result.frames, result.fps) == ("id2v", 25, 25)
    assert result.video.read_bytes()[4:8] == b"ftyp"
