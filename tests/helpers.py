"""Small helpers shared by several test modules."""

from __future__ import annotations

import copy
from typing import Any

from ltx2sdk import Graph
from ltx2sdk import assertions as A
from ltx2sdk.graph import Node
from ltx2sdk.models import CATALOG
from ltx2sdk.node_defs import LTX2_SCHEMAS


def object_info_with_models(object_info: dict[str, Any],
                            files: dict[str, list[str]] | None = None,
                            input_files: tuple[str, ...] = ("first.png",)) -> dict[str, Any]:
    """The captured object_info as a server that has ``files`` would report it.

    The capture's server had no models, so its model-file combos are empty lists.
    ``files`` maps a models/ folder to file names (default: the whole SDK catalog);
    ``input_files`` are the images in its input folder (LoadImage's options).
    """
    if files is None:
        files = {}
        for entry in CATALOG:
            files.setdefault(entry.folder, []).append(entry.name)
    info = copy.deepcopy(object_info)
    info["LoadImage"]["input"]["required"]["image"][0] = list(input_files)
    for schema in LTX2_SCHEMAS.values():
        for spec in schema.inputs:
            if spec.folder is None or spec.folder == "input" or schema.class_type not in info:
                continue
            node_inputs = info[schema.class_type]["input"]
            section = "required" if spec.required else "optional"
            raw = node_inputs[section][spec.name]
            names = list(files.get(spec.folder, []))
            if isinstance(raw[0], list):
                raw[0] = names
            else:
                raw[1]["options"] = names
    return info


def stage_samplers(graph: Graph) -> tuple[Node, Node]:
    """(stage 1, stage 2) SamplerCustomAdvanced nodes, found by data flow, not by title."""
    samplers = A.find(graph, "SamplerCustomAdvanced")
    assert len(samplers) == 2, f"expected two sampling stages, found {len(samplers)}"
    first, second = samplers
    if A.has_path(second, first):
        first, second = second, first
    assert A.has_path(first, second), "stage 2 does not depend on stage 1"
    return first, second


def catalog_models() -> dict[str, list[str]]:
    """Every file of the SDK's catalog, by models/ folder (a fully equipped server)."""
    files: dict[str, list[str]] = {}
    for entry in CATALOG:
        files.setdefault(entry.folder, []).append(entry.name)
    return files
