"""ComfyUI's own editor (PyPI ``comfyui-frontend-package``) served by the stand-in.

A real ComfyUI serves the frontend's static files at ``/`` and a few routes the editor needs
to boot beside the API the SDK uses (``server.py`` and ``app/user_manager.py``,
``app/app_settings.py`` of ComfyUI): the user list, settings, the user-data folder (saved
workflows, the editor's own ``comfy.templates.json`` and so on), custom nodes' translations
and templates. This module answers those as a fresh single-user ComfyUI does: no user data
but what the editor writes during the session (kept in memory), default settings, no custom
nodes. The editor then boots without a failed request or console error against the
stand-in's ``/object_info`` (tests/editor/test_frontend_oracle.py holds it to that).
"""

from __future__ import annotations

import mimetypes
import urllib.parse
from pathlib import Path
from typing import Any

from aiohttp import web

FRONTEND_PACKAGE = "comfyui_frontend_package"
"""Import name of the PyPI package ``comfyui-frontend-package``."""
TEMPLATES_PACKAGE = "comfyui_workflow_templates_json"
"""Import name of the PyPI package ``comfyui-workflow-templates-json`` (the official templates
ComfyUI serves at ``/templates``; a [dev] extra of this project)."""

# Folders of the user's directory that a fresh ComfyUI has (listing one answers ``[]``, not the
# 404 of a folder that does not exist): where the editor saves workflows and subgraphs.
USER_FOLDERS = ("workflows", "subgraphs")

DEFAULT_SETTINGS: dict[str, Any] = {
    # the stand-in is offline: no look-up of ComfyUI releases on api.comfy.org
    "Comfy.Notification.ShowVersionUpdates": False,
    # a user past the first run: no templates dialog over the canvas
    "Comfy.TutorialCompleted": True,
    # the captured releases' /system_stats name the template and docs packages that server
    # had, older than it required; the editor would warn about that server's install on
    # every start (toasts over the canvas) though nothing here uses those packages
    "Comfy.VersionCompatibility.DisableWarnings": True,
}
"""The stand-in user's settings (the editor's defaults for everything else)."""

DEFAULT_USERDATA: dict[str, bytes] = {
    # A fresh ComfyUI answers 404 for these three and the editor logs each 404 as a console
    # error; the stand-in's user has them empty, so that a test can demand a boot without any
    # error: the legacy node templates ("Save selected as template", saved then deleted) and
    # the user's style sheet (read as /user.css and /api/userdata/user.css).
    "comfy.templates.json": b"[]",
    "user.css": b"",
}
"""The stand-in user's files, by path in the user's folder."""


def _package_dir(name: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def frontend_dir() -> Path | None:
    """The installed frontend's static folder (its ``index.html``), or None when the package
    is not installed (the stand-in then serves only the API)."""
    package = _package_dir(FRONTEND_PACKAGE)
    static = package / "static" if package is not None else None
    return static if static is not None and (static / "index.html").is_file() else None


def templates_dir() -> Path | None:
    """The installed official templates' folder (``index.json`` and the workflows), or None."""
    package = _package_dir(TEMPLATES_PACKAGE)
    folder = package / "templates" if package is not None else None
    return folder if folder is not None and (folder / "index.json").is_file() else None


def frontend_version() -> str | None:
    """The installed ``comfyui-frontend-package`` version, or None."""
    from importlib import metadata

    try:
        return metadata.version("comfyui-frontend-package")
    except metadata.PackageNotFoundError:
        return None


class EditorRoutes:
    """The routes only the editor needs, over an in-memory user folder (one user).

    ``settings`` start empty (the editor then uses its defaults); ``userdata`` maps a path in
    the user folder (``workflows/a.json``) to its bytes.
    """

    def __init__(self, static: Path, templates: Path | None = None) -> None:
        self.static = static
        self.templates = templates
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.userdata: dict[str, bytes] = dict(DEFAULT_USERDATA)

    def add_to(self, app: web.Application) -> None:
        """Add the editor's routes (with and without ``/api`` like ComfyUI) and the static
        files (last, so that every API route wins)."""
        routes = [
            ("GET", "/users", self.users),
            ("POST", "/users", self.create_user),
            ("GET", "/settings", self.get_settings),
            ("POST", "/settings", self.post_settings),
            ("GET", "/settings/{id}", self.get_setting),
            ("POST", "/settings/{id}", self.post_setting),
            ("GET", "/userdata", self.list_userdata),
            ("GET", "/v2/userdata", self.list_userdata_v2),
            ("GET", "/userdata/{file}", self.get_userdata),
            ("POST", "/userdata/{file}", self.post_userdata),
            ("DELETE", "/userdata/{file}", self.delete_userdata),
            ("GET", "/i18n", self.empty_object),
            ("GET", "/workflow_templates", self.empty_object),
            ("GET", "/node_replacements", self.empty_object),
            ("GET", "/global_subgraphs", self.empty_object),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
            app.router.add_route(method, "/api" + path, handler)
        app.router.add_get("/", self.index)
        app.router.add_get("/user.css", self.user_css)
        if self.templates is not None:
            app.router.add_static("/templates", self.templates)
        app.router.add_static("/", self.static)

    # -- the page ------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        # ComfyUI serves index.html uncached (server.py get_root).
        return web.FileResponse(self.static / "index.html", headers={
            "Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "0"})

    async def user_css(self, request: web.Request) -> web.StreamResponse:
        css = self.userdata.get("user.css")
        if css is None:
            return web.Response(status=404)
        return web.Response(body=css, content_type="text/css")

    # -- users and settings (app/user_manager.py, app/app_settings.py) -------------------------

    async def users(self, request: web.Request) -> web.StreamResponse:
        # single-user mode: the default user's folder exists (it was "migrated" from the
        # browser's local storage, so the editor does not ask for a user name)
        return web.json_response({"storage": "server", "migrated": True})

    async def create_user(self, request: web.Request) -> web.StreamResponse:
        return web.json_response("default")

    async def get_settings(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.settings)

    async def post_settings(self, request: web.Request) -> web.StreamResponse:
        self.settings.update(await request.json())
        return web.Response(status=200)

    async def get_setting(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.settings.get(request.match_info["id"]))

    async def post_setting(self, request: web.Request) -> web.StreamResponse:
        self.settings[request.match_info["id"]] = await request.json()
        return web.Response(status=200)

    # -- the user folder (app/user_manager.py) --------------------------------------------------

    def _under(self, folder: str) -> list[str]:
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        return sorted(p for p in self.userdata if p.startswith(prefix))

    async def list_userdata(self, request: web.Request) -> web.StreamResponse:
        # GET /userdata?dir=workflows&recurse=true&split=false&full_info=true: a missing
        # folder is a 404, as ComfyUI answers before anything was saved there
        folder = request.query.get("dir", "")
        paths = self._under(folder)
        if not paths and folder.strip("/") not in USER_FOLDERS:
            return web.Response(status=404)
        cut = len(folder.strip("/")) + 1 if folder.strip("/") else 0
        if request.query.get("full_info", "false").lower() == "true":
            return web.json_response([
                {"path": p[cut:], "size": len(self.userdata[p]), "modified": 0.0}
                for p in paths])
        return web.json_response([p[cut:] for p in paths])

    async def list_userdata_v2(self, request: web.Request) -> web.StreamResponse:
        folder = request.query.get("path", "").strip("/")
        return web.json_response([
            {"name": p.rsplit("/", 1)[-1], "path": p, "type": "file",
             "size": len(self.userdata[p]), "modified": 0.0}
            for p in self._under(folder)])

    async def get_userdata(self, request: web.Request) -> web.StreamResponse:
        path = urllib.parse.unquote(request.match_info["file"])
        if path not in self.userdata:
            return web.Response(status=404)
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return web.Response(body=self.userdata[path], content_type=kind)

    async def post_userdata(self, request: web.Request) -> web.StreamResponse:
        path = urllib.parse.unquote(request.match_info["file"])
        overwrite = request.query.get("overwrite", "true").lower() != "false"
        if path in self.userdata and not overwrite:
            return web.Response(status=409, text="File already exists")
        self.userdata[path] = await request.read()
        if request.query.get("full_info", "false").lower() == "true":
            return web.json_response({"path": path, "size": len(self.userdata[path]),
                                      "modified": 0.0})
        return web.json_response(path)

    async def delete_userdata(self, request: web.Request) -> web.StreamResponse:
        path = urllib.parse.unquote(request.match_info["file"])
        if self.userdata.pop(path, None) is None:
            return web.Response(status=404)
        return web.Response(status=204)

    # -- custom nodes' extras (none) ------------------------------------------------------------

    async def empty_object(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({})
