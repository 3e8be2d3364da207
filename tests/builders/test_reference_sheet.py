"""LTX-2.3's reference sheet (``ltx-2.3 ref2v fast``, Comfy-Org's
``template_ltx2_3_ic_lora_ingredients``): the request's image is the sheet (not a first frame):
a request without one is refused in one line, an ``image_strength`` given to it is noted as not
used, and ``generate()`` uploads it and runs it as the other image types' are."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from builders.plan import make_plan
from ltx2sdk.errors import RequestError
from ltx2sdk.request import GenerationRequest


def test_a_reference_sheet_request_without_its_image_is_one_line() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest(prompt="p", model="ltx-2.3", type="ref2v")
    assert str(caught.value) == ("invalid request: type 'ref2v' needs an image: give one of "
                                 "image_url, image_base64 or image")


def test_generate_uploads_the_sheet_and_runs_it_on_the_stand_in(tmp_path: Path) -> None:
    import base64

    from ltx2sdk.app.generate import generate
    from tests.helpers import catalog_server, png_bytes

    sheet = png_bytes(64, 36)
    job = {"prompt": "the anchor speaks", "model": "ltx-2.3", "type": "ref2v", "seed": 2,
           "frames": 25, "image_base64": base64.b64encode(sheet).decode()}
    with catalog_server(tmp_path) as srv:
        result = generate(job, srv.url, output_dir=tmp_path)
        [upload] = srv.received.uploads
        [posted] = srv.received.prompts
    assert upload.sha256 == hashlib.sha256(sheet).hexdigest()
    [load] = [n for n in posted["prompt"].values() if n["class_type"] == "LoadImage"]
    assert load["inputs"]["image"] == upload.name
    assert (result.type, result.frames) == ("ref2v", 25)
    assert result.video.read_bytes()[4:8] == b"ftyp"


def test_image_strength_is_not_used_by_a_reference_sheet_and_a_note_says_why() -> None:
    plan = make_plan(GenerationRequest(prompt="p", model="ltx-2.3", type="ref2v",
                                       image="sheet.png", image_strength=0.5, seed=1))
    assert ("image_strength is not used by ltx-2.3 ref2v fast (its image is a reference "
            "sheet, not a first frame)") in plan.adjustments
