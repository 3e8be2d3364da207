"""The captured ComfyUI releases the server can emulate (``tests/fixtures/versions/<version>``).

Each release folder holds what a real ComfyUI of that version, started on CPU with empty
placeholder model files, answered (see the README there): ``object_info.json.gz`` (the whole
``GET /object_info``), ``system_stats.json`` (where captured) and ``prompt_verdicts.json``
(prompts POSTed to ``/prompt`` with the server's answers; 0.8.0, 0.26.0, 0.33.0 and 0.38.1).
0.38.1 is a partial capture: 0.33.0 with the 0.38-era LTX, video, audio and post-processing
node files laid over it (:data:`PARTIAL_CAPTURES`).

:class:`ValidationRules` holds what differs between releases in ``/prompt`` validation beyond
the node schemas themselves.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
from pathlib import Path
from typing import Any, cast

from .catalog import FIXTURES_DIR, captured_files

VERSIONS_DIR = FIXTURES_DIR / "versions"
# Captures that are no whole upstream release (see ``fixtures/versions/README.md``): no install
# reproduces them, so the Docker image stays on the newest complete one.
PARTIAL_CAPTURES = frozenset({"0.38.1"})
# What the server reports without ``comfyui_version`` (its schemas then come from the
# LTX-2-only ``object_info_ltx2.json`` and the captures under ``fixtures/protocol``).
DEFAULT_VERSION = "0.26.0"


def version_key(version: str) -> tuple[int, ...]:
    """``"0.16.4"`` -> ``(0, 16, 4)``, for ordering releases."""
    return tuple(int(part) for part in version.split("."))


def available_versions() -> list[str]:
    """Captured releases, oldest first."""
    names = [p.name for p in VERSIONS_DIR.iterdir() if (p / "object_info.json.gz").is_file()]
    return sorted(names, key=version_key)


def complete_versions() -> list[str]:
    """Captured releases that are whole upstream releases, oldest first."""
    return [v for v in available_versions() if v not in PARTIAL_CAPTURES]


def version_dir(version: str) -> Path:
    path = VERSIONS_DIR / version
    if not (path / "object_info.json.gz").is_file():
        known = ", ".join(available_versions())
        raise ValueError(f"no captured ComfyUI {version!r} (captured: {known})")
    return path


@functools.cache
def _object_info_text(version: str) -> bytes:
    with gzip.open(version_dir(version) / "object_info.json.gz") as handle:
        return handle.read()


def load_version_object_info(version: str) -> dict[str, Any]:
    """The release's whole ``GET /object_info`` (a fresh copy: callers may mutate it)."""
    return cast(dict[str, Any], json.loads(_object_info_text(version)))


def captured_setup(version: str) -> tuple[dict[str, list[str]], list[str]]:
    """(models folder -> files, input files) the release's capture server had: give these to
    a test server to answer like it (e.g. ``corpus.png`` for the i2v verdicts)."""
    return captured_files(load_version_object_info(version))


def captured_system_stats(version: str) -> dict[str, Any] | None:
    """The release's ``GET /system_stats``, or None where it was not captured (0.26.0)."""
    path = version_dir(version) / "system_stats.json"
    if not path.is_file():
        return None
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def load_verdicts(version: str) -> dict[str, Any] | None:
    """``prompt_verdicts.json`` of the release, or None where there is none."""
    path = version_dir(version) / "prompt_verdicts.json"
    if not path.is_file():
        return None
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


@dataclasses.dataclass(frozen=True)
class ValidationRules:
    """How one ComfyUI release's ``validate_prompt`` differs from the others.

    * ``legacy_node_errors``: a node without ``class_type`` or of an unknown class is refused
      with ``invalid_prompt`` ("Cannot execute because node X does not exist.", empty
      ``extra_info``), as in 0.8.0 (verdict ``mut/unknown-class``). ComfyUI PR #12194 (opened
      2026-01-31) replaced both with ``missing_node_type`` naming the node's title, which
      0.26.0 and 0.33.0 answer; 0.16.4 is assumed to have it too (no verdicts captured).
    * ``detects_cycles``: ``validate_inputs`` tracks the nodes being visited and reports a
      ``dependency_cycle`` on each member (PR #13169, opened 2026-03-26, approved in April; the
      ``visiting`` argument shows in 0.26.0's and 0.33.0's tracebacks, not in 0.8.0's). Before
      it a cycle recursed until RecursionError; the frame that caught it filed the error on a
      cycle member, and the frames above, for the same nodes, overwrote it with their own
      (empty) errors: the outputs behind the cycle fail with no ``node_errors`` left (derived
      from the 0.8.0-era source, not captured). 0.16.4 is assumed to predate the check,
      0.22.0 to have it.
    * ``repr_combo_values``: ``value_not_in_list`` details show the bad values with ``repr``
      (``sampler_name: 5 not in [...]``, with the multiselect support); the 0.8.0-era source
      quotes the value as text (``'5'``). Both read the same for strings.
    * ``validate_call_line`` / ``class_lookup_line``: execution.py lines of the recursive
      ``validate_inputs`` call and of ``prompt[o_id]['class_type']`` in tracebacks (captured
      for 0.8.0, 0.26.0, 0.33.0 and 0.38.1, whose execution.py is 0.33.0's; the others reuse
      the nearest older capture's).
    """

    version: str
    legacy_node_errors: bool = False
    detects_cycles: bool = True
    repr_combo_values: bool = True
    validate_call_line: int = 943
    class_lookup_line: int = 921


_RULES: dict[str, ValidationRules] = {
    "0.8.0": ValidationRules("0.8.0", legacy_node_errors=True, detects_cycles=False,
                             repr_combo_values=False,
                             validate_call_line=838, class_lookup_line=818),
    "0.16.4": ValidationRules("0.16.4", detects_cycles=False,
                              validate_call_line=838, class_lookup_line=818),
    "0.22.0": ValidationRules("0.22.0"),
    "0.26.0": ValidationRules("0.26.0"),
    "0.29.0": ValidationRules("0.29.0"),
    "0.33.0": ValidationRules("0.33.0", validate_call_line=955, class_lookup_line=933),
    "0.38.1": ValidationRules("0.38.1", validate_call_line=955, class_lookup_line=933),
}


def rules_for(version: str | None) -> ValidationRules:
    """The validation rules of a release (None: the default server, i.e. 0.26.0)."""
    if version is None:
        return _RULES[DEFAULT_VERSION]
    if version in _RULES:
        return _RULES[version]
    version_dir(version)  # raises for an unknown version
    # A release captured later than this table: the newest known rules.
    newest = max(_RULES, key=version_key)
    return dataclasses.replace(_RULES[newest], version=version)
