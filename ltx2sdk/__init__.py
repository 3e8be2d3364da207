"""ltx2sdk: LTX-2 video workflows for ComfyUI, composed in Python.

The graph core (:class:`Graph`, typed :class:`Nodes`), the node schemas and the
request model load eagerly and are cheap; the HTTP client and :func:`generate`
load on first use, so building graphs never pays for ``requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    ComfyError,
    GraphError,
    InputValueError,
    LinkTypeError,
    LTX2Error,
    MissingInputError,
    UnknownInputError,
    UnknownNodeTypeError,
)
from .graph import Graph, Node
from .handles import Output
from .node_defs import LTX2_SCHEMAS
from .nodes import Nodes
from .request import GenerationRequest, ModelSet
from .schema import NodeSchema, SchemaSet

if TYPE_CHECKING:
    from .client import ComfyClient
    from .generation import GenerationResult, generate

__version__ = "0.1.0"

_LAZY = {
    "ComfyClient": ("ltx2sdk.client", "ComfyClient"),
    "generate": ("ltx2sdk.generation", "generate"),
    "GenerationResult": ("ltx2sdk.generation", "GenerationResult"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'ltx2sdk' has no attribute {name!r}")


__all__ = [
    "LTX2_SCHEMAS",
    "ComfyClient",
    "ComfyError",
    "GenerationRequest",
    "GenerationResult",
    "Graph",
    "GraphError",
    "InputValueError",
    "LTX2Error",
    "LinkTypeError",
    "MissingInputError",
    "ModelSet",
    "Node",
    "NodeSchema",
    "Nodes",
    "Output",
    "SchemaSet",
    "UnknownInputError",
    "UnknownNodeTypeError",
    "generate",
]
