"""The request's own LoRAs (``loras``): on every pipeline, on every stage's model, placed the way
Comfy-Org's LoRA template (``video_ltx2_i2v_lora``) places its effect LoRA: before the
pipeline's own LoRAs in the first stage, after them in the others; and checked against the
server's ``models/loras`` like every model file, before any GPU time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from builders import PIPELINES, build
from builders.catalog import Pipeline
from ltx2sdk.app.cli.main import main
from ltx2sdk.app.generate import generate
from ltx2sdk.errors import ServerValidationError
from ltx2sdk.request import GenerationRequest
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_models, check_section

MINE = [{"name": "effects/squish.safetensors", "strength": 0.8}, "grain.safetensors"]
LORA_LOADER = "LoraLoaderModelOnly"
MODEL_LOADERS = ("CheckpointLoaderSimple", "UNETLoader")
VOICE = "LTXVReferenceAudio"  # (id2v: the voice on stage 1's model, after its LoRAs)


def example(pipeline: Pipeline, **fields: Any) -> GenerationRequest:
    inputs = {"image": "a.png", "last_image": "z.png", "audio": "v.wav", "video": "c.mp4"}
    given = {field: name for field, name in inputs.items()
             if any(which.file == field and pipeline.type in which.types
                    for which in _inputs())}
    return GenerationRequest(prompt="p", model=pipeline.model.id, type=pipeline.type,
                             mode=pipeline.mode, seed=1, **given, **fields)


def _inputs() -> tuple[Any, ...]:
    from ltx2sdk.vocabulary import INPUT_FILES

    return INPUT_FILES


def model_chains(api: dict[str, Any]) -> list[list[tuple[str, float]]]:
    """For each node that takes the LTX model (a guider, a sampler), the LoRAs between it and
    the model's loader, loader first: ``[(lora_name, strength), ...]``; one per distinct chain.
    A control pipeline's depth estimator (Lotus, a model of its own) is left out."""
    chains: list[list[tuple[str, float]]] = []
    for node in api.values():
        link = node["inputs"].get("model")
        if node["class_type"] in (LORA_LOADER, *MODEL_LOADERS) or not isinstance(link, list):
            continue
        chain: list[tuple[str, float]] = []
        while api[link[0]]["class_type"] in (LORA_LOADER, VOICE):
            lora = api[link[0]]["inputs"]
            if api[link[0]]["class_type"] == LORA_LOADER:
                chain.insert(0, (lora["lora_name"], lora["strength_model"]))
            link = lora["model"]
        loader = api[link[0]]
        assert loader["class_type"] in MODEL_LOADERS
        if "lotus" in str(loader["inputs"].get("unet_name")):
            continue
        if chain not in chains:
            chains.append(chain)
    return chains


@pytest.mark.parametrize("pipeline", PIPELINES, ids=[str(p.key) for p in PIPELINES])
def test_every_stage_of_every_pipeline_gets_the_users_loras(pipeline: Pipeline) -> None:
    mine = [("effects/squish.safetensors", 0.8), ("grain.safetensors", 1.0)]
    own_chains = model_chains(build(example(pipeline)).graph.compile())
    chains = model_chains(build(example(pipeline, loras=MINE)).graph.compile())
    for chain in chains:
        # the pipeline's own LoRAs keep their order; the user's sit before them (the first
        # stage) or after them (the others)
        assert ((chain[:2] == mine and chain[2:] in own_chains)
                or (chain[-2:] == mine and chain[:-2] in own_chains)), chain
    assert any(chain[:2] == mine for chain in chains)  # the first stage
    # every chain of the pipeline's own is still there, the user's LoRAs around it
    assert {tuple(c[2:]) if c[:2] == mine else tuple(c[:-2]) for c in chains} == {
        tuple(c) for c in own_chains}


def test_the_first_stage_takes_them_first_and_the_second_last() -> None:
    request = GenerationRequest(prompt="p", mode="pro", type="i2v", image="a.png", seed=1,
                                camera_lora="none", loras=MINE)
    api = build(request).graph.compile()
    titles = {node["_meta"]["title"]: node["inputs"]["lora_name"] for node in api.values()
              if node["class_type"] == LORA_LOADER}
    assert titles == {"Your LoRA 1 (stage 1)": "effects/squish.safetensors",
                      "Your LoRA 2 (stage 1)": "grain.safetensors",
                      "Distilled LoRA (stage 2)": "ltx-2-19b-distilled-lora-384.safetensors",
                      "Your LoRA 1 (stage 2)": "effects/squish.safetensors",
                      "Your LoRA 2 (stage 2)": "grain.safetensors"}


def test_no_loras_builds_the_graph_as_before() -> None:
    request = GenerationRequest(prompt="p", seed=3)
    assert (build(request).graph.compile()
            == build(request.model_copy(update={"loras": []})).graph.compile())


# --- checked by the server, before any GPU time ---------------------------------------------------


def test_a_lora_the_server_lacks_stops_generate_before_anything_is_uploaded(
        tmp_path: Path) -> None:
    with ComfyTestServer(models=catalog_models(), output_dir=tmp_path) as srv:
        with pytest.raises(ServerValidationError, match=r"models/loras/grain\.safetensors"):
            generate({"prompt": "p", "loras": ["grain.safetensors"]}, srv.url,
                     output_dir=tmp_path)
        assert srv.received.prompts == [] and srv.received.uploads == []


def test_a_lora_the_server_has_is_run(tmp_path: Path) -> None:
    models = catalog_models()
    models["loras"] = [*models.get("loras", []), "effects/squish.safetensors"]
    with ComfyTestServer(models=models, output_dir=tmp_path) as srv:
        result = generate({"prompt": "p", "seed": 2, "loras": MINE[:1]}, srv.url,
                          output_dir=tmp_path)
        [posted] = srv.received.prompts
    assert result.video.exists()
    assert [n["inputs"]["strength_model"] for n in posted["prompt"].values()
            if n["class_type"] == LORA_LOADER
            and n["inputs"]["lora_name"] == "effects/squish.safetensors"] == [0.8, 0.8]


def test_check_lists_a_missing_lora_with_the_pipelines_it_stops(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ComfyTestServer(models=catalog_models(), output_dir=tmp_path) as srv:
        code = main(["check", "--server", srv.url, "--mode", "fast", "--lora",
                     "grain.safetensors:0.5"])
    out = capsys.readouterr().out
    assert code == 1
    section = check_section(out, "ltx-2")
    assert section[0] == ("ltx-2 (LTX-2 19B): not ready (t2v fast, i2v fast, flf2v fast, "
                          "canny2v fast, depth2v fast)")
    [line] = [line.strip() for line in section if "grain.safetensors" in line]
    assert line == "models/loras/grain.safetensors  (not a file ltx2 knows: copy it there)"


def test_check_says_which_of_your_loras_the_server_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each --lora is listed, present or missing, in the report and in --json."""
    import json

    models = catalog_models()
    models["loras"] = [*models.get("loras", []), "effects/squish.safetensors"]
    with ComfyTestServer(models=models, output_dir=tmp_path) as srv:
        code = main(["check", "--server", srv.url, "--mode", "fast", "--model", "ltx-2",
                     "--lora", "effects/squish.safetensors:0.5", "--lora", "grain.safetensors"])
        out = capsys.readouterr().out
        assert code == 1
        [line] = [line for line in out.splitlines() if line.startswith("your LoRAs:")]
        assert line == ("your LoRAs: effects/squish.safetensors (0.5) present; "
                        "grain.safetensors missing")
        assert main(["check", "--server", srv.url, "--mode", "fast", "--json", "-q",
                     "--lora", "effects/squish.safetensors:0.5"]) == 0
    document = json.loads(capsys.readouterr().out.splitlines()[0])
    assert document["loras"] == [{"name": "effects/squish.safetensors", "strength": 0.5,
                                  "present": True}]


def test_check_names_the_lora_flag_for_a_bad_lora_name(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", "127.0.0.1:1", "--lora", "../x"]) == 2
    err = capsys.readouterr().err
    assert "--lora: must be a file in models/loras" in err and "loras.0" not in err


def test_generate_runs_the_effect_lora_template_with_its_lora(tmp_path: Path) -> None:
    import base64

    from builders.catalog.templates import template_named
    from builders.examples import template_request
    from tests.helpers import catalog_server, png_bytes

    job = template_request(template_named("video_ltx2_i2v_lora"))
    job.pop("image")
    job.update(image_base64=base64.b64encode(png_bytes()).decode(), frames=9)
    with catalog_server(tmp_path) as srv:
        result = generate(job, srv.url, output_dir=tmp_path)
        [posted] = srv.received.prompts
    assert result.mode == "lora" and result.video.read_bytes()[4:8] == b"ftyp"
    assert [n["inputs"]["lora_name"] for n in posted["prompt"].values()
            if n["class_type"] == "LoraLoaderModelOnly"].count("ltx2-squish.safetensors") == 2



def test_both_modes_are_fast_and_pro_and_lora_is_checked_when_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The lora mode's bf16 files (64 GB) are not asked of every server: ``--mode both``
    (the default) is fast and pro; ``--mode lora`` checks them."""
    models = catalog_models()
    models["checkpoints"] = [n for n in models["checkpoints"] if n != "ltx-2-19b-dev.safetensors"]
    with ComfyTestServer(models=models, output_dir=tmp_path) as srv:
        assert main(["check", "--server", srv.url, "-q"]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "ready for LTX-2 (fast, pro)"
        assert main(["check", "--server", srv.url, "--mode", "lora"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "not ready for LTX-2 (lora)"
    assert any(line.strip().startswith("models/checkpoints/ltx-2-19b-dev.safetensors")
               for line in out.splitlines()), out
    assert main(["models", "--mode", "both", "--format", "tsv"]) == 0
    names = {line.split("\t")[1] for line in capsys.readouterr().out.splitlines()}
    lora_only = {"ltx-2-19b-dev.safetensors", "gemma_3_12B_it.safetensors"}
    assert not names & lora_only
    assert main(["models", "--mode", "lora", "--format", "tsv"]) == 0
    assert {line.split("\t")[1] for line in capsys.readouterr().out.splitlines()} >= lora_only
