"""A typed node constructor called with an input it does not have, or without one it needs,
raises the graph's own errors (``LTX2Error``), not Python's bare ``TypeError``; an unknown
input name gets the nearest one."""

from __future__ import annotations

import inspect

import pytest

from ltx2sdk import Graph, Nodes
from ltx2sdk.errors import GraphError, LTX2Error, MissingInputError, UnknownInputError


def test_an_unknown_input_is_an_unknown_input_error_with_the_nearest_name() -> None:
    n = Nodes(Graph())
    with pytest.raises(UnknownInputError) as raised:
        n.EmptyImage(64, 64, batch_sise=2)  # type: ignore[call-arg]
    assert str(raised.value) == ("EmptyImage has no input 'batch_sise' (did you mean "
                                 "'batch_size'?); its inputs are: width, height, batch_size, "
                                 "color")
    assert isinstance(raised.value, LTX2Error) and raised.value.input_name == "batch_sise"


def test_a_name_near_nothing_lists_the_inputs() -> None:
    with pytest.raises(UnknownInputError, match=r"^EmptyImage has no input 'bogus'; its "
                                                r"inputs are: width, height, batch_size"):
        Nodes(Graph()).EmptyImage(64, 64, bogus=1)  # type: ignore[call-arg]


def test_a_missing_input_and_too_many_are_graph_errors() -> None:
    n = Nodes(Graph())
    with pytest.raises(MissingInputError, match=r"^EmptyImage needs the input 'height'"):
        n.EmptyImage(64)  # type: ignore[call-arg]
    with pytest.raises(GraphError, match=r"^EmptyImage takes at most 4 inputs by position "
                                         r"\(width, height, batch_size, color\), not 5"):
        n.EmptyImage(64, 64, 1, 0, 5)  # type: ignore[call-arg]


def test_a_type_error_from_inside_the_node_is_not_renamed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("inside")

    n = Nodes(Graph())
    monkeypatch.setattr(n, "_add", broken)
    with pytest.raises(TypeError, match=r"^inside$"):
        n.EmptyImage(64, 64)


def test_the_constructors_keep_their_signatures_and_docs() -> None:
    assert list(inspect.signature(Nodes.EmptyImage).parameters) == [
        "self", "width", "height", "batch_size", "color", "title"]
    assert Nodes.EmptyImage.__doc__ and Nodes.EmptyImage.__name__ == "EmptyImage"
    assert Nodes(Graph()).EmptyImage(64, 64, color=3).node.inputs["color"] == 3


def test_an_input_given_by_position_and_by_name_is_named() -> None:
    # Python would say "got multiple values for argument 'width'"; the graph's error says it
    with pytest.raises(GraphError) as raised:
        Nodes(Graph()).EmptyImage(64, 64, width=64)  # type: ignore[misc]
    assert str(raised.value) == ("EmptyImage got two values for the input 'width' (by position "
                                 "and by name); give it once")
    assert isinstance(raised.value, LTX2Error)
    with pytest.raises(GraphError, match=r"^EmptyImage got two values for the input 'height' "
                                         r"\(by position and by name\); give it once$"):
        Nodes(Graph()).EmptyImage(64, 64, height=2, batch_size=1)  # type: ignore[misc]
