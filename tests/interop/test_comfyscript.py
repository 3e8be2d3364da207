"""ComfyScript interop: SDK graph -> ComfyScript program -> comfy-script (offline) -> API JSON,
and ComfyScript workflows imported into the SDK.

comfy-script only ever runs in child interpreters (``run_comfyscript``): importing it patches
asyncio, loading nodes writes a ``.pyi`` into site-packages and its output hook is global, so
this process must never import it (checked after every test of this module).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import builders
from ltx2sdk import ComfyClient, GenerationRequest, Graph, InputValueError
from ltx2sdk.app.cli.main import main as cli_main
from ltx2sdk.errors import ComfyScriptError
from ltx2sdk.graph import assertions as A
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.interop.comfyscript import (
    assert_same_api,
    comfyscript_class_name,
    graph_from_comfyscript,
    match_api,
    run_comfyscript,
    to_comfyscript,
)
from tests.comfyserver import ComfyTestServer
from tests.helpers import object_info_with_models, stage_samplers

ROOT = Path(__file__).resolve().parents[2]

HAS_COMFYSCRIPT = importlib.util.find_spec("comfy_script") is not None  # does not import it
needs_comfyscript = pytest.mark.skipif(not HAS_COMFYSCRIPT,
                                       reason="comfy-script (the comfyscript extra) not installed")

PROMPT = "A red fox trots through fresh snow at dawn. Soft wind."

CASES: dict[str, GenerationRequest] = {
    "t2v-fast": GenerationRequest(prompt=PROMPT, type="t2v", mode="fast", seed=1),
    "t2v-pro": GenerationRequest(prompt=PROMPT, type="t2v", mode="pro", seed=1),
    "i2v-fast": GenerationRequest(prompt=PROMPT, type="i2v", mode="fast", seed=1, image="a.png"),
    "i2v-pro": GenerationRequest(prompt=PROMPT, type="i2v", mode="pro", seed=1, image="a.png"),
    "t2v-pro-dolly-in": GenerationRequest(prompt=PROMPT, type="t2v", mode="pro", seed=1,
                                          camera_lora="dolly_in"),
}


def _comfyscript_loaded_here() -> list[str]:
    """Signs that this process imported comfy-script or let it patch asyncio."""
    import asyncio

    signs = [m for m in ("comfy_script", "nest_asyncio2") if m in sys.modules]
    return signs + (["asyncio patched"] if hasattr(asyncio, "_nest_patched") else [])


@pytest.fixture(autouse=True)
def _comfyscript_stays_in_child_processes() -> Iterator[None]:
    """Every comfy-script run of a test happened in a child process: checked after each."""
    assert _comfyscript_loaded_here() == [], "comfy-script was loaded before this test"
    yield
    assert _comfyscript_loaded_here() == [], "this test loaded comfy-script in-process"


@pytest.fixture(scope="module")
def models_info(object_info: dict[str, Any]) -> dict[str, Any]:
    """The captured object_info of a server that has the SDK's model files and a.png."""
    return object_info_with_models(object_info, input_files=("a.png",))


@pytest.fixture(scope="module")
def models_schemas(models_info: dict[str, Any]) -> SchemaSet:
    return SchemaSet.from_object_info(models_info)


@pytest.fixture(scope="module")
def built() -> dict[str, Graph]:
    return {name: builders.build(request).graph for name, request in CASES.items()}


# --- SDK graph -> ComfyScript program ------------------------------------------------------------


def test_program_reads_like_comfyscript(built: dict[str, Graph]) -> None:
    program = to_comfyscript(built["i2v-pro"])
    tree = ast.parse(program)  # valid Python
    lines = program.splitlines()
    assert "from comfy_script.runtime import *" in lines
    # the address is written out: a bare load() finding no server starts a ComfyUI of its own
    assert 'load("http://127.0.0.1:8188/")  # the ComfyUI server to run on' in lines
    assert "from comfy_script.runtime.nodes import *" in lines
    assert "with Workflow(wait=True) as wf:" in lines
    assert "    stage_1_sampler = KSamplerSelect(sampler_name='euler')" in lines
    assert "    stage_2_sigmas = ManualSigmas(sigmas='0.909375, 0.725, 0.421875, 0.0')" in lines
    # multi-output nodes are unpacked, unused outputs are "_"
    assert "    checkpoint_model, _, checkpoint_vae = CheckpointLoaderSimple(" in lines
    assert "    _, stage_2_sampling_denoised_output = SamplerCustomAdvanced(" in lines
    # dynamic-combo sub-inputs go through **{...}; the output node is a bare call
    assert "        **{'resize_type.longer_size': 1536}," in lines
    assert any(line.startswith("    SaveVideo(video=create_video,") for line in lines)
    # one assignment or call per node, every variable assigned once
    body = next(n for n in tree.body if isinstance(n, ast.With)).body
    assert len(body) == len(built["i2v-pro"])
    names = [t.id for stmt in body if isinstance(stmt, ast.Assign)
             for t in ast.walk(stmt.targets[0]) if isinstance(t, ast.Name) and t.id != "_"]
    assert len(names) == len(set(names))
    assert to_comfyscript(built["i2v-pro"]) == program  # stable


def test_program_names_are_unique_and_safe(live_schemas: SchemaSet) -> None:
    g = Graph(live_schemas)
    image = g.add("EmptyImage", width=64, height=64, batch_size=1, title="print")[0]
    same = g.add("ImageInvert", image=image, title="Print")[0]
    other = g.add("ImageInvert", image=same, title="3 (final)")[0]
    video = g.add("CreateVideo", images=other, fps=24.0, title="")[0]
    g.add("SaveVideo", video=video, filename_prefix="video/x", title="wf")
    g.add("EmptyImage", width=8, height=8, batch_size=1, title="unused")
    program = to_comfyscript(g)
    ast.parse(program)
    assert "    print_2 = EmptyImage(" in program  # not the builtin
    assert "    print_3 = ImageInvert(image=print_2)" in program
    assert "    n_3_final = ImageInvert(image=print_3)" in program
    assert "    create_video = CreateVideo(images=n_3_final," in program  # default title
    assert "    # feeds no output node: comfy-script leaves it out of the prompt" in program


def test_class_names_follow_comfyscript() -> None:
    assert comfyscript_class_name("LTXVConditioning") == "LTXVConditioning"
    assert comfyscript_class_name("Video Slice") == "VideoSlice"
    assert comfyscript_class_name("easy positive") == "EasyPositive"
    assert comfyscript_class_name("IMAGE") == "Image"
    assert comfyscript_class_name("3d_thing") == "_3dThing"


# --- the round trip through comfy-script, offline -------------------------------------------------


@pytest.fixture(scope="module")
def site_packages_stub() -> Iterator[Path | None]:
    """comfy-script's own nodes.pyi in site-packages must be left as it was."""
    spec = importlib.util.find_spec("comfy_script")
    if spec is None or not spec.submodule_search_locations:
        yield None
        return
    stub = Path(next(iter(spec.submodule_search_locations))) / "runtime" / "nodes.pyi"

    def state() -> tuple[bool, float]:
        return (stub.exists(), stub.stat().st_mtime if stub.exists() else 0.0)

    before = state()
    yield stub
    assert state() == before, f"comfy-script wrote {stub}"


@needs_comfyscript
@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_through_comfyscript_is_isomorphic(
        case: str, built: dict[str, Graph], models_info: dict[str, Any],
        models_schemas: SchemaSet, site_packages_stub: Path | None) -> None:
    graph = built[case]
    api = run_comfyscript(to_comfyscript(graph), models_info)
    assert all("." in node_id for node_id in api)  # comfy-script's own ids ("CFGGuider.0")
    mapping = assert_same_api(graph, api)
    assert set(mapping) == {n.id for n in graph} and set(mapping.values()) == set(api)
    # and back into the SDK: validated against the server's schemas, same graph again
    back = graph_from_comfyscript(api, models_schemas)
    assert_same_api(graph, back)


@needs_comfyscript
def test_cli_writes_the_program(tmp_path: Path, built: dict[str, Graph],
                                models_info: dict[str, Any]) -> None:
    out = tmp_path / "fox.py"
    code = cli_main(["build", "--prompt", PROMPT, "--type", "t2v", "--mode", "pro", "--seed", "1",
                     "--camera", "dolly_in", "--format", "comfyscript", "--output", str(out)])
    assert code == 0
    program = out.read_text()
    assert program == to_comfyscript(built["t2v-pro-dolly-in"])
    assert_same_api(built["t2v-pro-dolly-in"], run_comfyscript(program, models_info))


# --- the isomorphism check itself -----------------------------------------------------------------


def _renumbered(api: dict[str, Any]) -> dict[str, Any]:
    """The same prompt with other ids, in another order."""
    ids = {old: f"n{100 - i}" for i, old in enumerate(api)}
    out: dict[str, Any] = {}
    for old in reversed(list(api)):
        entry = copy.deepcopy(api[old])
        entry["inputs"] = {k: [ids[v[0]], v[1]] if isinstance(v, list) and len(v) == 2
                           and isinstance(v[0], str) and v[0] in ids else v
                           for k, v in entry["inputs"].items()}
        entry.pop("_meta", None)
        out[ids[old]] = entry
    return out


def _find(api: dict[str, Any], class_type: str, **inputs: Any) -> dict[str, Any]:
    return next(e for e in api.values() if e["class_type"] == class_type
                and all(e["inputs"].get(k) == v for k, v in inputs.items()))


def test_isomorphism_ignores_ids_and_titles(built: dict[str, Graph]) -> None:
    api = built["i2v-pro"].compile()
    assert match_api(api, _renumbered(api)) is not None
    assert_same_api(built["i2v-pro"], _renumbered(api))


@pytest.mark.parametrize("mutation", ["value", "int-for-float", "link-slot", "link-source",
                                      "shared-duplicate", "extra-input", "extra-node"])
def test_isomorphism_fails_when_a_value_or_link_differs(built: dict[str, Graph],
                                                         mutation: str) -> None:
    api = built["t2v-pro"].compile()
    other = _renumbered(api)
    guider_2 = _find(other, "CFGGuider", cfg=1.0)
    if mutation == "value":
        _find(other, "CFGGuider", cfg=4.0)["inputs"]["cfg"] = 4.5
    elif mutation == "int-for-float":
        guider_2["inputs"]["cfg"] = 1  # 1 is not 1.0 in JSON
    elif mutation == "link-slot":  # negative fed from the positive output
        guider_2["inputs"]["negative"][1] = 0
    elif mutation == "link-source":  # stage 2 guided by the stage 1 (undistilled) model
        guider_2["inputs"]["model"] = _find(other, "CFGGuider", cfg=4.0)["inputs"]["model"]
    elif mutation == "shared-duplicate":
        # both samplers take the stage 1 noise; the identical stage 2 noise node dangles
        samplers = [e for e in other.values() if e["class_type"] == "SamplerCustomAdvanced"]
        samplers[1]["inputs"]["noise"] = list(samplers[0]["inputs"]["noise"])
    elif mutation == "extra-input":
        guider_2["inputs"]["note"] = "x"
    elif mutation == "extra-node":
        other["extra"] = {"class_type": "RandomNoise", "inputs": {"noise_seed": 1}}
    assert match_api(api, other) is None
    with pytest.raises(AssertionError, match="the prompts differ"):
        assert_same_api(api, other)


def test_isomorphism_message_names_what_differs(built: dict[str, Graph]) -> None:
    api = built["t2v-pro"].compile()
    other = _renumbered(api)
    _find(other, "CFGGuider", cfg=4.0)["inputs"]["cfg"] = 4.5
    with pytest.raises(AssertionError, match=r"CFGGuider\(cfg=4\.5\): 0 in the first, 1"):
        assert_same_api(api, other)
    other = _renumbered(api)
    _find(other, "CFGGuider", cfg=1.0)["inputs"]["negative"][1] = 0
    with pytest.raises(AssertionError, match="links differ around"):
        assert_same_api(api, other)


# --- ComfyScript workflow -> SDK graph ------------------------------------------------------------

# Written by hand the way ComfyScript users write (positional arguments, enums, defaults left
# out, no "as wf"); it is the SDK's t2v fast pipeline with seed 7 (stage 2: the template's 420).
USER_PROGRAM = textwrap.dedent('''\
    from comfy_script.runtime import *
    load("http://127.0.0.1:8188/")
    from comfy_script.runtime.nodes import *

    CKPT = Checkpoints.ltx_2_19b_distilled
    SIGMAS = "1., 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0"
    PROMPT = "A red fox trots through fresh snow at dawn. Soft wind."

    def sample(model, positive, negative, latent, sigmas, seed):
        guider = CFGGuider(model, positive, negative, 1.0)
        sampler = KSamplerSelect("euler_ancestral")
        return SamplerCustomAdvanced(RandomNoise(seed), guider, sampler, ManualSigmas(sigmas),
                                     latent)

    with Workflow():
        model, _, vae = CheckpointLoaderSimple(CKPT)
        clip = LTXAVTextEncoderLoader("gemma_3_12B_it_fp4_mixed.safetensors", CKPT)
        audio_vae = LTXVAudioVAELoader(CKPT)
        upscaler = LatentUpscaleModelLoader("ltx-2-spatial-upscaler-x2-1.0.safetensors")
        model = LoraLoaderModelOnly(model, "ltx-2-19b-lora-camera-control-static.safetensors", 1.0)
        text = CLIPTextEncode(PROMPT, clip)
        positive, negative = LTXVConditioning(text, text, 24.0)
        latent = LTXVConcatAVLatent(EmptyLTXVLatentVideo(640, 352, 241, 1),
                                    LTXVEmptyLatentAudio(241, 24, 1, audio_vae))
        _, denoised = sample(model, positive, negative, latent, SIGMAS, 7)
        video, audio = LTXVSeparateAVLatent(denoised)
        video = LTXVLatentUpsampler(video, upscaler, vae)
        _, denoised = sample(model, positive, negative, LTXVConcatAVLatent(video, audio),
                             "0.909375, 0.725, 0.421875, 0.0", 420)
        video, audio = LTXVSeparateAVLatent(denoised)
        images = VAEDecodeTiled(video, vae, 512, 64, 4096, 8)
        clip = CreateVideo(images, 24.0, LTXVAudioVAEDecode(audio, audio_vae))
        SaveVideo(clip, "video/ltx2sdk")
''')


@pytest.fixture(scope="module")
def user_api(models_info: dict[str, Any]) -> dict[str, Any]:
    if not HAS_COMFYSCRIPT:
        pytest.skip("comfy-script (the comfyscript extra) not installed")
    return run_comfyscript(USER_PROGRAM, models_info)


def test_imported_workflow_validates_and_passes_assertions(user_api: dict[str, Any],
                                                           models_schemas: SchemaSet) -> None:
    graph = graph_from_comfyscript(user_api, models_schemas, strict=True)
    assert [n.id for n in graph] == [str(i) for i in range(1, len(graph) + 1)]
    save = A.one(graph, "SaveVideo")
    assert save.title == "Save Video"  # comfy-script keeps no titles: display names
    stage1, stage2 = stage_samplers(graph)
    A.assert_path(stage1, save)
    assert A.upstream_node(stage1, "noise").inputs["noise_seed"] == 7
    assert A.upstream_node(stage2, "noise").inputs["noise_seed"] == 420
    assert A.literal_values(A.find(graph, "CFGGuider"), "cfg") == {1.0}
    assert A.source(save, "format") == "auto"  # filled in by comfy-script from the schema
    loader = A.one(graph, "CheckpointLoaderSimple")
    assert loader.inputs["ckpt_name"] == "ltx-2-19b-distilled.safetensors"  # enum -> str
    A.assert_path(loader, save)
    # it is the SDK's own t2v fast pipeline
    expected = builders.build(GenerationRequest(prompt=PROMPT, type="t2v", mode="fast", seed=7))
    assert_same_api(expected.graph, graph)


def test_import_accepts_workflow_objects_and_json(user_api: dict[str, Any]) -> None:
    class FakeWorkflow:  # duck-typed like comfy_script.runtime.Workflow
        def api_format_json(self) -> str:
            return json.dumps(user_api, indent=2)

    for source in (FakeWorkflow(), json.dumps(user_api), user_api):
        assert len(graph_from_comfyscript(source)) == len(user_api)
    with pytest.raises(ComfyScriptError, match="run_comfyscript"):
        graph_from_comfyscript("with Workflow(): pass")
    with pytest.raises(TypeError):
        graph_from_comfyscript(42)


def test_import_rejects_an_invalid_workflow(user_api: dict[str, Any],
                                            models_schemas: SchemaSet) -> None:
    api = copy.deepcopy(user_api)
    loader = next(e for e in api.values() if e["class_type"] == "CheckpointLoaderSimple")
    loader["inputs"]["ckpt_name"] = "not-installed.safetensors"
    with pytest.raises(InputValueError, match=r"not-installed\.safetensors"):
        graph_from_comfyscript(api, models_schemas)


def test_imported_workflow_runs_with_the_sdk_client(user_api: dict[str, Any],
                                                    ltx_server: ComfyTestServer,
                                                    tmp_path: Path) -> None:
    client = ComfyClient(ltx_server.url)
    graph = graph_from_comfyscript(user_api, client.schemas())
    assert client.check(graph).ok
    result = client.run(graph, output_dir=tmp_path / "got", timeout=60)
    [video] = result.files.values()
    assert video.parent == tmp_path / "got" and video.read_bytes()[4:8] == b"ftyp"


# --- containment of comfy-script's pitfalls -------------------------------------------------------


@needs_comfyscript
def test_offline_runner_refuses_the_network(models_info: dict[str, Any]) -> None:
    program = "from comfy_script.runtime import *\nload()\nqueue.cancel_all()\n"
    with pytest.raises(ComfyScriptError, match="offline"):
        run_comfyscript(program, models_info)


@needs_comfyscript
@pytest.mark.parametrize("style", ["queue=False", "queue.put"])
def test_offline_runner_takes_other_ways_of_making_a_workflow(
        style: str, models_info: dict[str, Any]) -> None:
    nodes = textwrap.dedent("""\
        image = EmptyImage(64, 64, 9)
        video = CreateVideo(ImageInvert(image), 24.0)
        save = SaveVideo(video, "video/demo")
    """)
    if style == "queue=False":  # never queued: the Workflow left in a global is taken
        body = "wf = Workflow(queue=False)\nwith wf:\n" + textwrap.indent(nodes, "    ")
    else:
        body = nodes + "queue.put(save)\n"
    program = ("from comfy_script.runtime import *\nload()\n"
               "from comfy_script.runtime.nodes import *\n" + body)
    api = run_comfyscript(program, models_info)
    g = Graph(SchemaSet.from_object_info(models_info))
    image = g.add("EmptyImage", width=64, height=64, batch_size=9)[0]
    inverted = g.add("ImageInvert", image=image)[0]
    # comfy-script fills in every default it knows, optional ones (bit_depth) included
    video = g.add("CreateVideo", images=inverted, fps=24.0, bit_depth=8)[0]
    g.add("SaveVideo", video=video, filename_prefix="video/demo")
    assert_same_api(g, api)


@needs_comfyscript
def test_offline_runner_reports_programs_without_a_workflow(models_info: dict[str, Any]) -> None:
    with pytest.raises(ComfyScriptError, match="queued 0 workflows"):
        run_comfyscript("from comfy_script.runtime import *\nload()\n", models_info)
    with pytest.raises(ComfyScriptError, match="NameError"):
        run_comfyscript("undefined_name\n", models_info)


_FINGERPRINT = textwrap.dedent('''\
    import asyncio, json, sys
    def fingerprint():
        loop_cls = asyncio.BaseEventLoop
        return {
            "patched": hasattr(asyncio, "_nest_patched") or hasattr(loop_cls, "_nest_patched"),
            "functions": [id(asyncio.run), id(asyncio.get_event_loop), id(asyncio.Task),
                          id(asyncio.Future), id(loop_cls.run_until_complete),
                          id(loop_cls.run_forever)],
            "modules": sorted(m for m in sys.modules
                              if m.split(".")[0] in ("comfy_script", "nest_asyncio2")),
        }
    before = fingerprint()
    import ltx2sdk, builders
    from ltx2sdk.interop.comfyscript import to_comfyscript, graph_from_comfyscript, assert_same_api
    graph = builders.build(ltx2sdk.GenerationRequest(prompt="x", seed=1)).graph
    program = to_comfyscript(graph)
    assert_same_api(graph, graph_from_comfyscript(graph.compile()))
    after_sdk = fingerprint()
    control = None
    if "--control" in sys.argv:
        import comfy_script.runtime
        control = fingerprint()
    print(json.dumps({"before": before, "after_sdk": after_sdk, "control": control}))
''')


def test_sdk_never_imports_comfyscript_nor_patches_asyncio() -> None:
    args = [sys.executable, "-c", _FINGERPRINT] + (["--control"] if HAS_COMFYSCRIPT else [])
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["after_sdk"] == report["before"]
    assert report["before"]["modules"] == [] and not report["before"]["patched"]
    if HAS_COMFYSCRIPT:  # the check can see the patch: importing comfy-script trips it
        control = report["control"]
        assert control["patched"] and control["functions"] != report["before"]["functions"]
        assert "comfy_script" in control["modules"]
