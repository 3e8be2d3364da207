"""The routes the stand-in serves for ComfyUI's editor (``ComfyTestServer(frontend=True)``),
checked over HTTP without a browser: their shapes follow ComfyUI's ``server.py``,
``app/user_manager.py``, ``app/app_settings.py`` and ``app/model_manager.py``, and the
editor's own schemas of them (the job list is parsed with zod)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.comfyserver import ComfyTestServer, catalog_models
from tests.comfyserver.frontend import frontend_dir, templates_dir

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(frontend_dir() is None,
                                reason="comfyui-frontend-package is not installed (a [dev] extra)")


@pytest.fixture
def server() -> Iterator[ComfyTestServer]:
    with ComfyTestServer(models=catalog_models(), frontend=True) as running:
        yield running


def _get(server: ComfyTestServer, path: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get_content_type()


def _json(server: ComfyTestServer, path: str) -> Any:
    status, body, _ = _get(server, path)
    assert status == 200, (path, status)
    return json.loads(body)


def _send(server: ComfyTestServer, method: str, path: str, body: bytes) -> int:
    request = urllib.request.Request(server.url + path, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_editor_page_and_its_files_are_served(server: ComfyTestServer) -> None:
    static = frontend_dir()
    assert static is not None
    status, body, kind = _get(server, "/")
    assert (status, kind) == (200, "text/html")
    assert body == (static / "index.html").read_bytes()
    assert _get(server, "/user.css")[:1] == (200,)
    if templates_dir() is not None:  # the official templates' index, as ComfyUI serves it
        assert isinstance(_json(server, "/templates/index.json"), list)


def test_without_frontend_the_root_is_the_plain_page() -> None:
    with ComfyTestServer() as plain:
        status, body, _ = _get(plain, "/")
        assert status == 200 and b"ComfyUI test server" in body
        assert _get(plain, "/api/settings")[0] == 404


def test_one_user_already_migrated_with_default_settings(server: ComfyTestServer) -> None:
    assert _json(server, "/api/users") == {"storage": "server", "migrated": True}
    settings = _json(server, "/api/settings")
    assert settings["Comfy.Notification.ShowVersionUpdates"] is False  # offline: no release look-up
    assert _send(server, "POST", "/api/settings/Comfy.Locale", b'"fr"') == 200
    assert _json(server, "/api/settings/Comfy.Locale") == "fr"
    assert _json(server, "/api/settings/Comfy.Unset") is None


def test_the_user_folder_keeps_what_the_editor_saves(server: ComfyTestServer) -> None:
    # the folders the editor lists at start-up exist, empty; another is a 404 as in ComfyUI
    assert _json(server, "/api/userdata?dir=workflows&recurse=true&split=false"
                         "&full_info=true") == []
    assert _get(server, "/api/userdata?dir=nowhere")[0] == 404
    assert _send(server, "POST", "/api/userdata/workflows%2Fa.json", b'{"nodes": []}') == 200
    assert _send(server, "POST", "/api/userdata/workflows%2Fa.json?overwrite=false",
                 b"{}") == 409
    listed = _json(server, "/api/userdata?dir=workflows&full_info=true")
    assert [entry["path"] for entry in listed] == ["a.json"]
    assert _json(server, "/api/userdata/workflows%2Fa.json") == {"nodes": []}
    assert _send(server, "DELETE", "/api/userdata/workflows%2Fa.json", b"") == 204
    assert _get(server, "/api/userdata/workflows%2Fa.json")[0] == 404


def test_the_job_list_pages_the_history_newest_first(server: ComfyTestServer) -> None:
    empty = _json(server, "/api/jobs?status=completed,failed,cancelled&limit=64&offset=0")
    assert empty == {"jobs": [], "pagination": {"offset": 0, "limit": 64, "total": 0,
                                                "has_more": False}}
    prompt = {"1": {"class_type": "EmptyLTXVLatentVideo",
                    "inputs": {"width": 64, "height": 64, "length": 9, "batch_size": 1}},
              "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
    ids = []
    for _ in range(3):
        request = urllib.request.Request(server.url + "/prompt", method="POST",
                                         data=json.dumps({"prompt": prompt}).encode())
        with urllib.request.urlopen(request, timeout=10) as answer:
            ids.append(json.load(answer)["prompt_id"])
        server.wait_idle()
    page = _json(server, "/api/jobs?status=completed&limit=2&offset=0")
    assert [job["id"] for job in page["jobs"]] == [ids[2], ids[1]]
    assert page["pagination"] == {"offset": 0, "limit": 2, "total": 3, "has_more": True}
    assert all(job["status"] == "completed" and "workflow" not in job for job in page["jobs"])
    assert _json(server, "/api/jobs?status=pending,in_progress")["jobs"] == []
    assert _get(server, "/api/jobs?limit=x")[0] == 400


def test_model_folders_for_the_model_library(server: ComfyTestServer) -> None:
    folders = {entry["name"]: entry["folders"] for entry in _json(server, "/api/experiment/models")}
    assert folders["checkpoints"] == ["/opt/comfy-base/models/checkpoints"]
    files = _json(server, "/api/experiment/models/checkpoints")
    assert {"name": catalog_models()["checkpoints"][0], "pathIndex": 0} in files
    assert _get(server, "/api/experiment/models/nowhere")[0] == 404
    # where the editor looks when a workflow names a model file the server lacks
    paths = _json(server, "/internal/folder_paths")
    assert paths["loras"] == ["/opt/comfy-base/models/loras"]


def test_python_m_tests_comfyserver_serves_the_editor_by_default() -> None:
    process = subprocess.Popen([sys.executable, "-m", "tests.comfyserver", "--port", "0",
                                "--log-level", "WARNING"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        url = lines[0].split(" listening on ")[1].strip()
        assert lines[2] == f"the editor: open {url}/ in a browser\n"
        with urllib.request.urlopen(url + "/", timeout=10) as answer:
            assert b'<div id="vue-app"' in answer.read()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
