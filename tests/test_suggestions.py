"""A "did you mean" names only a choice that is close to what was typed: ``mode: 'ultra'``
suggested ``'lora'`` (alike by difflib's ratio, two edits from a four-letter word), which
reads as the tool's mistake. A word that is no near miss gets the choices listed instead,
and the good suggestions stay (``fsat`` is ``fast``, ``--promt`` is ``--prompt``)."""

from __future__ import annotations

import pytest

from ltx2sdk import GenerationRequest
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import RequestError
from ltx2sdk.wording import nearest

MODES = ["fast", "pro", "lora"]


@pytest.mark.parametrize(("word", "choices", "meant"), [
    ("fsat", MODES, "fast"),  # two letters swapped
    ("prp", MODES, "pro"),
    ("promt", ["prompt", "seed"], "prompt"),
    ("statc", ["none", "static", "dolly_in"], "static"),
    ("image-strenght", ["image-strength", "image"], "image-strength"),
    ("i2x", ["t2v", "i2v", "flf2v"], "i2v"),
    ("image_URL", ["image", "image_url"], "image_url"),  # case aside, before a nearer spelling
    ("chekpoint", ["checkpoint", "upscaler"], "checkpoint"),
    ("generat", ["generate", "build", "batch"], "generate"),
])
def test_a_near_miss_gets_its_choice(word: str, choices: list[str], meant: str) -> None:
    assert nearest(word, choices) == meant


@pytest.mark.parametrize(("word", "choices"), [
    ("ultra", MODES),  # difflib alone says 'lora' (ratio 0.67)
    ("zzz", MODES),
    ("turbo", MODES),
    ("medium", MODES),
    ("dur", ["duration", "seed"]),  # a start is no typo (and is never taken as the flag)
])
def test_a_word_that_is_no_near_miss_gets_none(word: str, choices: list[str]) -> None:
    assert nearest(word, choices) is None


def test_the_request_lists_the_modes_for_ultra() -> None:
    with pytest.raises(RequestError) as caught:
        GenerationRequest(prompt="x", mode="ultra")
    said = str(caught.value)
    assert said.endswith("mode: 'ultra' is not one of fast, pro, lora"), said
    assert "did you mean" not in said


def test_the_request_still_suggests_fast_for_fsat() -> None:
    with pytest.raises(RequestError, match=r"not one of fast, pro, lora; did you mean 'fast'\?"):
        GenerationRequest(prompt="x", mode="fsat")


@pytest.mark.parametrize(("value", "hint"), [("ultra", ""), ("fsat", "; did you mean fast?")])
def test_the_cli_suggests_only_a_near_choice(value: str, hint: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--prompt", "p", "--mode", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    # (argparse quotes the choices or not, by Python version: the end is the project's)
    assert "invalid choice" in err and "lora" in err, err
    assert err.endswith(f"){hint} (see ltx2 generate --help)"), err


@pytest.mark.parametrize(("given", "hint"), [
    ("hight", " (did you mean 'height'?)"),
    ("colour", " (did you mean 'color'?)"),
    ("wild", ""),  # difflib alone said 'width' (three edits away)
])
def test_a_node_s_unknown_input_gets_only_a_near_name(given: str, hint: str) -> None:
    from ltx2sdk import Graph, Nodes
    from ltx2sdk.errors import UnknownInputError

    with pytest.raises(UnknownInputError) as raised:
        Nodes(Graph()).EmptyImage(64, 64, **{given: 1})  # type: ignore[arg-type]
    assert str(raised.value) == (f"EmptyImage has no input '{given}'{hint}; its inputs are: "
                                 "width, height, batch_size, color")
