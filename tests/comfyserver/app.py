"""HTTP and WebSocket routes, each served with and without the ``/api`` prefix like ComfyUI."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import mimetypes
import os
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.multipart import BodyPartReader

from . import identity
from .catalog import NodeCatalog
from .faults import Faults, Hang
from .files import Storage, UploadRejected, sha256_of
from .frontend import EditorRoutes, templates_dir
from .hub import Client, Hub
from .jobs import job_view, list_jobs
from .nodes import Simulation
from .state import QueueItem, ServerState, UploadRecord, now_ms
from .validation import validate_prompt
from .versions import rules_for
from .workload import pace

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

POLL = 0.01
# extra_data keys ComfyUI keeps out of the queue and history.
SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")
# Bodies are limited by the middleware (faults.max_upload_bytes can change at run time), so
# aiohttp's own limit is set out of the way.
_AIOHTTP_BODY_LIMIT = 1 << 40
_UPLOAD_CHUNK = 1024 * 1024
_PACED_CHUNK = 64 * 1024  # under a bandwidth cap: fine enough steps for a smooth pace
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _empty(status: int = 200) -> web.Response:
    return web.Response(status=status)


def _is_canonical_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


class ComfyRoutes:
    """Request handlers over the shared server state."""

    def __init__(
        self,
        state: ServerState,
        hub: Hub,
        catalog: NodeCatalog,
        storage: Storage,
        faults: Faults,
        port: Callable[[], int],
        comfyui_version: str | None = None,
        frontend: Path | None = None,
        sim: Simulation | None = None,
    ) -> None:
        self.state = state
        self.hub = hub
        self.catalog = catalog
        self.storage = storage
        self.faults = faults
        self.port = port
        self.comfyui_version = comfyui_version
        self.rules = rules_for(comfyui_version)
        self.editor = EditorRoutes(frontend, templates_dir()) if frontend is not None else None
        self.sim = sim if sim is not None else Simulation()  # the bandwidth caps

    def build(self) -> web.Application:
        app = web.Application(
            client_max_size=_AIOHTTP_BODY_LIMIT,
            middlewares=[self._record, self._tamper, self._origin_check, self._body_limit],
        )
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/ws", self.websocket),
            ("GET", "/system_stats", self.system_stats),
            ("GET", "/features", self.features),
            ("GET", "/extensions", self.extensions),
            ("GET", "/embeddings", self.embeddings),
            ("GET", "/models", self.model_folders),
            ("GET", "/models/{folder}", self.model_files),
            ("GET", "/experiment/models", self.experiment_folders),
            ("GET", "/experiment/models/{folder}", self.experiment_files),
            ("GET", "/object_info", self.object_info),
            ("GET", "/object_info/{node_class}", self.object_info_node),
            ("GET", "/prompt", self.prompt_status),
            ("POST", "/prompt", self.post_prompt),
            ("POST", "/validate_prompt", self.validate_only),
            ("GET", "/queue", self.get_queue),
            ("POST", "/queue", self.post_queue),
            ("GET", "/history", self.get_history),
            ("GET", "/history/{prompt_id}", self.get_history_item),
            ("POST", "/history", self.post_history),
            ("GET", "/jobs", self.get_jobs),
            ("GET", "/jobs/{prompt_id}", self.get_job),
            ("POST", "/jobs/{prompt_id}/cancel", self.cancel_job),
            ("POST", "/interrupt", self.interrupt),
            ("POST", "/free", self.free),
            ("GET", "/view", self.view),
            ("POST", "/upload/image", self.upload_image),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
            app.router.add_route(method, "/api" + path, handler)
        # ComfyUI mounts its internal routes at /internal only (server.py, internal_routes.py)
        app.router.add_get("/internal/folder_paths", self.folder_paths)
        # the stand-in's own log (tests/comfyserver/workload.py): no ComfyUI has this route
        app.router.add_get("/ltx2sdk-standin/stats", self.standin_stats)
        if self.editor is not None:
            self.editor.add_to(app)
        else:
            app.router.add_get("/", self.index)
        return app

    # -- middlewares ----------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.state.received.requests.append((request.method, request.path))
        return await handler(request)

    @web.middleware
    async def _tamper(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        while self.faults.frozen:  # served once it is cleared, as a stopped process would
            await asyncio.sleep(0.01)
        tamper = self.faults.tamper
        if tamper is not None:
            answer = await tamper(request, handler)
            if answer is not None:
                return answer
        return await handler(request)

    @web.middleware
    async def _body_limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        limit = self.faults.max_upload_bytes
        if request.content_length is not None and request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
        return await handler(request)

    @web.middleware
    async def _origin_check(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # ComfyUI refuses cross-origin requests to a loopback host (DNS-rebinding guard).
        host = (request.headers.get("Host") or "").lower()
        origin = request.headers.get("Origin")
        if origin and host:
            origin_host = urllib.parse.urlsplit(origin).netloc.lower()
            loopback = urllib.parse.urlsplit("//" + host).hostname in _LOOPBACK
            if loopback and origin_host and origin_host != host:
                return _empty(403)
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            return _empty(403)
        return await handler(request)

    # -- websocket ------------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()  # aiohttp defaults, as ComfyUI (4 MiB frames, compress)
        await ws.prepare(request)
        sid = request.query.get("clientId") or uuid.uuid4().hex
        self.hub.register(Client(sid, ws, request.transport))
        try:
            await ws.send_str(json.dumps({
                "type": "status",
                "data": {"status": {"exec_info": {"queue_remaining": self.state.queue_remaining}},
                         "sid": sid},
            }))
            running, node = self.state.running, self.state.last_node_id
            if running is not None and running.client_id == sid and node is not None:
                await ws.send_str(json.dumps({"type": "executing", "data": {"node": node}}))
            first = True
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    log.warning("invalid JSON from websocket client %s", sid)
                    continue
                self.state.received.ws_messages.append((sid, data))
                if first and isinstance(data, dict) and data.get("type") == "feature_flags":
                    client = self.hub.clients.get(sid)
                    if client is not None:
                        client.feature_flags = dict(data.get("data") or {})
                    await ws.send_str(json.dumps({
                        "type": "feature_flags",
                        "data": identity.features(self.faults.max_upload_bytes),
                    }))
                first = False
        finally:
            self.hub.unregister(sid)
        return ws

    # -- static-ish GETs ------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html><body>ComfyUI test server</body></html>",
                            content_type="text/html")

    async def system_stats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(identity.system_stats(self.port(), self.comfyui_version))

    async def features(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(identity.features(self.faults.max_upload_bytes))

    async def extensions(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([])

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        names = self.catalog.models.listing("embeddings")
        return web.json_response([os.path.splitext(n)[0] for n in names])

    async def model_folders(self, request: web.Request) -> web.StreamResponse:
        extra = [f for f in self.catalog.models.files if f not in identity.MODEL_FOLDERS]
        return web.json_response([*identity.MODEL_FOLDERS, *extra])

    async def model_files(self, request: web.Request) -> web.StreamResponse:
        folder = request.match_info["folder"]
        if folder not in identity.MODEL_FOLDERS and folder not in self.catalog.models.files:
            return _empty(404)
        return web.json_response(self.catalog.models.listing(folder))

    async def experiment_folders(self, request: web.Request) -> web.StreamResponse:
        # app/model_manager.py: each folder with the paths it is read from (one per folder
        # here, under the captured --base-directory)
        names = [*identity.MODEL_FOLDERS,
                 *(f for f in self.catalog.models.files if f not in identity.MODEL_FOLDERS)]
        return web.json_response([{"name": name, "folders": [f"{identity.MODELS_ROOT}/{name}"]}
                                  for name in names])

    async def folder_paths(self, request: web.Request) -> web.StreamResponse:
        # each models folder with the paths it is read from
        names = [*identity.MODEL_FOLDERS,
                 *(f for f in self.catalog.models.files if f not in identity.MODEL_FOLDERS)]
        return web.json_response({name: [f"{identity.MODELS_ROOT}/{name}"] for name in names})

    async def experiment_files(self, request: web.Request) -> web.StreamResponse:
        folder = request.match_info["folder"]
        if folder not in identity.MODEL_FOLDERS and folder not in self.catalog.models.files:
            return _empty(404)
        return web.json_response([{"name": name, "pathIndex": 0}
                                  for name in self.catalog.models.listing(folder)])

    async def object_info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.catalog.all_info())

    async def object_info_node(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["node_class"]
        if name not in self.catalog:
            return web.json_response({})
        return web.json_response({name: self.catalog.info(name)})

    # -- prompts --------------------------------------------------------------------------------

    async def prompt_status(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"exec_info": {"queue_remaining": self.state.queue_remaining}})

    async def post_prompt(self, request: web.Request) -> web.StreamResponse:
        # A body that is not JSON raises here; aiohttp then answers exactly like ComfyUI did
        # (500 text/plain "Server got itself in trouble", Connection: close).
        body = await request.json()
        self.state.received.prompts.append(copy.deepcopy(body))
        while self.faults.hang is Hang.NO_RESPONSE:
            if self.state.closing:
                return _empty(503)
            await asyncio.sleep(POLL)
        if "number" in body:
            number: int | float = float(body["number"])
        else:
            number = self.state.next_number()
            if body.get("front"):
                number = -number
        if "prompt" not in body:
            error = {"type": "no_prompt", "message": "No prompt provided",
                     "details": "No prompt provided", "extra_info": {}}
            return web.json_response({"error": error, "node_errors": {}}, status=400)
        prompt_id = str(body.get("prompt_id", uuid.uuid4()))
        if not _is_canonical_uuid(prompt_id):
            error = {
                "type": "invalid_prompt_id",
                "message": "prompt_id must be a valid UUID",
                "details": "prompt_id must be a UUID string in canonical lowercase hyphenated "
                "form; omit it to let the server generate one",
                "extra_info": {},
            }
            return web.json_response({"error": error, "node_errors": {}}, status=400)

        prompt = copy.deepcopy(body["prompt"])
        result = validate_prompt(
            prompt, self.catalog, self.storage.input_exists, body.get("partial_execution_targets"),
            self.rules,
        )
        if not result.ok:
            return web.json_response(
                {"error": result.error, "node_errors": result.node_errors}, status=400
            )
        extra_data = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        signed_in = any(isinstance(extra_data.get(key), str) and extra_data[key].strip()
                        for key in SENSITIVE_EXTRA_DATA_KEYS)
        for key in SENSITIVE_EXTRA_DATA_KEYS:
            extra_data.pop(key, None)
        extra_data["create_time"] = now_ms()
        self.state.put(QueueItem(number, prompt_id, prompt, extra_data, result.outputs,
                                 signed_in=signed_in))
        return web.json_response(
            {"prompt_id": prompt_id, "number": number, "node_errors": result.node_errors}
        )

    async def validate_only(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if "prompt" not in body:
            error = {"type": "no_prompt", "message": "No prompt provided",
                     "details": "No prompt provided", "extra_info": {}}
            return web.json_response({"valid": False, "error": error, "node_errors": {}},
                                     status=400)
        result = validate_prompt(
            copy.deepcopy(body["prompt"]), self.catalog, self.storage.input_exists,
            body.get("partial_execution_targets"), self.rules,
        )
        if result.ok:
            return web.json_response(
                {"valid": True, "outputs": result.outputs, "node_errors": result.node_errors}
            )
        return web.json_response(
            {"valid": False, "error": result.error, "node_errors": result.node_errors},
            status=400,
        )

    # -- queue, history, jobs -------------------------------------------------------------------

    async def get_queue(self, request: web.Request) -> web.StreamResponse:
        running = self.state.running
        pending = sorted(self.state.pending, key=lambda i: i.number)
        return web.json_response({
            "queue_running": [running.as_list()] if running is not None else [],
            "queue_pending": [item.as_list() for item in pending],
        })

    async def post_queue(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.state.received.queue_ops.append(body)
        if body.get("clear"):
            self.state.clear_pending()
        for prompt_id in body.get("delete", []):
            self.state.delete_pending(prompt_id)
        return _empty()

    async def get_history(self, request: web.Request) -> web.StreamResponse:
        history = self.state.history
        max_items = request.query.get("max_items")
        limit = int(max_items) if max_items is not None else None
        offset = int(request.query.get("offset", -1))
        if offset < 0 and limit is not None:
            offset = len(history) - limit
        selected: dict[str, Any] = {}
        for index, (prompt_id, entry) in enumerate(history.items()):
            if index >= offset:
                selected[prompt_id] = entry
                if limit is not None and len(selected) >= limit:
                    break
        return web.json_response(selected)

    async def get_history_item(self, request: web.Request) -> web.StreamResponse:
        prompt_id = request.match_info["prompt_id"]
        entry = self.state.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry is not None else {})

    async def post_history(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("clear"):
            self.state.history.clear()
        for prompt_id in body.get("delete", []):
            self.state.history.pop(prompt_id, None)
        return _empty()

    async def get_jobs(self, request: web.Request) -> web.StreamResponse:
        statuses = {s for s in request.query.get("status", "").split(",") if s}
        try:
            limit = int(request.query["limit"]) if "limit" in request.query else None
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return web.json_response({"error": "limit and offset must be integers"},
                                     status=400)
        return web.json_response(list_jobs(self.state, statuses, limit, max(offset, 0)))

    async def get_job(self, request: web.Request) -> web.StreamResponse:
        prompt_id = request.match_info["prompt_id"]
        view = job_view(self.state, prompt_id)
        if view is None:
            return web.json_response({"error": "Job not found"}, status=404)
        return web.json_response(view)

    async def cancel_job(self, request: web.Request) -> web.StreamResponse:
        prompt_id = request.match_info["prompt_id"]
        if job_view(self.state, prompt_id) is None:
            return web.json_response({"error": "Job not found"}, status=404)
        cancelled = self.state.delete_pending(prompt_id) or (
            self.state.running is not None and self.state.request_interrupt(prompt_id)
        )
        return web.json_response({"cancelled": cancelled})

    async def interrupt(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] | None
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.state.received.interrupts.append(body)
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        self.state.request_interrupt(prompt_id or None)
        return _empty()

    async def free(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.state.received.frees.append(body)
        # ComfyUI's worker unloads every model for unload_models, which defaults to
        # free_memory (main.py: flags.get("unload_models", free_memory)): the next prompt loads
        if isinstance(body, dict) and body.get("unload_models", body.get("free_memory")):
            self.state.stats.unload_all()
        return _empty()

    # -- files ----------------------------------------------------------------------------------

    async def view(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if "filename" not in query:
            return _empty(404)
        found = self.storage.resolve_view(
            query["filename"], query.get("subfolder"), query.get("type", "output")
        )
        if isinstance(found, int):
            return _empty(found)
        content_type = _view_content_type(found.name)
        if self.sim.download_bytes_per_s:
            return await self._paced_view(request, found, content_type)
        stats = self.state.stats  # handed to the OS at once: no time of its own to log
        stats.transferred(stats.downloads, found.stat().st_size, 0.0)
        return web.FileResponse(
            found,
            headers={
                "Content-Disposition": f'filename="{found.name}"',
                "Content-Type": content_type,
            },
        )

    async def _paced_view(self, request: web.Request, path: Path,
                          content_type: str) -> web.StreamResponse:
        """``/view`` under Simulation.download_bytes_per_s: the file streamed no faster."""
        size = path.stat().st_size
        response = web.StreamResponse(headers={
            "Content-Disposition": f'filename="{path.name}"', "Content-Type": content_type,
            "Content-Length": str(size)})
        await response.prepare(request)
        started, sent, stats = time.monotonic(), 0, self.state.stats
        with path.open("rb") as handle:
            while chunk := handle.read(_PACED_CHUNK):
                sent += len(chunk)
                await pace(started, sent, self.sim.download_bytes_per_s)  # then send it
                if sent >= size:  # logged before the client can have the whole body
                    stats.transferred(stats.downloads, sent, time.monotonic() - started)
                await response.write(chunk)
        if not size:
            stats.transferred(stats.downloads, 0, 0.0)
        await response.write_eof()
        return response

    async def standin_stats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.state.stats.as_json())

    async def upload_image(self, request: web.Request) -> web.StreamResponse:
        if not request.content_type.startswith("multipart/"):
            return _empty(400)
        fields: dict[str, str] = {}
        staged: Path | None = None
        original = ""
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "image" and part.filename is not None:
                original = part.filename
                staged = await self._stage(part)
            elif part.name is not None and part.filename is None:
                fields[part.name] = await part.text()
            else:
                await part.release()  # some other file field: ignored, like ComfyUI
        if staged is None:
            return _empty(400)
        overwrite = fields.get("overwrite") in ("true", "1")
        kind = fields.get("type") or "input"
        subfolder = fields.get("subfolder", "")
        size, digest = staged.stat().st_size, sha256_of(staged)
        try:
            name = self.storage.place_upload(staged, original, subfolder, kind, overwrite)
        except UploadRejected:
            staged.unlink(missing_ok=True)
            return _empty(400)
        self.state.received.uploads.append(
            UploadRecord(name, subfolder, kind, original, size, digest, overwrite)
        )
        return web.json_response({"name": name, "subfolder": subfolder, "type": kind})

    async def _stage(self, part: BodyPartReader) -> Path:
        """Stream one uploaded file to disk, enforcing the body limit on chunked uploads."""
        staging = self.storage.temp_dir / ".uploads"
        staging.mkdir(exist_ok=True)
        path = staging / uuid.uuid4().hex
        limit, size = self.faults.max_upload_bytes, 0
        rate = self.sim.upload_bytes_per_s
        started = time.monotonic()
        with path.open("wb") as handle:
            # capped: small reads, so the client's sending is held back as it goes
            while chunk := await part.read_chunk(_PACED_CHUNK if rate else _UPLOAD_CHUNK):
                size += len(chunk)
                if size > limit:
                    handle.close()
                    path.unlink(missing_ok=True)
                    raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
                handle.write(chunk)
                await pace(started, size, rate)
        stats = self.state.stats
        stats.transferred(stats.uploads, size, time.monotonic() - started)
        return path


def _view_content_type(filename: str) -> str:
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    # ComfyUI forces a download for types a browser would render or run.
    if content_type in {"text/html", "text/html-sandboxed", "application/xhtml+xml",
                        "text/javascript", "text/css"}:
        content_type = "application/octet-stream"
    return content_type
