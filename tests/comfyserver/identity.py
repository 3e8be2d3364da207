"""Fixed answers that identify the server as a captured ComfyUI release (CPU build).

By default the server is the ComfyUI 0.26.0 of ``tests/fixtures/protocol``: values are copied
from ``misc_get``. A server emulating another release answers ``/system_stats`` with that
release's capture (``tests/fixtures/versions/<version>/system_stats.json``; 0.26.0 has none
there and keeps the protocol capture). Only the port in ``argv`` and the upload limit in
``/features`` follow the test server's own configuration.
"""

from __future__ import annotations

import copy
from typing import Any

from .versions import captured_system_stats

COMFYUI_VERSION = "0.26.0"

# ComfyUI's default --max-upload-size (100 MB) as bytes; it is aiohttp's client_max_size.
DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024

# GET /models, in the captured order. GET /models/<other> is a 404.
MODEL_FOLDERS: tuple[str, ...] = (
    "checkpoints",
    "configs",
    "loras",
    "vae",
    "text_encoders",
    "diffusion_models",
    "clip_vision",
    "style_models",
    "embeddings",
    "diffusers",
    "vae_approx",
    "controlnet",
    "gligen",
    "upscale_models",
    "latent_upscale_models",
    "custom_nodes",
    "hypernetworks",
    "photomaker",
    "classifiers",
    "model_patches",
    "audio_encoders",
    "background_removal",
    "frame_interpolation",
    "geometry_estimation",
    "optical_flow",
    "detection",
)

# Where the captured server's models folders are (its --base-directory).
MODELS_ROOT = "/opt/comfy-base/models"

_RAM = 25276510208
_RAM_FREE = 23832600576


def features(max_upload_bytes: int) -> dict[str, Any]:
    """``GET /features`` and the reply to a client's ``feature_flags`` message."""
    return {
        "supports_preview_metadata": True,
        "max_upload_size": max_upload_bytes,
        "extension": {"manager": {"supports_v4": True}},
        "node_replacements": True,
        "assets": False,
    }


def system_stats(port: int, version: str | None = None) -> dict[str, Any]:
    """``GET /system_stats`` as captured, with the test server's port in ``argv``.

    ``version``: a captured release (None: the protocol captures' 0.26.0).
    """
    captured = captured_system_stats(version) if version is not None else None
    if captured is not None:
        stats = copy.deepcopy(captured)
        argv = stats["system"].get("argv", [])
        if "--port" in argv[:-1]:
            argv[argv.index("--port") + 1] = str(port)
        return stats
    return {
        "system": {
            "os": "linux",
            "ram_total": _RAM,
            "ram_free": _RAM_FREE,
            "comfyui_version": COMFYUI_VERSION,
            "required_frontend_version": "1.45.19",
            "installed_templates_version": "0.10.7",
            "required_templates_version": "0.10.7",
            "comfy_package_versions": [
                {"name": "comfyui-frontend-package", "installed": "1.45.19", "required": "1.45.19"},
                {"name": "comfyui-workflow-templates", "installed": "0.10.7", "required": "0.10.7"},
                {"name": "comfyui-embedded-docs", "installed": "0.5.5", "required": "0.5.5"},
                {"name": "comfy-kitchen", "installed": "0.2.12", "required": "0.2.12"},
                {"name": "comfy-aimdo", "installed": "0.4.10", "required": "0.4.10"},
            ],
            "python_version": "3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]",
            "pytorch_version": "2.13.0+cpu",
            "embedded_python": False,
            "deploy_environment": "local-git",
            "argv": [
                "main.py",
                "--cpu",
                "--listen",
                "127.0.0.1",
                "--port",
                str(port),
                "--disable-auto-launch",
                "--base-directory",
                "/opt/comfy-base",
            ],
        },
        "devices": [
            {
                "name": "cpu",
                "type": "cpu",
                "index": None,
                "vram_total": _RAM,
                "vram_free": _RAM_FREE,
                "torch_vram_total": _RAM,
                "torch_vram_free": _RAM_FREE,
            }
        ],
    }
