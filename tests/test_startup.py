"""Start-up structure: what importing the SDK loads, and the lazily loaded request model.

Speed itself is measured by ``benchmarks/bench_startup.py``, never here. These tests check
the facts the speed rests on, each in a fresh interpreter: importing ``ltx2sdk`` and
``builders`` loads neither pydantic nor the HTTP, imaging or comfy-script stacks; the request
model still comes in by every public route, from several threads at once, with the same
JSON Schema; and type checkers still see the real classes behind the lazy names.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import builders
import ltx2sdk
from ltx2sdk.request import GenerationRequest, ModelSet, request_json_schema

ROOT = Path(__file__).resolve().parents[1]

# What ``import ltx2sdk, builders`` must not load (a package with its submodules): the HTTP
# client stack, Pillow, the audio decoders and comfy-script, the SDK's own modules built on
# them, and pydantic with the request model.
NETWORK_AND_IMAGES = ("requests", "urllib3", "websocket", "PIL", "miniaudio", "_miniaudio",
                      "cffi", "comfy_script", "ltx2sdk.backends.comfyui.client",
                      "ltx2sdk.backends.comfyui.transport", "ltx2sdk.backends.connect",
                      "ltx2sdk.backends.protocol", "http.client",
                      "ltx2sdk.app.generate", "ltx2sdk.media.images", "ltx2sdk.media.audio",
                      "ltx2sdk.media.safe_fetch")
HEAVY = ("pydantic", "pydantic_core", "ltx2sdk.request", *NETWORK_AND_IMAGES)


def run_fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter; it prints one JSON value, returned here."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded_of(names: tuple[str, ...]) -> str:
    """Code for the JSON list of the modules among ``names`` (packages: any submodule too)."""
    return (f"[m for m in sys.modules if any(m == n or m.startswith(n + '.') "
            f"for n in {names!r})]")


def test_importing_the_sdk_and_builders_loads_nothing_heavy() -> None:
    loaded = run_fresh(f"""
        import sys
        import ltx2sdk, builders
        from ltx2sdk import Graph, LTX2_SCHEMAS, Nodes, SchemaSet
        import json; print(json.dumps({loaded_of(HEAVY)}))
    """)
    assert loaded == []


def test_builders_loads_the_graph_composer_with_its_first_name() -> None:
    """``import builders`` reads the catalog; the planner and the stages (and the typed node
    calls they make) load with the first name that needs them, the same objects as their
    modules'."""
    result = run_fresh("""
        import json, sys
        import ltx2sdk, builders
        before = sorted(m for m in sys.modules if m in ("builders.pipelines", "builders.plan",
                                                        "builders.stages"))
        from builders import build, check_request
        import builders.pipelines, builders.plan
        same = build is builders.pipelines.build and check_request is builders.plan.check_request
        print(json.dumps({"before": before, "same": same, "listed": "build" in dir(builders)}))
    """)
    assert result == {"before": [], "same": True, "listed": True}
    with pytest.raises(AttributeError, match=r"^module 'builders' has no attribute 'nope'$"):
        getattr(builders, "nope")  # noqa: B009


def test_an_offline_build_loads_no_network_or_imaging_stack() -> None:
    """``ltx2 build --example`` needs the request model, but no HTTP client, Pillow or
    comfy-script (``requests`` alone adds about 80 ms, a third of the command's budget)."""
    loaded = run_fresh(f"""
        import contextlib, io, json, sys
        from ltx2sdk.app.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = main(["build", "--example"])
        print(json.dumps([status, "ltx2sdk.request" in sys.modules,
                          {loaded_of(NETWORK_AND_IMAGES)}]))
    """)
    assert loaded == [0, True, []]


def test_the_request_model_loads_with_its_name() -> None:
    result = run_fresh(f"""
        import json, sys
        import ltx2sdk, builders
        before = {loaded_of(("pydantic", "ltx2sdk.request"))}
        from ltx2sdk import GenerationRequest, ModelSet
        import ltx2sdk.request as module
        same = (GenerationRequest is module.GenerationRequest and ModelSet is module.ModelSet
                and ltx2sdk.GenerationRequest is GenerationRequest)
        # the plan's length rules use the request module's limits (loaded by now)
        frames = [builders.build(GenerationRequest(prompt="a fox", **length)).plan.frames
                  for length in ({{}}, {{"frames": 999, "fps": 60}})]
        print(json.dumps({{"before": before, "same": same, "frames": frames}}))
    """)
    assert result == {"before": [], "same": True, "frames": [241, 993]}


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in ltx2sdk.__all__:
        assert getattr(ltx2sdk, name) is not None
        assert name in dir(ltx2sdk)
    assert ltx2sdk.GenerationRequest is GenerationRequest
    assert ltx2sdk.ModelSet is ModelSet
    with pytest.raises(AttributeError, match=r"^module 'ltx2sdk' has no attribute 'NoSuchName'$"):
        getattr(ltx2sdk, "NoSuchName")  # noqa: B009


def test_first_request_from_many_threads_at_once() -> None:
    threads = 8
    result = run_fresh(f"""
        import json, sys, threading
        import ltx2sdk
        assert "ltx2sdk.request" not in sys.modules
        barrier = threading.Barrier({threads})
        made, failed = [], []

        def first_request(i):
            try:
                barrier.wait()
                from ltx2sdk import GenerationRequest
                made.append((id(GenerationRequest),
                             GenerationRequest(prompt=f"fox {{i}}", seed=i).seed))
            except BaseException as exc:
                failed.append(repr(exc))

        workers = [threading.Thread(target=first_request, args=(i,)) for i in range({threads})]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(json.dumps({{"classes": len({{c for c, _ in made}}),
                           "seeds": sorted(s for _, s in made), "failed": failed}}))
    """)
    assert result == {"classes": 1, "seeds": list(range(threads)), "failed": []}


def test_lazy_names_are_visible_to_type_checkers() -> None:
    """Every public name ``ltx2sdk`` loads on first use is imported from its defining module
    under ``TYPE_CHECKING``, so mypy and IDEs see the real class, not the ``Any`` of the
    module's ``__getattr__``."""
    lazy = run_fresh("""
        import json, ltx2sdk
        print(json.dumps(sorted(n for n in ltx2sdk.__all__ if n not in vars(ltx2sdk))))
    """)
    assert {"GenerationRequest", "ModelSet"} <= set(lazy)
    tree = ast.parse((ROOT / "ltx2sdk/__init__.py").read_text())
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").startswith("ltx2sdk."):
                    typed.update((alias.name, str(stmt.module)) for alias in stmt.names)
    assert {name: getattr(ltx2sdk, name).__module__ for name in lazy} == typed


def test_the_json_schema_is_unchanged() -> None:
    """The request's JSON Schema (types, defaults, bounds, patterns, choices; descriptions and
    titles aside) as written here, the same by every route: a change to the contract is a
    deliberate edit of this snapshot."""
    assert strip_docs(request_json_schema()) == EXPECTED_SCHEMA
    assert request_json_schema() == GenerationRequest.model_json_schema()
    assert request_json_schema()["title"] == "LTX-2 generation request"
    fresh = run_fresh("""
        import json
        from ltx2sdk import GenerationRequest
        print(json.dumps(GenerationRequest.model_json_schema()))
    """)
    assert fresh == request_json_schema()


def strip_docs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_docs(v) for k, v in value.items() if k not in ("description", "title")}
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def _optional(**extra: Any) -> dict[str, Any]:
    return {"anyOf": [{"type": "string", **extra}, {"type": "null"}], "default": None}


EXPECTED_SCHEMA: dict[str, Any] = {
    "$defs": {"LoraChoice": {
        "additionalProperties": False,
        "properties": {
            "name": {"maxLength": 255, "minLength": 1, "type": "string"},
            "strength": {"default": 1.0, "maximum": 10.0, "minimum": -10.0, "type": "number"},
        },
        "required": ["name"],
        "type": "object",
    }, "ModelSet": {
        "additionalProperties": False,
        "properties": {
            "checkpoint": _optional(),
            "text_encoder": _optional(),
            "upscaler": _optional(),
            "distilled_lora": _optional(),
            "distilled_lora_strength": {"default": 1.0, "maximum": 2.0, "minimum": 0.0,
                                        "type": "number"},
        },
        "type": "object",
    }},
    "additionalProperties": False,
    "properties": {
        "prompt": {"maxLength": 20000, "minLength": 1, "type": "string"},
        "negative_prompt": _optional(maxLength=20000),
        "model": {"default": "ltx-2", "enum": ["ltx-2", "ltx-2.3", "ltx-2.5", "ltx-2.5-api"],
                  "type": "string"},
        "mode": {"default": "fast", "enum": ["fast", "pro", "lora"], "type": "string"},
        # no default: the type follows from the input files (t2v with none)
        "type": {"enum": ["t2v", "i2v", "flf2v", "ia2v", "id2v", "ref2v", "canny2v", "depth2v"],
                 "type": "string"},
        "width": {"default": 1280, "maximum": 3840, "minimum": 128, "type": "integer"},
        "height": {"default": 720, "maximum": 3840, "minimum": 128, "type": "integer"},
        "duration": {"anyOf": [{"exclusiveMinimum": 0, "maximum": 20.0, "type": "number"},
                               {"type": "null"}], "default": None},
        "frames": {"anyOf": [{"maximum": 1000, "minimum": 9, "type": "integer"},
                             {"type": "null"}], "default": None},
        "fps": {"anyOf": [{"maximum": 60, "minimum": 1, "type": "integer"}, {"type": "null"}],
                "default": None},
        "seed": {"anyOf": [{"maximum": 2**64 - 1, "minimum": 0, "type": "integer"},
                           {"type": "null"}], "default": None},
        "enhance_prompt": {"default": False, "type": "boolean"},
        "camera_lora": {"default": "static",
                        "enum": ["none", "static", "dolly_in", "dolly_out", "dolly_left",
                                 "dolly_right", "jib_up", "jib_down"],
                        "type": "string"},
        "camera_strength": {"default": 1.0, "maximum": 2.0, "minimum": 0.0, "type": "number"},
        "image": _optional(),
        "image_url": _optional(),
        "image_base64": _optional(),
        "image_strength": {"default": 1.0, "maximum": 1.0, "minimum": 0.0, "type": "number"},
        "last_image": _optional(),
        "last_image_url": _optional(),
        "last_image_base64": _optional(),
        "audio": _optional(),
        "audio_url": _optional(),
        "audio_base64": _optional(),
        "video": _optional(),
        "video_url": _optional(),
        "video_base64": _optional(),
        "video_start": {"default": 0.0, "maximum": 3600.0, "minimum": 0.0, "type": "number"},
        "loras": {"items": {"$ref": "#/$defs/LoraChoice"}, "maxItems": 8, "type": "array"},
        "models": {"$ref": "#/$defs/ModelSet"},
        "filename_prefix": {"default": "video/ltx2sdk", "maxLength": 200, "minLength": 1,
                            "pattern": "^[A-Za-z0-9_\\-./]+$", "type": "string"},
    },
    "required": ["prompt"],
    "type": "object",
}
