"""A boolean is not a number: ``"seed": true`` or ``width=True`` is refused, not read as 1.

Python counts ``True`` as the integer 1 and pydantic's lax mode accepts it for numbers; a
request field that is a number refuses it, in Python and in JSON (the worker, batch jobs),
with one line naming the field. What numbers are accepted otherwise is unchanged: an integer
for a float field, a float without a fraction for an integer field, a numeric string.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ltx2sdk import GenerationRequest
from ltx2sdk.errors import RequestError
from ltx2sdk.request import ModelSet

NUMBERS = ["width", "height", "duration", "frames", "fps", "seed", "camera_strength",
           "image_strength"]


@pytest.mark.parametrize("field", NUMBERS)
@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_refused_for_a_number_in_python_and_json(field: str, value: bool) -> None:
    kind = "a whole number" if field in ("width", "height", "frames", "fps", "seed") \
        else "a number"
    said = f"invalid request: {field}: must be {kind}, not {json.dumps(value)}"
    with pytest.raises(RequestError) as made:
        GenerationRequest(prompt="a fox", **{field: value})
    assert str(made.value) == said
    with pytest.raises(RequestError) as parsed:
        GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox", field: value}))
    assert str(parsed.value) == said
    assert [e["loc"] for e in parsed.value.errors()] == [(field,)]


def test_a_boolean_is_refused_when_assigned_and_the_request_is_unchanged() -> None:
    request = GenerationRequest(prompt="a fox", seed=3)
    with pytest.raises(RequestError, match=r"^invalid request: seed: must be a whole number, "
                                           r"not true$"):
        request.seed = True  # type: ignore[assignment]
    assert request.seed == 3


def test_the_models_strength_refuses_a_boolean_too() -> None:
    with pytest.raises(RequestError, match="distilled_lora_strength: must be a number, not "
                                           "true"):
        ModelSet(distilled_lora_strength=True)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"duration": 5}, {"duration": 5.0}),            # a JSON integer for a float
    ({"seed": 7.0, "fps": 24.0}, {"seed": 7, "fps": 24}),
    ({"duration": "5", "seed": "7"}, {"duration": 5.0, "seed": 7}),  # as accepted before
    ({"camera_strength": 0, "image_strength": 1}, {"camera_strength": 0.0,
                                                   "image_strength": 1.0}),
])
def test_numbers_are_accepted_as_before(fields: dict[str, Any],
                                        expected: dict[str, Any]) -> None:
    request = GenerationRequest.model_validate({"prompt": "a fox", **fields})
    assert {name: getattr(request, name) for name in expected} == expected
    assert not any(isinstance(getattr(request, name), bool) for name in expected)
