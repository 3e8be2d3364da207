"""Fixtures the application tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``$XDG_CONFIG_HOME`` of the test's own, and none of the variables the
    command reads: the developer's settings never leak into a test."""
    home = tmp_path / "xdg"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for name in ("LTX2_CONFIG", "COMFY_URL", "COMFY_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home
