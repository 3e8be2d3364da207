"""The base of the typed node constructors: adds a node the way the target server declares it.

:class:`ltx2sdk.graph.nodes.Nodes` (generated from :mod:`ltx2sdk.graph.node_defs`) calls
:meth:`NodeFactory._add` with the inputs as the SDK declares them. When the graph's schemas
come from a server (its ``/object_info``), the inputs are first written the way *that* server
declares the node (:func:`ltx2sdk.graph.compat.adapt_inputs`): an input it lacks is left out when
the pipeline only sets it to its neutral value, and a dynamic-combo input moves to the server's key.
"""

from __future__ import annotations

from typing import Any

from ltx2sdk.errors import IncompatibleServerError
from ltx2sdk.graph.compat import adapt_inputs
from ltx2sdk.graph.core import Graph, Node
from ltx2sdk.graph.releases import first_release_with


class NodeFactory:
    """Typed node constructors bound to one :class:`Graph`. ``title`` sets ``_meta.title``."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

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

    def _missing_message(self, class_type: str, feature: str) -> str:
        label = getattr(self.graph.schemas, "server_label", "this server")
        since = first_release_with(class_type)
        needed = (f", ComfyUI >= {since} (the oldest tested release that has it)" if since
                  else " (a node no tested ComfyUI release has: a custom node?)")
        return (f"{feature} needs the node {class_type}{needed}; {label} does not have it: "
                "update ComfyUI")
