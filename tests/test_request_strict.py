"""One rule for numbers and booleans, in Python, JSON (the worker, batch jobs) and text.

A number field takes a number: ``"seed": true`` or ``width=True`` is refused, not read as 1
(Python counts ``True`` as the integer 1 and pydantic's lax mode accepts it), and so is a
string, ``"duration": "5"`` (pydantic's lax mode reads it, and ``"٤٢"`` would be refused
while ``"42"`` is not: there is no string the JSON Schema's ``integer`` allows). A boolean
field takes ``true``/``false`` only: ``1`` or ``"yes"`` is refused, not read as true. Each is
one line naming the field. An integer for a float field and a float without a fraction for an
integer field are numbers, and accepted.

Text is read only where everything is text (``model_validate_strings``; the CLI's flags,
tests/app/test_cli_numbers.py): ASCII digits with no spaces around them, ``true``/``false``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ltx2sdk import GenerationRequest
from ltx2sdk.errors import RequestError
from ltx2sdk.request import LoraChoice, ModelSet

NUMBERS = ["width", "height", "duration", "frames", "fps", "seed", "camera_strength",
           "image_strength", "video_start"]
WHOLE = ("width", "height", "frames", "fps", "seed")


@pytest.mark.parametrize("field", NUMBERS)
@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_refused_for_a_number_in_python_and_json(field: str, value: bool) -> None:
    kind = "a whole number" if field in WHOLE else "a number"
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
    ({"camera_strength": 0, "image_strength": 1}, {"camera_strength": 0.0,
                                                   "image_strength": 1.0}),
    ({"enhance_prompt": True}, {"enhance_prompt": True}),
    ({"enhance_prompt": False}, {"enhance_prompt": False}),
])
def test_numbers_and_booleans_are_accepted(fields: dict[str, Any],
                                           expected: dict[str, Any]) -> None:
    for request in (GenerationRequest.model_validate({"prompt": "a fox", **fields}),
                    GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox",
                                                                      **fields}))):
        assert {name: getattr(request, name) for name in expected} == expected
        assert all(isinstance(getattr(request, name), bool) == isinstance(value, bool)
                   for name, value in expected.items())


# a string is no number, whatever it holds: ASCII digits, other scripts' digits, spaces
STRINGS = ["5", "42", "\u0664\u0662", " 42 ", "4_2", "nan", ""]


@pytest.mark.parametrize("field", NUMBERS)
@pytest.mark.parametrize("value", STRINGS)
def test_a_string_is_refused_for_a_number_in_python_and_json(field: str, value: str) -> None:
    kind = "a whole number" if field in WHOLE else "a number"
    said = f"invalid request: {field}: must be {kind}, not a string"
    with pytest.raises(RequestError) as made:
        GenerationRequest(prompt="a fox", **{field: value})
    assert str(made.value) == said
    with pytest.raises(RequestError) as parsed:
        GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox", field: value}))
    assert str(parsed.value) == said
    assert [e["loc"] for e in parsed.value.errors()] == [(field,)]


def test_the_strengths_inside_objects_refuse_strings_and_booleans_too() -> None:
    with pytest.raises(RequestError, match=r"^invalid request: distilled_lora_strength: must "
                                           r"be a number, not a string$"):
        ModelSet.model_validate_json('{"distilled_lora_strength": "0.5"}')
    for value, given in (("0.8", "a string"), (True, "true")):
        with pytest.raises(RequestError) as caught:
            GenerationRequest.model_validate(
                {"prompt": "a fox", "loras": [{"name": "a.safetensors", "strength": value}]})
        assert str(caught.value) == (f"invalid request: loras.0.strength: must be a number, "
                                     f"not {given}")
    with pytest.raises(RequestError, match="strength: must be a number, not a string"):
        LoraChoice(name="a.safetensors", strength="1")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "given"), [
    (1, "1"), (0, "0"), (1.0, "1.0"), ("yes", "a string"), ("true", "a string"),
    ("1", "a string"), (None, "null (leave it out for the default)"), ([], "a list"),
    ({}, "an object")])
def test_a_boolean_field_takes_true_or_false_only(value: Any, given: str) -> None:
    said = f"invalid request: enhance_prompt: must be true or false, not {given}"
    with pytest.raises(RequestError) as made:
        GenerationRequest(prompt="a fox", enhance_prompt=value)
    assert str(made.value) == said
    with pytest.raises(RequestError) as parsed:
        GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox",
                                                          "enhance_prompt": value}))
    assert str(parsed.value) == said
    [error] = parsed.value.errors()
    assert error["loc"] == ("enhance_prompt",) and error["type"] == "bool_type"
    request = GenerationRequest(prompt="a fox")
    with pytest.raises(RequestError, match="enhance_prompt: must be true or false"):
        request.enhance_prompt = value
    assert request.enhance_prompt is False


# --- text: where every value is a string ---------------------------------------------------------

def test_text_is_read_by_the_ascii_rule_where_everything_is_text() -> None:
    request = GenerationRequest.model_validate_strings(
        {"prompt": "a fox", "seed": "42", "duration": "2.5", "camera_strength": "0.5",
         "enhance_prompt": "true", "video_start": "0"})
    assert (request.seed, request.duration, request.camera_strength,
            request.enhance_prompt) == (42, 2.5, 0.5, True)


SEED_FORM = "seed: must be a whole number (ASCII digits 0-9, no spaces, such as 42)"


@pytest.mark.parametrize(("field", "text", "said"), [
    ("seed", "\u0664\u0662", SEED_FORM), ("seed", " 42 ", SEED_FORM), ("seed", "4_2", SEED_FORM),
    ("seed", "42.0", SEED_FORM), ("seed", "+42", SEED_FORM),
    ("duration", "nan", "duration: must be a number (ASCII digits 0-9, no spaces, such as 5 "
                        "or 0.8)"),
    ("duration", "\u0665", "duration: must be a number (ASCII digits 0-9, no spaces, such as 5 "
                           "or 0.8)"),
    ("enhance_prompt", "yes", "enhance_prompt: must be true or false"),
    ("enhance_prompt", "1", "enhance_prompt: must be true or false"),
])
def test_text_in_other_forms_is_refused(field: str, text: str, said: str) -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate_strings({"prompt": "a fox", field: text})
    assert str(caught.value) == f"invalid request: {said}"


def test_a_field_to_come_follows_the_rule_and_may_be_absent_where_it_is_optional() -> None:
    class Later(GenerationRequest):  # as a field added later: no validator of its own
        draft: bool | None = None
        steps: int | None = None

    assert Later(prompt="a fox", draft=None, steps=None).draft is None
    assert Later.model_validate_json('{"prompt": "a fox", "draft": null}').draft is None
    with pytest.raises(RequestError, match=r"^invalid request: draft: must be true or false, "
                                           r"not 1$"):
        Later(prompt="a fox", draft=1)
    with pytest.raises(RequestError, match=r"^invalid request: steps: must be a whole number, "
                                           r"not a string$"):
        Later.model_validate_json('{"prompt": "a fox", "steps": "8"}')


# --- numbers that are no value of the field: a fraction, infinity, nan ----------------------------

@pytest.mark.parametrize("field", WHOLE)
@pytest.mark.parametrize(("value", "given"), [(1.5, "1.5"), (-0.5, "-0.5"), (130.25, "130.25")])
def test_a_fraction_is_refused_for_a_whole_number_in_the_rule_s_words(
        field: str, value: float, given: str) -> None:
    said = f"invalid request: {field}: must be a whole number, not {given}"
    with pytest.raises(RequestError) as made:
        GenerationRequest(prompt="a fox", **{field: value})
    assert str(made.value) == said
    with pytest.raises(RequestError) as parsed:
        GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox", field: value}))
    assert str(parsed.value) == said
    [error] = parsed.value.errors()
    assert error["loc"] == (field,) and error["type"] == "int_from_float"
    request = GenerationRequest(prompt="a fox", seed=3)
    with pytest.raises(RequestError, match=r"^invalid request: seed: must be a whole number, "
                                           r"not 1\.5$"):
        request.seed = 1.5  # type: ignore[assignment]
    assert request.seed == 3


@pytest.mark.parametrize(("field", "kind"), [
    ("seed", "a whole number"), ("width", "a whole number"), ("duration", "a finite number"),
    ("camera_strength", "a finite number")])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_infinity_and_nan_are_refused_in_the_rule_s_words(field: str, kind: str,
                                                           value: float) -> None:
    said = f"invalid request: {field}: must be {kind}, not {value!r}"
    with pytest.raises(RequestError) as made:
        GenerationRequest(prompt="a fox", **{field: value})
    assert str(made.value) == said
    with pytest.raises(RequestError) as parsed:  # Python's json writes and reads them
        GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox", field: value}))
    assert str(parsed.value) == said


def test_a_whole_seed_written_as_a_large_float_meets_the_bound_not_a_parse_error() -> None:
    with pytest.raises(RequestError, match=r"^invalid request: seed: at most "
                                           r"18446744073709551615, not 1000000000000000019884"):
        GenerationRequest(prompt="a fox", seed=1e30)
    assert GenerationRequest(prompt="a fox", seed=1e3).seed == 1000


def test_the_lora_strength_and_the_models_strength_refuse_infinity_alike() -> None:
    with pytest.raises(RequestError, match=r"^invalid request: loras\.0\.strength: must be a "
                                           r"finite number, not inf$"):
        GenerationRequest(prompt="a fox", loras=[{"name": "a.safetensors",
                                                  "strength": float("inf")}])
    with pytest.raises(RequestError, match=r"^invalid request: distilled_lora_strength: must be "
                                           r"a finite number, not nan$"):
        ModelSet(distilled_lora_strength=float("nan"))


# --- a value of the wrong kind: the field's kind in JSON's words, one line ----------------------

LORA_ITEM = 'a file name or an object ({"name": ..., "strength": ...})'


@pytest.mark.parametrize(("loras", "said"), [
    ([None], f"loras.0: must be {LORA_ITEM}, not null"),
    (["a.safetensors", 5], f"loras.1: must be {LORA_ITEM}, not 5"),
    ([[]], f"loras.0: must be {LORA_ITEM}, not a list"),
    ([True], f"loras.0: must be {LORA_ITEM}, not true"),
    (5, "loras: must be a list, not 5"),
    ("a.safetensors", "loras: must be a list, not a string"),
    ({"name": "a.safetensors"}, "loras: must be a list, not an object"),
    ([{"name": 5}], "loras.0.name: must be text, not 5"),
])
def test_a_lora_of_the_wrong_kind_is_one_line_naming_its_place(loras: Any, said: str) -> None:
    with pytest.raises(RequestError) as made:
        GenerationRequest(prompt="a fox", loras=loras)
    assert str(made.value) == f"invalid request: {said}"
    with pytest.raises(RequestError) as parsed:
        GenerationRequest.model_validate_json(json.dumps({"prompt": "a fox", "loras": loras}))
    assert str(parsed.value) == f"invalid request: {said}"
    assert len(parsed.value.errors()) == 1


@pytest.mark.parametrize(("fields", "said"), [
    ({"prompt": 5}, "prompt: must be text, not 5"),
    ({"prompt": "a fox", "image_url": ["x"]}, "image_url: must be text, not a list"),
    ({"prompt": "a fox", "models": 5}, "models: must be an object, not 5"),
    ({"prompt": "a fox", "models": []}, "models: must be an object, not a list"),
    ({"prompt": "a fox", "models": {"checkpoint": 1}}, "models.checkpoint: must be text, not 1"),
])
def test_other_fields_of_the_wrong_kind_are_said_alike(fields: dict[str, Any], said: str) -> None:
    with pytest.raises(RequestError) as parsed:
        GenerationRequest.model_validate_json(json.dumps(fields))
    assert str(parsed.value) == f"invalid request: {said}"
