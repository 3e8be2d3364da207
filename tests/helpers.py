"""Small helpers shared by several test modules (shared fixtures are in ``conftest.py``).

Test modules import what they share from here, never from one another.
"""

from __future__ import annotations

import copy
import io
import socket
from pathlib import Path
from typing import Any

from PIL import Image

from ltx2sdk import Graph, Nodes
from ltx2sdk import assertions as A
from ltx2sdk.graph import Node
from ltx2sdk.node_defs import LTX2_SCHEMAS
from ltx2sdk.releases import TESTED_RANGE
from tests.comfyserver import ComfyTestServer, Simulation, catalog_models

__all__ = [
    "DEADLINE_SLACK",
    "RELEASES",
    "catalog_models",
    "catalog_server",
    "free_port",
    "model_free_graph",
    "object_info_with_models",
    "png_bytes",
    "stage_samplers",
    "states_release_in_range",
]

RELEASES = (TESTED_RANGE[0], "0.26.0", TESTED_RANGE[1])
"""The oldest and newest ComfyUI release the SDK claims to be tested with, and one between."""

DEADLINE_SLACK = 2.5
"""Seconds a bounded wait may overrun its deadline on a loaded 2-core machine. Only tests
whose subject *is* a deadline assert on elapsed time, and always with this slack."""


def catalog_server(root: Path, **options: Any) -> ComfyTestServer:
    """A stand-in ComfyUI with every file of the SDK's model catalog and 3 steps per sampler,
    its folders under ``root``; ``options`` go to :class:`ComfyTestServer` (a release, faults,
    placeholders...). Not started: use it as a context manager."""
    options.setdefault("sim", Simulation(sampler_steps=3))
    return ComfyTestServer(models=catalog_models(), output_dir=root / "server-out",
                           input_dir=root / "server-in", **options)


def png_bytes(width: int = 32, height: int = 24) -> bytes:
    """A real PNG (one orange colour), made by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def model_free_graph(color: int = 0x336699, prefix: str = "video/ltx2sdk") -> Graph:
    """EmptyImage -> CreateVideo -> SaveVideo: runs on any server, with no model file (a
    ``color`` of its own makes a prompt the server has not cached)."""
    g = Graph()
    n = Nodes(g)
    n.SaveVideo(n.CreateVideo(n.EmptyImage(64, 64, batch_size=9, color=color), 24), prefix)
    return g


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (as of now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def states_release_in_range(line: str, version: str) -> bool:
    """``ltx2 check``'s first line names the server's release and places it in the range."""
    low, high = TESTED_RANGE
    return line.startswith(f"ComfyUI {version} ") and \
        f"inside the tested range {low} to {high}" in line


def object_info_with_models(object_info: dict[str, Any],
                            files: dict[str, list[str]] | None = None,
                            input_files: tuple[str, ...] = ("first.png",)) -> dict[str, Any]:
    """The captured object_info as a server that has ``files`` would report it.

    The capture's server had no models, so its model-file combos are empty lists.
    ``files`` maps a models/ folder to file names (default: the whole SDK catalog);
    ``input_files`` are the images in its input folder (LoadImage's options).
    """
    if files is None:
        files = catalog_models()
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
