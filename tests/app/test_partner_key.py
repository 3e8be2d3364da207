"""The hosted LTX-2.5 API's Comfy account key: sent only as ``POST /prompt``'s
``extra_data.api_key_comfy_org`` to a prompt with a partner node, and written nowhere else (no
graph, log, repr, error, result, output file or ``results.jsonl``)."""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk import ComfyClient, GenerationRequest, generate
from ltx2sdk.app.cli.main import main
from ltx2sdk.backends.comfyui.wire import PartnerKey
from ltx2sdk.backends.connect import connect
from ltx2sdk.errors import ExecutionError, MissingApiKeyError
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_models, png_bytes

KEY = "comfyui-0123456789abcdef-SECRET-partner-key"


def _server(tmp_path: Path) -> ComfyTestServer:
    # 0.33.0: the first captured release with LtxApi25TextToVideo / LtxApi25ImageToVideo
    return ComfyTestServer(models=catalog_models(), comfyui_version="0.33.0",
                           output_dir=tmp_path / "server")


def _written(root: Path) -> str:
    """Every file under ``root``, read as text."""
    return "\n".join(p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file())


def _prompts(srv: ComfyTestServer) -> list[dict[str, Any]]:
    return srv.state.received.prompts


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMFY_API_KEY", raising=False)


def test_the_key_goes_only_in_extra_data_and_is_written_nowhere(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    out = tmp_path / "out"
    with _server(tmp_path) as srv:
        result = generate(GenerationRequest(prompt="a fox", model="ltx-2.5-api", duration=2,
                                            seed=3),
                          srv.url, output_dir=out, output=out / "fox.mp4")
        [body] = _prompts(srv)
    assert body["extra_data"] == {"api_key_comfy_org": KEY}  # where ComfyUI reads it
    assert KEY not in json.dumps(body["prompt"])  # never in the graph
    assert result.video.read_bytes()[4:8] == b"ftyp"
    assert (result.width, result.height, result.fps, result.duration) == (1280, 720, 25, 2)
    captured = capsys.readouterr()
    seen = [captured.out, captured.err, caplog.text, repr(result), str(result.metadata()),
            _written(out)]
    assert not [text for text in seen if KEY in text]


def test_the_cli_run_writes_the_key_nowhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    image = tmp_path / "first.png"
    image.write_bytes(png_bytes(64, 64))
    with _server(tmp_path) as srv:
        code = main(["generate", "--server", srv.url, "--model", "ltx-2.5-api", "--mode",
                     "pro", "--image", str(image), "--prompt", "a fox", "--duration", "2",
                     "-o", str(tmp_path / "fox.mp4"), "--json"])
        [body] = _prompts(srv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert body["extra_data"] == {"api_key_comfy_org": KEY}
    document = json.loads(captured.out)
    assert json.dumps(document).count("ltx-2.5-api") >= 1
    assert KEY not in captured.out + captured.err
    assert KEY not in _written(tmp_path)  # the video, the server's files, anything written


def test_a_batch_writes_the_key_nowhere(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "model": "ltx-2.5-api", "duration": 2})
                    + "\n")
    with _server(tmp_path) as srv:
        code = main(["batch", str(jobs), "--server", srv.url, "-o", str(tmp_path / "made")])
        sent = _prompts(srv)
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert [b["extra_data"] for b in sent] == [{"api_key_comfy_org": KEY}]
    assert (tmp_path / "made" / "results.jsonl").exists()
    assert KEY not in captured.out + captured.err + _written(tmp_path)


def test_no_key_is_one_clear_line_before_anything_is_queued(tmp_path: Path) -> None:
    with _server(tmp_path) as srv:
        with pytest.raises(MissingApiKeyError) as caught:
            generate(GenerationRequest(prompt="a fox", model="ltx-2.5-api"), srv.url,
                     output_dir=tmp_path / "out")
        assert _prompts(srv) == []  # nothing queued
    message = str(caught.value)
    assert "\n" not in message and "COMFY_API_KEY" in message
    assert "LtxApi25TextToVideo" in message


def test_the_cli_without_a_key_says_so_and_queues_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _server(tmp_path) as srv:
        code = main(["generate", "--server", srv.url, "--model", "ltx-2.5-api",
                     "--prompt", "a fox", "-o", str(tmp_path / "fox.mp4")])
        assert _prompts(srv) == []
    err = capsys.readouterr().err
    assert code != 0 and "COMFY_API_KEY" in err


def test_a_local_pipeline_never_sends_the_key(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFY_API_KEY", KEY)
    with _server(tmp_path) as srv:
        generate(GenerationRequest(prompt="a fox", duration=1, seed=1), srv.url,
                 output_dir=tmp_path / "out")
        [body] = _prompts(srv)
    assert "extra_data" not in body


def test_the_stand_in_fails_a_partner_node_sent_without_a_key_as_comfyui_does(
        tmp_path: Path) -> None:
    """ComfyUI accepts the prompt, and the node fails when it calls Comfy's API without a key
    (HTTP 401: ``Unauthorized: Please login first to use this node.``); the SDK reads that
    as the node's execution error."""
    from builders import build
    from ltx2sdk.backends.comfyui.wire import failure_from_history

    api = build(GenerationRequest(prompt="a fox", model="ltx-2.5-api")).compile()
    with _server(tmp_path) as srv:
        client = ComfyClient(srv.url)
        answer = client.transport.post_prompt({"prompt": api, "client_id": "x"})
        prompt_id = answer["prompt_id"]
        entry = None
        for _ in range(400):  # until the stand-in has run it (it takes milliseconds)
            entry = client.history(prompt_id)
            if entry is not None and entry.get("status", {}).get("completed") is not None:
                break
            time.sleep(0.025)
        client.close()
    assert entry is not None
    failure = failure_from_history(prompt_id, entry)
    assert isinstance(failure, ExecutionError)
    assert "Unauthorized: Please login first to use this node." in str(failure)


def test_the_key_is_never_shown_by_the_client(tmp_path: Path) -> None:
    client = connect("127.0.0.1:9", api="comfyui", api_key=KEY)
    assert isinstance(client, ComfyClient) and client.has_partner_key
    assert KEY not in repr(client) and KEY not in repr(vars(client))
    assert repr(PartnerKey(KEY)) == str(PartnerKey(KEY)) == "PartnerKey(***)"
    client.close()


def test_the_api_key_flag_is_sent_like_the_variable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _server(tmp_path) as srv:
        code = main(["generate", "--server", srv.url, "--model", "ltx-2.5-api", "--api-key",
                     KEY, "--prompt", "a fox", "--duration", "3", "-o",
                     str(tmp_path / "fox.mp4")])
        [body] = _prompts(srv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert body["extra_data"] == {"api_key_comfy_org": KEY}
    assert KEY not in captured.out + captured.err


def test_models_of_the_hosted_model_says_there_is_nothing_to_download(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--model", "ltx-2.5-api"]) == 0
    assert "loads no model files" in capsys.readouterr().out
    assert main(["models", "--model", "ltx-2.5-api", "--format", "tsv"]) == 0
    assert capsys.readouterr().out == ""  # a download script gets no rows


def test_the_worker_sends_the_key_from_its_environment_and_logs_it_nowhere(
        tmp_path: Path) -> None:
    """``python runpod_handler.py --test_input`` (as the README runs it) with COMFY_API_KEY
    set on the worker: the job's prompt carries it to ComfyUI; the worker's log does not."""
    from tests.test_handler import run_test_input_process

    with _server(tmp_path) as srv:
        done = run_test_input_process(srv, {"prompt": "a fox", "model": "ltx-2.5-api",
                                            "duration": 2, "seed": 5},
                                      env={"COMFY_API_KEY": KEY})
        sent = _prompts(srv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [b["extra_data"] for b in sent] == [{"api_key_comfy_org": KEY}]
    assert "Job result: " in done.stdout
    assert KEY not in done.stdout + done.stderr


def test_no_key_is_refused_before_the_images_are_uploaded(tmp_path: Path) -> None:
    with _server(tmp_path) as srv:
        with pytest.raises(MissingApiKeyError):
            generate(GenerationRequest(prompt="a fox", model="ltx-2.5-api", type="i2v",
                                       image_base64=base64.b64encode(png_bytes(64, 64))
                                       .decode()),
                     srv.url, output_dir=tmp_path / "out")
        assert srv.state.received.uploads == [] and _prompts(srv) == []


def test_a_dry_run_without_a_key_says_it_is_needed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _server(tmp_path) as srv:
        code = main(["generate", "--server", srv.url, "--model", "ltx-2.5-api", "--prompt",
                     "a fox", "--dry-run"])
        assert _prompts(srv) == []
    err = capsys.readouterr().err
    assert code != 0 and "COMFY_API_KEY" in err and "LtxApi25TextToVideo" in err


def test_batch_check_says_a_hosted_job_needs_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "model": "ltx-2.5-api"}) + "\n"
                    + json.dumps({"prompt": "a fox", "duration": 1}) + "\n")
    with _server(tmp_path) as srv:
        code = main(["batch", "--check", str(jobs), "--server", srv.url])
        out = capsys.readouterr()
        assert code != 0
        assert "line 1" in out.out + out.err and "COMFY_API_KEY" in out.out + out.err
        assert "line 2" not in out.out + out.err
        monkeypatch.setenv("COMFY_API_KEY", KEY)
        assert main(["batch", "--check", str(jobs), "--server", srv.url]) == 0
        assert _prompts(srv) == []  # a check queues nothing
    out = capsys.readouterr()
    assert KEY not in out.out + out.err
