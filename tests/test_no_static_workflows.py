"""The product's promise: no static workflow JSON and no node id written by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("ltx2sdk/**/*.py"), *ROOT.glob("builders/**/*.py"),
                  ROOT / "runpod_handler.py"])
# a link ["12", 0], a key "5222": or "5222.inputs", workflow["12"] or any x["12"][...]
NODE_ID = re.compile(r'\[ *"[0-9]+(:[0-9]+)?" *, *[0-9]+ *\]'
                     r'|"[0-9]{2,}(:[0-9]+)?" *\]? *(:|\.inputs)'
                     r'|"[0-9]{2,}\.inputs|workflow\[ *"[0-9]+"|\[ *"[0-9]+" *\] *\[')


def test_sources_were_found() -> None:
    assert len(SOURCES) > 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_hand_written_node_ids(path: Path) -> None:
    hits = [f"{path.name}:{n}: {line.strip()}"
            for n, line in enumerate(path.read_text().splitlines(), 1) if NODE_ID.search(line)]
    assert not hits


def test_the_pattern_catches_what_it_should() -> None:
    for line in ('wf["5222"]["inputs"]["value"] = 3', 'x = ["12", 0]', '"5230.inputs.text"',
                 'workflow["7"]'):
        assert NODE_ID.search(line), line


def _is_workflow(data: object) -> bool:
    """An API prompt ({id: {"class_type", "inputs"}}) or a UI workflow ({"nodes": [...]})."""
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("nodes"), list):
        return True
    return any(isinstance(v, dict) and "class_type" in v and "inputs" in v for v in data.values())


def test_no_workflow_json_ships_in_the_packages() -> None:
    # schema data (the bundled /object_info of tested ComfyUI releases) is fine; workflows are not
    shipped = [p for d in ("ltx2sdk", "builders") for p in (ROOT / d).rglob("*.json")]
    assert [p for p in shipped if _is_workflow(json.loads(p.read_text()))] == []


def test_the_workflow_detector_catches_what_it_should() -> None:
    assert _is_workflow({"3": {"class_type": "SaveVideo", "inputs": {}}})
    assert _is_workflow({"nodes": [], "links": []})
    assert not _is_workflow({"SaveVideo": {"input": {}, "output": ["VIDEO"]}})
