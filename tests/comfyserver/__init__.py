"""A fake ComfyUI server for the SDK's client tests (no ComfyUI, no GPU needed).

It is ComfyUI 0.26.0 by default; ``ComfyTestServer(comfyui_version="0.8.0")`` emulates any
release captured under ``tests/fixtures/versions`` (schemas, ``/system_stats``, validation).

It serves the captured protocol (``tests/fixtures/protocol``) over real HTTP and WebSocket on
127.0.0.1: prompt validation with ComfyUI's 400 bodies, a simulated executor emitting the
captured message sequences, uploads, ``/view``, history, and switchable faults.

    from tests.comfyserver import ComfyTestServer, Faults, Hang

    with ComfyTestServer(models={"checkpoints": ["ltx-2.safetensors"]}) as srv:
        ...  # talk to srv.url / srv.ws_url(client_id)
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name is loaded from its module on first use, so that ``python -m tests.comfyserver``
# reaches its own check for aiohttp (a [dev] extra) on an install without it, and says so in
# one line instead of an import traceback from here.
_HOMES = {
    "ModelStore": "catalog", "NodeCatalog": "catalog", "load_object_info": "catalog",
    "Faults": "faults", "Hang": "faults",
    "Simulation": "nodes",
    "ComfyTestServer": "server",
    "Received": "state", "UploadRecord": "state",
    "StandinStats": "workload",
    "DEFAULT_VERSION": "versions", "ValidationRules": "versions",
    "available_versions": "versions",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


# Model files of a typical LTX-2 install, for tests that do not care which files exist.
LTX2_MODELS: dict[str, list[str]] = {
    "checkpoints": ["ltx-2-19b-distilled.safetensors", "ltx-2-19b-dev-fp8.safetensors"],
    "text_encoders": ["gemma_3_12B_it.safetensors"],
    "loras": ["ltx-2-19b-distilled-lora-384.safetensors"],
    "latent_upscale_models": ["ltx-2-spatial-upscaler-x2-1.0.safetensors"],
}



def catalog_models() -> dict[str, list[str]]:
    """Every file of the SDK's model catalog, by ``models/`` folder: a fully equipped server
    (the stand-in's default, so the README's default requests run as they are)."""
    from ltx2sdk.model_files import CATALOG

    files: dict[str, list[str]] = {}
    for entry in CATALOG:
        files.setdefault(entry.folder, []).append(entry.name)
    return files


__all__ = [
    "DEFAULT_VERSION",
    "LTX2_MODELS",
    "ComfyTestServer",
    "Faults",
    "Hang",
    "ModelStore",
    "NodeCatalog",
    "Received",
    "Simulation",
    "StandinStats",
    "UploadRecord",
    "ValidationRules",
    "available_versions",
    "catalog_models",
    "load_object_info",
]
