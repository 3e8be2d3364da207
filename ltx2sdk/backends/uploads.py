"""Input files taken under one name and kept under another, bound when a graph is submitted.

Both backends take an input file under the name the caller gives it (the name its graph
uses) and answer that same name. The server may keep the file under another name (ComfyUI
renames a file that exists already: ``in (1).png``) or as something else altogether (the
Comfy API v2 makes it an asset, referenced by a ``core/ASSET`` object). Each backend records
what each given name stands for and puts it into the prompt when the graph is checked or
submitted: a graph is built once, with the names its caller chose.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["bind_uploads"]


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
