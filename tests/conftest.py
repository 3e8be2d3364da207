"""Shared fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.schema import SchemaSet

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def object_info() -> dict[str, Any]:
    """GET /object_info of a real ComfyUI 0.26.0, limited to the LTX-2 node types."""
    data: dict[str, Any] = json.loads((FIXTURES / "object_info_ltx2.json").read_text())
    return data


@pytest.fixture(scope="session")
def live_schemas(object_info: dict[str, Any]) -> SchemaSet:
    return SchemaSet.from_object_info(object_info)
