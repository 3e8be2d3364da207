"""Shared fixtures. Shared plain helpers (no fixture needed) are in ``tests/helpers.py``."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.graph.schema import SchemaSet
from tests.comfyserver import LTX2_MODELS, ComfyTestServer, Simulation
from tests.editor.fixtures import editor, editor_server, served_object_info  # noqa: F401
from tests.helpers import RELEASES, ApiProxy, catalog_models, catalog_server, free_port

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def no_ltx2_settings(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ltx2 command a test runs (in-process or as a subprocess) reads an empty settings
    file, never the developer's ~/.config/ltx2/config.toml."""
    empty = tmp_path_factory.getbasetemp() / "ltx2-settings-empty.toml"
    empty.touch(exist_ok=True)
    monkeypatch.setenv("LTX2_CONFIG", str(empty))


@pytest.fixture(autouse=True)
def partner_api_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches Comfy's real partner API: ``ltx2 check``'s probe of it (``--model
    ltx-2.5-api`` or ``all``) is answered here as a reachable API that takes the key given.
    The probe's own tests (``tests/app/test_check_partner_api.py``) put the real probe back,
    on a patched network."""
    from ltx2sdk.backends.comfyui import partner_api

    def answered(base: partner_api.ApiBase, key: Any, **_: Any) -> partner_api.PartnerReach:
        known = partner_api.NO_KEY if key is None else partner_api.KEY_ACCEPTED
        return partner_api.PartnerReach(base, partner_api.REACHABLE, known, status=200)

    monkeypatch.setattr(partner_api, "probe", answered)


@pytest.fixture(scope="session")
def object_info() -> dict[str, Any]:
    """GET /object_info of a real ComfyUI 0.26.0, limited to the LTX-2 node types."""
    data: dict[str, Any] = json.loads((FIXTURES / "object_info_ltx2.json").read_text())
    return data


@pytest.fixture(scope="session")
def live_schemas(object_info: dict[str, Any]) -> SchemaSet:
    return SchemaSet.from_object_info(object_info)


@pytest.fixture
def ltx_server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    """A fake ComfyUI with every file of the SDK's model catalog, 3 sampler steps
    (:func:`tests.helpers.catalog_server`; call that for one with other options)."""
    with catalog_server(tmp_path) as srv:
        yield srv


@pytest.fixture
def comfy_server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    """A fake ComfyUI 0.26.0 (real HTTP + WebSocket) on ``srv.url``, LTX-2 model files installed.

    Change ``srv.faults`` / ``srv.sim`` to inject failures or slow things down; for other model
    files or placeholders build your own ``ComfyTestServer(models=..., placeholders=...)``.
    """
    with ComfyTestServer(
        models=LTX2_MODELS, output_dir=tmp_path / "output", input_dir=tmp_path / "input"
    ) as srv:
        yield srv


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A local S3-compatible server (moto in server mode) with one bucket: the worker's
    ``LTX2_S3_*`` settings for it (the AWS credentials are set in the environment)."""
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    s3 = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    s3.start()
    env = {"LTX2_S3_BUCKET": "videos", "LTX2_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
           "LTX2_S3_REGION": "us-east-1"}
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    boto3.client("s3", endpoint_url=env["LTX2_S3_ENDPOINT_URL"],
                 region_name="us-east-1").create_bucket(Bucket="videos")
    yield env
    s3.stop()


@pytest.fixture(params=RELEASES, ids=lambda v: f"comfyui-{v}")
def versioned_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ComfyTestServer]:
    """Like ``ltx_server``, once per release of :data:`tests.helpers.RELEASES`: that
    release's whole /object_info, /system_stats and validation, every file of the SDK's model
    catalog, 3 sampler steps. ``srv.comfyui_version`` says which release it is. A test picks
    releases with ``@pytest.mark.parametrize("versioned_server", [...], indirect=True)``."""
    with catalog_server(tmp_path, comfyui_version=request.param) as srv:
        yield srv


# --- the Comfy API v2: the real comfy-api-proxy in front of the stand-in ------------------------


@dataclass
class ProxiedComfy:
    """A stand-in ComfyUI (``comfy``) behind the real ``comfy-api-proxy`` (``proxy``): ``url``
    is the Comfy API v2, ``comfy.url`` the same server's native API."""

    comfy: ComfyTestServer
    proxy: ApiProxy

    @property
    def url(self) -> str:
        return self.proxy.url


@pytest.fixture(scope="session")
def v2_installed() -> None:
    """Skips (saying why) unless comfy-sdk and comfy-api-proxy are installed (the ``dev``
    extra has both)."""
    for module, package in (("comfy_api_proxy", "comfy-api-proxy"), ("comfy_sdk", "comfy-sdk")):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{package} is not installed: pip install -e '.[dev]'")


@pytest.fixture(scope="session")
def v2_server(v2_installed: None, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[ProxiedComfy]:
    """One stand-in ComfyUI with every catalog model (3 sampler steps) behind one
    ``comfy-api-proxy`` (its state in a directory, so it may be restarted), for the session.
    A test that changes ``comfy.faults`` or ``comfy.sim`` puts them back; a graph a test runs
    has inputs of its own (the stand-in caches identical prompts)."""
    root = tmp_path_factory.mktemp("v2")
    with catalog_server(root) as srv, \
            ApiProxy(srv.url, state_dir=root / "proxy-state") as proxy:
        yield ProxiedComfy(srv, proxy)


@pytest.fixture(scope="session")
def v2_placeholder_server(v2_installed: None, tmp_path_factory: pytest.TempPathFactory
                          ) -> Iterator[ProxiedComfy]:
    """Like ``v2_server``, but every model file of the catalog is an empty placeholder: each
    validates, and its loader fails when the job runs (the captured execution_error)."""
    root = tmp_path_factory.mktemp("v2-placeholders")
    with ComfyTestServer(models={}, placeholders=catalog_models(), output_dir=root / "out",
                         sim=Simulation(sampler_steps=3)) as srv, ApiProxy(srv.url) as proxy:
        yield ProxiedComfy(srv, proxy)
