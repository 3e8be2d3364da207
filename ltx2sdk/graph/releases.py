"""The ComfyUI releases the SDK was tested against, bundled as data.

Each captured release's ``/object_info`` (restricted to the node types the SDK builds with)
ships in ``ltx2sdk/graph/comfyui_releases/<version>.json``. They let a graph be built offline for a
given release (``ltx2 build --comfyui-version 0.8.0``) and let errors say which release
brought a node ("TextGenerateLTX2Prompt came with ComfyUI 0.16.4").

Model-file and input-file combos are stored without options: which files a server has is
known only to that server, so offline builds do not check file names.

``python -m ltx2sdk.graph.releases DIR`` rewrites the bundle from captured releases in ``DIR``
(``DIR/<version>/object_info.json`` or ``object_info.json.gz``).

**Two readings of a version**, kept apart: :func:`parse_release` reads a release a person
gives (``--comfyui-version``, :func:`nearest_bundled`) strictly (``0.26``, ``0.26.0``,
``v0.26.0``, in ASCII digits; ``0.26.x``, ``0.26.0rc1`` or 0.26.0 in Arabic-Indic digits is
refused, not taken for 0.26.0);
:func:`parse_version` reads what a server reports leniently (``0.3.10-dev``, ``v0.33.0-rc1``,
a git suffix): a server's own words must not stop a build.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ltx2sdk.errors import ReleaseVersionError
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.schema import SchemaSet

BUNDLE_DIR = Path(__file__).with_name("comfyui_releases")

TESTED_RANGE = ("0.8.0", "0.38.1")
"""The oldest and newest ComfyUI releases the test suite runs the SDK against."""

Version = tuple[int, ...]

# [0-9], not \d: \d matches the digits of every script (Arabic-Indic, full-width), which int()
# reads too, so 0.26.0 written in Arabic-Indic digits would pass for 0.26.0
# no leading zero (0.026.0): a number written so names no release, and is not guessed at
_RELEASE = re.compile(r"[vV]?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?")
_REPORTED = re.compile(r"v?([0-9]+(?:\.[0-9]+)*)")
RELEASE_FORMS = "MAJOR.MINOR or MAJOR.MINOR.PATCH, such as 0.26, 0.26.0 or v0.26.0"
"""The forms :func:`parse_release` accepts, as a message says them."""


def parse_release(text: str) -> Version:
    """A release a person gave: ``"0.26"``, ``"0.26.0"`` and ``"v0.26.0"`` are ``(0, 26,
    0)``. Anything else (a suffix, a wildcard, white space, more or fewer parts, digits
    other than ASCII 0-9) is a :class:`~ltx2sdk.errors.ReleaseVersionError` saying the
    accepted forms: guessing would build for another release than the one meant."""
    match = _RELEASE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ReleaseVersionError(f"{text!r} is not a ComfyUI release: give {RELEASE_FORMS}")
    return tuple(int(part or 0) for part in match.groups())


def parse_version(text: str | None) -> Version | None:
    """A version a server reports, leniently: ``"0.33.0"`` -> ``(0, 33, 0)``; ``None`` for
    anything that does not start with a dotted number in ASCII digits (a leading ``v`` and a
    suffix such as ``-rc1``, ``-dev`` or ``+git`` are ignored). Fewer than three parts get
    zeros: ``"0.26"`` is ``(0, 26, 0)``, the release 0.26.0. Not for a release a person gives
    (:func:`parse_release`)."""
    if not text:
        return None
    match = _REPORTED.match(text.strip())
    if match is None:
        return None
    parts = tuple(int(part) for part in match.group(1).split("."))
    return parts + (0,) * (3 - len(parts))


def range_status(version: str | None) -> str:
    """How ``version`` relates to :data:`TESTED_RANGE`, as a phrase for the user."""
    low, high = TESTED_RANGE
    parsed = parse_version(version)
    if parsed is None:
        return f"version unknown; the SDK is tested with ComfyUI {low} to {high}"
    if parsed < (parse_version(low) or ()):
        return f"older than the tested range {low} to {high}: update ComfyUI"
    if parsed > (parse_version(high) or ()):
        return (f"newer than the tested range {low} to {high}: the server's own node schemas "
                "are used")
    return f"inside the tested range {low} to {high}"


def bundled_versions() -> tuple[str, ...]:
    """The releases whose schemas ship with the SDK, oldest first."""
    names = [path.stem for path in BUNDLE_DIR.glob("*.json")]
    return tuple(sorted(names, key=lambda name: parse_version(name) or ()))


@functools.cache
def _bundled_object_info(version: str) -> Mapping[str, Any]:
    path = BUNDLE_DIR / f"{version}.json"
    if not path.is_file():
        known = ", ".join(bundled_versions())
        raise ValueError(f"no bundled schemas for ComfyUI {version} (bundled: {known}); "
                         "pass the server's /object_info instead")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def bundled_schemas(version: str) -> SchemaSet:
    """The SDK's node types as ComfyUI ``version`` declares them (file lists left open)."""
    return SchemaSet.from_object_info(_bundled_object_info(version), comfyui_version=version)


def nearest_bundled(version: str) -> str:
    """The bundled release to build for when targeting ComfyUI ``version`` (given by a
    person: read by :func:`parse_release`, a :class:`~ltx2sdk.errors.ReleaseVersionError`
    when it is not written as a release): itself when it is bundled, else the newest bundled
    release below it (its nodes are a safe subset: a node a release has, later ones keep). A
    :class:`ValueError` for a version older than the oldest bundled release."""
    bundled = bundled_versions()
    wanted = parse_release(version)
    same = [v for v in bundled if parse_version(v) == wanted]  # 0.26, v0.26.0: 0.26.0
    if same:
        return same[0]
    below = [v for v in bundled if (parse_version(v) or ()) <= wanted]
    if not below:
        raise ValueError(f"ComfyUI {version} is older than the oldest bundled release, "
                         f"{bundled[0]} (bundled: {', '.join(bundled)}); pass the server's "
                         "/object_info instead")
    return below[-1]


def first_release_with(class_type: str) -> str | None:
    """The oldest bundled release that has ``class_type``, or ``None``."""
    for version in bundled_versions():
        if class_type in _bundled_object_info(version):
            return version
    return None


# --- making the bundle -------------------------------------------------------------------------

def restrict(object_info: Mapping[str, Any]) -> dict[str, Any]:
    """``object_info`` cut down to the SDK's node types, file combos without options."""
    kept: dict[str, Any] = {}
    for class_type, declared in LTX2_SCHEMAS.items():
        if class_type not in object_info:
            continue
        node = json.loads(json.dumps(object_info[class_type]))  # a deep copy
        for spec in declared.inputs:
            if spec.folder is None:
                continue
            for section in ("required", "optional"):
                entry = node.get("input", {}).get(section, {}).get(spec.name)
                if entry is not None:
                    options = dict(entry[1]) if len(entry) > 1 else {}
                    options.pop("options", None)
                    node["input"][section][spec.name] = ["COMBO", options]
        kept[class_type] = node
    return kept


def _read_capture(folder: Path) -> Mapping[str, Any]:
    plain, packed = folder / "object_info.json", folder / "object_info.json.gz"
    if plain.is_file():
        data: Mapping[str, Any] = json.loads(plain.read_text(encoding="utf-8"))
    else:
        data = json.loads(gzip.decompress(packed.read_bytes()).decode("utf-8"))
    return data


def write_bundle(captures: Path, target: Path = BUNDLE_DIR) -> list[str]:
    """Write one restricted file per captured release found in ``captures``."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in sorted(p for p in captures.iterdir() if p.is_dir()):
        if parse_version(folder.name) is None:
            continue
        text = json.dumps(restrict(_read_capture(folder)), indent=1, sort_keys=True)
        (target / f"{folder.name}.json").write_text(text + "\n", encoding="utf-8")
        written.append(folder.name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m ltx2sdk.graph.releases CAPTURES_DIR", file=sys.stderr)
        return 2
    for version in write_bundle(Path(args[0])):
        print(f"wrote {BUNDLE_DIR / version}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
