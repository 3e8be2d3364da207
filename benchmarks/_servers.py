"""Out-of-process servers for benchmarks, so their memory never counts as the client's."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def comfy_test_server(*, output_bytes: int | None = None, sampler_steps: int = 3,
                      step_delay: float = 0.0, extra_args: Sequence[str] = ()
                      ) -> Iterator[str]:
    """``python -m tests.comfyserver`` in a child process with the SDK's whole catalog;
    ``extra_args``: more of its flags (``--model-load-seconds 2``...)."""
    sys.path.insert(0, str(ROOT))
    from ltx2sdk.model_files import CATALOG

    models: dict[str, list[str]] = {}
    for entry in CATALOG:
        models.setdefault(entry.folder, []).append(entry.name)
    with tempfile.TemporaryDirectory() as tmp:
        models_file = Path(tmp) / "models.json"
        models_file.write_text(json.dumps(models))
        port = free_port()
        cmd = [sys.executable, "-m", "tests.comfyserver", "--port", str(port), "--log-level",
               "WARNING", "--models-from", str(models_file), "--output-dir", f"{tmp}/out",
               "--sampler-steps", str(sampler_steps), "--step-delay", str(step_delay)]
        if output_bytes is not None:
            cmd += ["--output-bytes", str(output_bytes)]
        cmd += list(extra_args)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{url}/system_stats")
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


@contextmanager
def _child_http_server(args: list[str], port: int) -> Iterator[str]:
    """Run ``args`` (a server listening on ``port``) until the block ends; yield its URL."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 in server mode, in a child process (it keeps uploads in its own memory)."""
    port = free_port()
    moto = str(Path(sys.executable).parent / "moto_server")
    with _child_http_server([moto, "-H", "127.0.0.1", "-p", str(port)], port) as url:
        yield url


@contextmanager
def s3_sink() -> Iterator[str]:
    """``_s3_sink.py`` in a child process: an S3 endpoint that only counts bytes."""
    port = free_port()
    sink = str(Path(__file__).with_name("_s3_sink.py"))
    with _child_http_server([sys.executable, sink, str(port)], port) as url:
        yield url
