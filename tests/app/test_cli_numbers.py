"""The CLI's number flags read text by the request's one rule (tests/test_request_strict.py).

argparse's ``type=int`` and ``type=float`` are Python's ``int()`` and ``float()``: they read
``--seed ٤٢`` (Arabic-Indic digits) and ``--seed ' 42 '`` as 42, ``--duration 1_0`` as 10 and
``--duration nan``, while the same values in a JSON request are refused. A number flag takes
ASCII digits 0-9 with no spaces around them (a leading ``-``; a decimal point and an exponent
where a fraction is allowed), else one line naming the flag and the form.
"""

from __future__ import annotations

import re

import pytest

from ltx2sdk.app.cli.main import build_parser, main
from ltx2sdk.app.cli.request_flags import request_from_args

WHOLE_FLAGS = ["--width", "--height", "--frames", "--fps", "--seed"]
NUMBER_FLAGS = ["--duration", "--camera-strength", "--image-strength", "--video-start",
                "--distilled-lora-strength"]
WHOLE_FORM = "(ASCII digits 0-9, no spaces, such as 42)"
NUMBER_FORM = "(ASCII digits 0-9, no spaces, such as 5 or 0.8)"
# read by int() or float(), refused by the rule
JUNK = ["\u0664\u0662", " 42 ", "42 ", "4_2", "+42", "\uff14\uff12", "", "0x2a"]
NUMBER_JUNK = [*JUNK, "nan", "inf", "-inf", "1_0.5", "\u0661.\u0665", " 0.5", "1e999"]


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    try:  # argparse exits; an invalid request is main's exit status
        code = main(["build", "--prompt", "a fox", *argv])
    except SystemExit as exited:
        code = exited.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("flag", WHOLE_FLAGS)
@pytest.mark.parametrize("text", [*JUNK, "42.0", "1e3"])
def test_a_whole_number_flag_takes_ascii_digits_only(
        capsys: pytest.CaptureFixture[str], flag: str, text: str) -> None:
    line = refused(capsys, f"{flag}={text}")
    assert line == (f"ltx2 build: error: argument {flag}: {text!r} is not a whole number "
                    f"{WHOLE_FORM} (see ltx2 build --help)")


@pytest.mark.parametrize("flag", NUMBER_FLAGS)
@pytest.mark.parametrize("text", NUMBER_JUNK)
def test_a_number_flag_takes_ascii_digits_only(
        capsys: pytest.CaptureFixture[str], flag: str, text: str) -> None:
    line = refused(capsys, f"{flag}={text}")
    kind = "a finite number" if text == "1e999" else "a number"
    assert line == (f"ltx2 build: error: argument {flag}: {text!r} is not {kind} "
                    f"{NUMBER_FORM} (see ltx2 build --help)")


@pytest.mark.parametrize("text", ["\u0660.\u0665", " 0.5", "nan"])
def test_a_loras_strength_takes_the_same_form(capsys: pytest.CaptureFixture[str],
                                              text: str) -> None:
    line = refused(capsys, "--lora", f"squish.safetensors:{text}")
    assert line.startswith("ltx2 build: error: argument --lora: "), line
    assert f"the part after the last ':' must be a strength {NUMBER_FORM}" in line, line


@pytest.mark.parametrize(("argv", "expected"), [
    (["--seed", "42"], {"seed": 42}),
    (["--seed", "007"], {"seed": 7}),
    (["--width", "1280", "--height", "720"], {"width": 1280, "height": 720}),
    (["--duration", "2.5"], {"duration": 2.5}),
    (["--duration", "5"], {"duration": 5.0}),
    (["--duration", "1e1"], {"duration": 10.0}),
    (["--camera-strength", ".5"], {"camera_strength": 0.5}),
    (["--camera-strength", "1."], {"camera_strength": 1.0}),
])
def test_numbers_written_in_ascii_digits_are_read(argv: list[str],
                                                  expected: dict[str, object]) -> None:
    args = build_parser().parse_args(["build", "--prompt", "a fox", *argv])
    request = request_from_args(args).request
    assert {name: getattr(request, name) for name in expected} == expected


def test_a_lora_strength_in_ascii_digits_is_read() -> None:
    args = build_parser().parse_args(["build", "--prompt", "a fox", "--lora",
                                      "squish.safetensors:-0.5"])
    [lora] = request_from_args(args).request.loras
    assert (lora.name, lora.strength) == ("squish.safetensors", -0.5)


def test_a_negative_number_is_read_and_the_request_says_its_range(
        capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, "--seed", "-1")
    assert line == "ltx2: error: invalid request: --seed: at least 0, not -1"


# --- the other commands' number flags: the same rule ---------------------------------------------

@pytest.mark.parametrize(("argv", "flag", "said"), [
    (["generate", "--prompt", "a"], "--timeout", "is not a positive number of seconds"),
    (["generate", "--prompt", "a"], "--ready-timeout", "is not a positive number of seconds"),
    (["batch", "jobs.jsonl"], "--jobs", "is not a whole number of 1 or more"),
    (["batch", "jobs.jsonl"], "--retries", "is not a whole number of 0 or more"),
])
@pytest.mark.parametrize("text", ["\u0665", " 5", "5 ", "5_0", "\uff15"])
def test_every_number_flag_takes_ascii_digits_only(
        capsys: pytest.CaptureFixture[str], argv: list[str], flag: str, said: str,
        text: str) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*argv, f"{flag}={text}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(f"argument {flag}(/-j)?: ", err[0]), err
    assert f": {text!r} {said}" in err[0], err


@pytest.mark.parametrize(("argv", "name", "value"), [
    (["generate", "--prompt", "a", "--timeout", "90.5"], "timeout", 90.5),
    (["generate", "--prompt", "a", "--ready-timeout", "5"], "ready_timeout", 5.0),
    (["batch", "jobs.jsonl", "--jobs", "2"], "concurrency", 2),
    (["batch", "jobs.jsonl", "--retries", "0"], "retries", 0),
])
def test_other_number_flags_in_ascii_digits_are_read(argv: list[str], name: str,
                                                     value: float) -> None:
    assert getattr(build_parser().parse_args(argv), name) == value
