"""Input files: named by their content, and taken under one name and kept under another,
bound when a graph is submitted.

:func:`content_stem` names an input file by its bytes (``ltx2sdk_<sha256 prefix>``): the same
image is the same name every time, so a server keeps it once (ComfyUI answers an upload of
identical bytes under an existing name with that name, and writes nothing), and a backend that
can see the server has it already need not send it again (``upload_file(..., reuse=True)``).

Both backends take an input file under the name the caller gives it (the name its graph
uses) and answer that same name. The server may keep the file under another name (ComfyUI
renames a file that exists already: ``in (1).png``) or as something else altogether (the
Comfy API v2 makes it an asset, referenced by a ``core/ASSET`` object). Each backend records
what each given name stands for and puts it into the prompt when the graph is checked or
submitted: a graph is built once, with the names its caller chose.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

__all__ = ["CONTENT_NAME_PREFIX", "bind_uploads", "content_stem"]

CONTENT_NAME_PREFIX = "ltx2sdk_"
CONTENT_HASH_HEX_DIGITS = 32
"""128 bits of SHA-256: no two different input files share a name, and nobody who does not
have the file can make one under its name first."""


def content_stem(data: bytes) -> str:
    """The name (without extension) an input file is uploaded under: ``ltx2sdk_`` and the first
    :data:`CONTENT_HASH_HEX_DIGITS` hex digits of its SHA-256, the same for the same bytes."""
    return CONTENT_NAME_PREFIX + hashlib.sha256(data).hexdigest()[:CONTENT_HASH_HEX_DIGITS]


def bind_uploads(api: Mapping[str, Any], bound: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the API prompt ``api`` in which every literal input equal to a name in
    ``bound`` is what that name stands for (a copy of it, so prompts never share objects);
    ``api`` itself is left as it is."""
    prompt: dict[str, Any] = {}
    for node_id, node in api.items():
        inputs = node.get("inputs") if isinstance(node, Mapping) else None
        if not bound or not isinstance(inputs, Mapping):
            prompt[node_id] = node
            continue
        prompt[node_id] = {**node, "inputs": {
            key: copy.deepcopy(bound[value]) if isinstance(value, str) and value in bound
            else value for key, value in inputs.items()}}
    return prompt
