"""The base of the typed node constructors: adds a node the way the target server declares it.

:class:`ltx2sdk.graph.nodes.Nodes` (generated from :mod:`ltx2sdk.graph.node_defs`) calls
:meth:`NodeFactory._add` with the inputs as the SDK declares them. When the graph's schemas
come from a server (its ``/object_info``), the inputs are first written the way *that* server
declares the node (:func:`ltx2sdk.graph.compat.adapt_inputs`): an input it lacks is left out when
the pipeline only sets it to its neutral value, and a dynamic-combo input moves to the server's key.

A constructor called wrongly raises the graph's errors, not Python's bare ``TypeError``: an
input name the node does not have is an :class:`~ltx2sdk.errors.UnknownInputError` naming the
nearest one, a required input left out a :class:`~ltx2sdk.errors.MissingInputError`, too many
inputs by position, or one given both by position and by name, a
:class:`~ltx2sdk.errors.GraphError` naming it. (Each public method of a subclass
is wrapped when the class is made; the call's arguments are looked at only when it fails.)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ltx2sdk.errors import (
    GraphError,
    IncompatibleServerError,
    MissingInputError,
    UnknownInputError,
)
from ltx2sdk.graph.compat import adapt_inputs
from ltx2sdk.graph.core import Graph, Node
from ltx2sdk.graph.releases import first_release_with
from ltx2sdk.wording import nearest


class NodeFactory:
    """Typed node constructors bound to one :class:`Graph`. ``title`` sets ``_meta.title``."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(method) \
                    and not hasattr(NodeFactory, name):
                setattr(cls, name, _called_rightly(method))

    def has(self, class_type: str) -> bool:
        """Whether the graph's target server has the node type ``class_type``."""
        return class_type in self.graph.schemas

    def require(self, class_type: str, feature: str) -> None:
        """Raise :class:`IncompatibleServerError` naming ``feature`` when the target server
        lacks ``class_type`` (and which ComfyUI release brought it)."""
        if not self.has(class_type):
            raise IncompatibleServerError(self._missing_message(class_type, feature))

    def _add(self, class_type: str, title: str | None, inputs: dict[str, Any]) -> Node:
        """Add ``class_type`` with ``inputs`` (``None`` values mean "not given")."""
        if getattr(self.graph.schemas, "from_server", False):
            self.require(class_type, "this graph")
        given = {name: value for name, value in inputs.items() if value is not None}
        return self.graph.add(class_type, adapt_inputs(self.graph.schemas, class_type, given),
                              title=title)

    @staticmethod
    def _float(value: Any) -> Any:
        """``value`` as a FLOAT input sends it: an ``int`` (not a ``bool``) as a ``float``;
        anything else unchanged, for the graph to check (a link, ``None`` for "not given", or
        a wrong value it refuses with an :class:`~ltx2sdk.errors.InputValueError`)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    def _missing_message(self, class_type: str, feature: str) -> str:
        label = getattr(self.graph.schemas, "server_label", "this server")
        since = first_release_with(class_type)
        needed = (f", ComfyUI >= {since} (the oldest tested release that has it)" if since
                  else " (a node no tested ComfyUI release has: a custom node?)")
        return (f"{feature} needs the node {class_type}{needed}; {label} does not have it: "
                "update ComfyUI")


def _called_rightly(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` (a node constructor), raising :func:`_call_error` when it is called with
    arguments its signature does not take; any other ``TypeError`` goes on as it is."""

    @functools.wraps(method)
    def constructor(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except TypeError as exc:
            problem = _call_error(method, args, kwargs)
            if problem is None:  # the call was right: the error came from inside
                raise
            raise problem from exc

    return constructor


def _call_error(method: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> GraphError | None:
    """What is wrong with calling ``method`` with ``args`` and ``kwargs`` (``args[0]`` is
    the factory), as a graph error; ``None`` when the signature takes them."""
    signature = inspect.signature(method)
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        pass
    else:
        return None
    node = method.__name__
    params = list(signature.parameters.values())[1:]  # not self
    names = [p.name for p in params]
    inputs = [name for name in names if name != "title"]  # title is the node's, not an input
    for given in kwargs:
        if given not in names:
            near = nearest(given, names)  # only a near miss (see wording.nearest)
            hint = f" (did you mean '{near}'?)" if near else ""
            return UnknownInputError(f"{node} has no input '{given}'{hint}; its inputs are: "
                                     f"{', '.join(inputs)}", input_name=given)
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    for name in positional[:len(args) - 1]:
        if name in kwargs:  # Python's "got multiple values for argument 'width'"
            return GraphError(f"{node} got two values for the input '{name}' (by position and "
                              "by name); give it once")
    if len(args) - 1 > len(positional):
        return GraphError(f"{node} takes at most {len(positional)} inputs by position "
                          f"({', '.join(positional)}), not {len(args) - 1}; give the others "
                          "by name")
    given_names = set(positional[:len(args) - 1]) | set(kwargs)
    for param in params:
        if param.default is param.empty and param.name not in given_names:
            return MissingInputError(f"{node} needs the input '{param.name}'",
                                     input_name=param.name)
    return GraphError(f"{node} cannot take these arguments ({', '.join(names)})")
