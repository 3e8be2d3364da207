"""Shared fixtures. Shared plain helpers (no fixture needed) are in ``tests/helpers.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.schema import SchemaSet
from tests.comfyserver import LTX2_MODELS, ComfyTestServer
from tests.helpers import RELEASES, catalog_server

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def object_info() -> dict[str, Any]:
    """GET /object_info of a real ComfyUI 0.26.0, limited to the LTX-2 node types."""
    data: dict[str, Any] = json.loads((FIXTURES / "object_info_ltx2.json").read_text())
    return data


@pytest.fixture(scope="session")
def live_schemas(object_info: dict[str, Any]) -> SchemaSet:
    return SchemaSet.from_object_info(object_info)


@pytest.fixture
def ltx_server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    """A fake ComfyUI with every file of the SDK's model catalog, 3 sampler steps
    (:func:`tests.helpers.catalog_server`; call that for one with other options)."""
    with catalog_server(tmp_path) as srv:
        yield srv


@pytest.fixture
def comfy_server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    """A fake ComfyUI 0.26.0 (real HTTP + WebSocket) on ``srv.url``, LTX-2 model files installed.

    Change ``srv.faults`` / ``srv.sim`` to inject failures or slow things down; for other model
    files or placeholders build your own ``ComfyTestServer(models=..., placeholders=...)``.
    """
    with ComfyTestServer(
        models=LTX2_MODELS, output_dir=tmp_path / "output", input_dir=tmp_path / "input"
    ) as srv:
        yield srv


@pytest.fixture(params=RELEASES, ids=lambda v: f"comfyui-{v}")
def versioned_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ComfyTestServer]:
    """Like ``ltx_server``, once per release of :data:`tests.helpers.RELEASES`: that
    release's whole /object_info, /system_stats and validation, every file of the SDK's model
    catalog, 3 sampler steps. ``srv.comfyui_version`` says which release it is. A test picks
    releases with ``@pytest.mark.parametrize("versioned_server", [...], indirect=True)``."""
    with catalog_server(tmp_path, comfyui_version=request.param) as srv:
        yield srv
