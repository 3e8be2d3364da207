"""ltx2sdk: LTX-2 video workflows for ComfyUI, composed in Python.

This module is the facade: the names people use, from every layer (see the README's
"Layout": ``app`` > ``builders`` > ``backends`` | ``interop`` > ``graph`` | ``media`` >
``request`` > the foundation). Nothing inside the SDK imports it.

The graph core (:class:`Graph`, typed :class:`Nodes`) and the node schemas load
eagerly and are cheap. The request model (:class:`GenerationRequest`,
:class:`ModelSet`, built with pydantic), the HTTP client, :func:`connect` (a server's
backend: native ComfyUI or the Comfy API v2), :func:`generate` and the batch API
(:func:`run_batch`, :func:`iter_batch`, :class:`Batch`, :func:`check_jobs`) load on first
use of their name (``from ltx2sdk import GenerationRequest`` included), so importing the SDK
pays neither for pydantic nor for ``requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ltx2sdk.errors import (
    ComfyError,
    GraphError,
    InputValueError,
    LinkTypeError,
    LTX2Error,
    MissingInputError,
    RequestFieldError,
    UnknownInputError,
    UnknownNodeTypeError,
)
from ltx2sdk.graph.core import Graph, Node
from ltx2sdk.graph.handles import Output
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.nodes import Nodes
from ltx2sdk.graph.schema import NodeSchema, SchemaSet
from ltx2sdk.version import __version__ as __version__

if TYPE_CHECKING:
    from ltx2sdk.app.batch.check import check_jobs
    from ltx2sdk.app.batch.scheduler import Batch, iter_batch, run_batch
    from ltx2sdk.app.generate import GenerationResult, generate
    from ltx2sdk.backends.comfyui.client import ComfyClient
    from ltx2sdk.backends.connect import connect
    from ltx2sdk.backends.protocol import Backend
    from ltx2sdk.request import GenerationRequest, ModelSet


# name -> module defining it, imported on first access (PEP 562). The import system's
# per-module lock makes a first access from several threads at once safe: one thread runs
# the module, the others wait for it and get the same object.
_LAZY = {
    "Backend": "ltx2sdk.backends.protocol",
    "Batch": "ltx2sdk.app.batch.scheduler",
    "iter_batch": "ltx2sdk.app.batch.scheduler",
    "run_batch": "ltx2sdk.app.batch.scheduler",
    "check_jobs": "ltx2sdk.app.batch.check",
    "ComfyClient": "ltx2sdk.backends.comfyui.client",
    "connect": "ltx2sdk.backends.connect",
    "generate": "ltx2sdk.app.generate",
    "GenerationResult": "ltx2sdk.app.generate",
    "GenerationRequest": "ltx2sdk.request",
    "ModelSet": "ltx2sdk.request",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ltx2sdk' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "LTX2_SCHEMAS",
    "Backend",
    "Batch",
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
    "RequestFieldError",
    "SchemaSet",
    "UnknownInputError",
    "UnknownNodeTypeError",
    "check_jobs",
    "connect",
    "generate",
    "iter_batch",
    "run_batch",
]
