"""ComfyUI's own editor in a headless browser, as an oracle for the SDK's editor workflows.

:class:`Editor` drives the real frontend (PyPI ``comfyui-frontend-package``), served by the
stand-in (``ComfyTestServer(frontend=True)``), in Debian's ``/usr/bin/chromium`` through
Playwright: it loads an editor workflow with the app's own ``app.loadGraphData`` (what
dropping a file on the canvas does), or an API prompt with ``app.loadApiJson``, and asks the
app for the prompt it would queue (``app.graphToPrompt()``, what "Export (API)" saves).

Why Playwright (not Selenium + chromedriver): it talks to the browser over the DevTools
protocol with no driver binary to keep in step with the browser, awaits the page's promises
in ``evaluate``, sees console messages, page errors and every request (so the browser can be
held to 127.0.0.1), and its wheel carries its own driver; it never downloads a browser here
(``executable_path`` is Debian's chromium). Each launch gets a fresh temporary profile.

One browser and one page serve a whole test session (the editor boots once, in seconds);
every call is bounded by :data:`TIMEOUT_MS`. Playwright's synchronous API runs an asyncio
loop in the thread that starts it, which would make every later ``asyncio.run`` of the test
session fail ("cannot be called from a running event loop"); so the browser lives in a thread
of its own and each public method runs there.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium (``apt-get install chromium``; .ci/run installs it)."""

CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
"""Headless chromium as root in a container, with nothing of its own to fetch."""

TIMEOUT_MS = 60_000
"""Bound of each browser step: start-up, page boot, one load or export."""

CLEAR_TIMEOUT_MS = 5_000
"""How long :meth:`Editor.clear_notices` keeps closing notices that are drawn again."""

CALL_TIMEOUT_S = 3 * TIMEOUT_MS / 1000
"""Bound of one public call as seen from the test's thread (a few browser steps)."""

VIEWPORT = {"width": 1600, "height": 1000}
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_LOCAL_SCHEMES = ("data:", "blob:", "about:")

# What the page does for Editor: read by the app in the page, answered as JSON-able values.
_BOOTED = "() => !!(window.app && window.app.graph && window.app.canvas && window.LiteGraph)"

_MISSING_TYPES = """(workflow) => {
  const defined = new Set(((workflow.definitions || {}).subgraphs || []).map((s) => s.id));
  const nodes = [...(workflow.nodes || []),
                 ...((workflow.definitions || {}).subgraphs || []).flatMap((s) => s.nodes || [])];
  const known = window.LiteGraph.registered_node_types;
  return [...new Set(nodes.map((n) => n.type)
    .filter((t) => !(t in known) && !defined.has(t)))].sort();
}"""

# The editor's toasts, notices and dialogs: ARIA alerts, statuses and dialogs a person sees
# (not the screen-reader copies in .sr-only), each with a button (Close, View details).
_NOTICE_SELECTOR = "[role=alert], [role=status], [role=alertdialog], [role=dialog]"

_NOTICES = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => !e.closest('.sr-only') && e.getClientRects().length > 0
                 && e.querySelector('button'))
  .map((e) => e.innerText.replace(/\\s+/g, ' ').trim()).filter((t) => t)"""

# Clicks every shown notice's close button; true once none is shown (polled: a notice may
# be drawn again while the editor finishes a scan).
_CLEAR_NOTICES = """(selector) => {
  let shown = 0;
  for (const notice of document.querySelectorAll(selector)) {
    if (notice.closest('.sr-only') || notice.getClientRects().length === 0
        || !notice.querySelector('button')) continue;
    shown += 1;
    for (const button of notice.querySelectorAll('button')) {
      const label = (button.getAttribute('aria-label') || button.innerText || '').trim();
      if (/^(close|dismiss)$/i.test(label)) button.click();
    }
  }
  return shown === 0;
}"""

_LOAD = """async (workflow) => {
  const result = await window.app.loadGraphData(workflow, true, true, null, {});
  return result === false ? 'the editor failed to load the workflow' : null;
}"""

_LOAD_API = """async ([prompt, name]) => { await window.app.loadApiJson(prompt, name); }"""

_FRAMES = """(count) => new Promise((done) => {
  const step = (left) => left <= 0 ? done() : requestAnimationFrame(() => step(left - 1));
  step(count);
})"""

_FIT_VIEW = """async () => {
  await window.app.extensionManager.command.execute('Comfy.Canvas.FitView');
  window.app.canvas.setDirty(true, true);
}"""

_SET_SETTING = """async ([id, value]) => {
  await window.app.extensionManager.setting.set(id, value);
  window.app.canvas.setDirty(true, true);
}"""

_PROMPT = """async () => (await window.app.graphToPrompt()).output"""

_WORKFLOW = """async () => (await window.app.graphToPrompt()).workflow"""


PARTNER_GATE = "partner_run_gate_blocked"
"""The editor's console note that a workflow of partner (API) nodes cannot run without a
signed-in Comfy account; it reports that to its error telemetry (Sentry), a request this
harness blocks."""


def partner_gate_set_aside(problems: list[str], warnings: list[str]
                           ) -> tuple[list[str], list[str], bool]:
    """``problems`` and ``warnings`` without the editor's partner-account note and its blocked
    telemetry report (about the account, not the workflow), and whether the note was there."""
    gate = [w for w in warnings if PARTNER_GATE in w]
    if not gate:
        return problems, warnings, False
    return ([p for p in problems if not (p.startswith("blocked") and "sentry" in p)],
            [w for w in warnings if w not in gate], True)


def as_javascript_numbers(value: Any) -> Any:
    """``value`` with every integral float made an int, as it comes back from the page:
    JavaScript has one number type, so the editor writes ``1.0`` as ``1`` (ComfyUI takes
    either for a FLOAT input). Compare an SDK prompt with the editor's through this."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: as_javascript_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_javascript_numbers(v) for v in value]
    return value


def declared_default(spec: Any) -> Any:
    """The value an ``/object_info`` input spec declares as its default (a combo's first
    option, a dynamic combo's first key, when it names none); None when it declares none."""
    if not isinstance(spec, list) or not spec:
        return None
    options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    if "default" in options:
        return options["default"]
    if isinstance(spec[0], list):
        return spec[0][0] if spec[0] else None
    choices = options.get("options")
    if isinstance(choices, list) and choices:
        first = choices[0]
        return first.get("key") if isinstance(first, dict) else first
    return None


def drop_added_defaults(editor: dict[str, Any], other: dict[str, Any],
                        object_info: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The editor's prompt without the optional inputs it adds at their declared default
    where ``other`` (matched by node id) leaves them out, and those inputs as lines.

    The editor writes a value for every widget, hidden ones too (``SaveVideo.codec`` of
    ComfyUI 0.38, kept for older prompts), filling those a workflow or prompt has no value
    for with the default; an SDK prompt or a reading that left them out leaves such an optional
    input out, which ComfyUI runs the same (a missing optional input is its default)."""
    kept: dict[str, Any] = {}
    added: list[str] = []
    for node_id, entry in editor.items():
        theirs = other.get(node_id, {})
        optional = (object_info.get(str(entry.get("class_type")), {}).get("input", {})
                    .get("optional", {}))
        inputs = {}
        for name, value in entry.get("inputs", {}).items():
            if (theirs.get("class_type") == entry.get("class_type")
                    and name not in theirs.get("inputs", {}) and name in optional
                    and value == declared_default(optional[name]) and value is not None):
                added.append(f"node {node_id} {entry.get('class_type')}: "
                             f"{name}={json.dumps(value)}")
                continue
            inputs[name] = value
        kept[node_id] = {**entry, "inputs": inputs}
    return kept, added


def prompt_differences(editor: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """What differs between the editor's prompt and ``other`` node by node, matched by node
    id (``Graph.from_ui``'s importer numbers nodes as the editor does: ``"92:41"`` is node 41 of
    subgraph instance 92): nodes only one side has, class types, inputs (links shown as
    ``[id, slot]``). Empty when they are equal up to ``_meta``."""
    def shown(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines: list[str] = []
    for node_id in sorted({*editor, *other}, key=_id_key):
        mine, theirs = editor.get(node_id), other.get(node_id)
        if mine is None or theirs is None:
            entry = mine if mine is not None else theirs
            assert entry is not None
            side = "only the editor" if theirs is None else "only the other"
            lines.append(f"node {node_id} {entry.get('class_type')}: {side} has it")
            continue
        where = f"node {node_id} {mine.get('class_type')}"
        if mine.get("class_type") != theirs.get("class_type"):
            lines.append(f"{where}: class {theirs.get('class_type')} in the other")
            continue
        a, b = mine.get("inputs", {}), theirs.get("inputs", {})
        for name in sorted({*a, *b}):
            if name not in b:
                lines.append(f"{where}: input {name}={shown(a[name])} only in the editor's")
            elif name not in a:
                lines.append(f"{where}: input {name}={shown(b[name])} only in the other")
            elif shown(a[name]) != shown(b[name]):
                lines.append(f"{where}: input {name}: editor {shown(a[name])}, "
                             f"other {shown(b[name])}")
    return lines


def _id_key(node_id: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (1 << 62, p) for p in node_id.split(":"))


class EditorUnavailable(RuntimeError):
    """Chromium or Playwright is missing: the editor tests cannot run here."""


def unavailable_reason() -> str | None:
    """Why the editor cannot run on this machine (None: it can)."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401  (a [dev] extra)
    except ModuleNotFoundError:
        return "playwright is not installed (a [dev] extra: pip install -e '.[dev]')"
    return None


@dataclass
class PageLog:
    """What the page reported since :meth:`clear`: console errors (uncaught page errors
    included) and warnings, failed requests (4xx/5xx answers, network failures), and the
    requests beyond 127.0.0.1, which are blocked."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.errors.clear()
        self.warnings.clear()
        self.requests.clear()
        self.blocked.clear()


def _in_browser_thread(method: Callable[Concatenate[Editor, P], R]
                       ) -> Callable[Concatenate[Editor, P], R]:
    """Run ``method`` in the editor's browser thread (directly when already there)."""
    @functools.wraps(method)
    def call(self: Editor, /, *args: P.args, **kwargs: P.kwargs) -> R:
        executor = self._executor
        if executor is None or threading.get_ident() == self._browser_thread:
            return method(self, *args, **kwargs)
        return executor.submit(method, self, *args, **kwargs).result(timeout=CALL_TIMEOUT_S)
    return call


class Editor:
    """The editor of ``url`` (a stand-in serving the frontend) in one headless page.

    Use as a context manager, or :meth:`start` / :meth:`close`. Its methods may be called
    from any thread; the browser is driven from a thread of its own.
    """

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.log = PageLog()
        self.boot_seconds = 0.0
        self.last_problems: list[str] = []
        self.boot_log = PageLog()
        self.boot_notices: list[str] = []
        self._playwright: Any = None
        self._browser: Any = None
        self._page: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._browser_thread: int | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Editor:
        """Launch chromium and boot the editor. What the page reported while booting is kept
        in :attr:`boot_log`, the toasts and dialogs it then showed in :attr:`boot_notices`
        (closed since)."""
        reason = unavailable_reason()
        if reason is not None:
            raise EditorUnavailable(reason)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="editor-browser")
        self._browser_thread = self._executor.submit(threading.get_ident).result()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    @_in_browser_thread
    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        started = time.monotonic()
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS),
                timeout=TIMEOUT_MS)
            context = self._browser.new_context(viewport=VIEWPORT)
            context.route("**/*", self._route)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("console", self._console)
            page.on("pageerror", lambda error: self.log.errors.append(f"page error: {error}"))
            page.on("requestfailed", self._request_failed)
            page.on("response", self._response)
            self._page = page
            page.goto(self.url + "/", wait_until="load")
            page.wait_for_function(_BOOTED)
            # the editor's last start-up requests (templates, queue) settle
            page.wait_for_load_state("networkidle")
            self.boot_notices = self.notices()
            self.clear_notices()
        except BaseException:
            self._close()
            raise
        self.boot_log = PageLog(list(self.log.errors), list(self.log.warnings),
                                list(self.log.requests), list(self.log.blocked))
        self.boot_seconds = time.monotonic() - started

    def close(self) -> None:
        """Close the browser and end its thread."""
        self._close()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
            self._browser_thread = None

    @_in_browser_thread
    def _close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        self._page = None

    def __enter__(self) -> Editor:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- what the page reports ------------------------------------------------------------------

    def _route(self, route: Any) -> None:
        url = route.request.url
        host = urllib.parse.urlsplit(url).netloc.rsplit(":", 1)[0] if "://" in url else ""
        if url.startswith(_LOCAL_SCHEMES) or host in _LOOPBACK:
            route.continue_()
            return
        self.log.blocked.append(f"blocked (not 127.0.0.1): {route.request.method} {url}")
        route.abort("blockedbyclient")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            if "ERR_BLOCKED_BY_CLIENT" in message.text:  # a request _route blocked (logged)
                return
            self.log.errors.append(f"console error: {message.text}")
        elif message.type == "warning":
            self.log.warnings.append(f"console warning: {message.text}")

    def _request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        # cancelled by the page itself (a superseded fetch), or blocked by _route (logged)
        if "ERR_ABORTED" in failure or "ERR_BLOCKED_BY_CLIENT" in failure:
            return
        self.log.requests.append(f"{request.method} {request.url}: {failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.log.requests.append(f"{response.request.method} {response.url}: "
                                     f"{response.status}")

    @property
    def page(self) -> Any:
        """The Playwright page: only for use in the browser thread (this class's methods);
        from a test, use :meth:`evaluate`."""
        if self._page is None:
            raise RuntimeError("the editor is not started")
        return self._page

    @_in_browser_thread
    def evaluate(self, script: str, arg: Any = None) -> Any:
        """Run a JavaScript function in the editor's page (``window.app`` is the app) and
        return its JSON-able result (a promise is awaited)."""
        return self.page.evaluate(script, arg)

    @_in_browser_thread
    def notices(self) -> list[str]:
        """The toasts, notices (a missing model file) and dialogs the editor shows now, as
        text."""
        shown: list[str] = self.page.evaluate(_NOTICES, _NOTICE_SELECTOR)
        return [f"notice: {text}" for text in shown]

    @_in_browser_thread
    def clear_notices(self) -> None:
        """Close the toasts, notices and dialogs shown now (their Close buttons)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        # one without a close button stays (notices() shows it)
        with contextlib.suppress(PlaywrightTimeout):
            self.page.wait_for_function(_CLEAR_NOTICES, arg=_NOTICE_SELECTOR, polling=100,
                                        timeout=CLEAR_TIMEOUT_MS)

    # -- loading and exporting ------------------------------------------------------------------

    def _settle(self) -> None:
        # the editor reacts to a load asynchronously (missing-model scans, toasts)
        self.page.wait_for_load_state("networkidle")
        self.page.evaluate(_FRAMES, 1)

    def _gather(self, problems: list[str]) -> list[str]:
        self._settle()
        problems = [*problems, *self.notices(), *self.log.errors, *self.log.requests,
                    *self.log.blocked]
        self.clear_notices()
        return problems

    @_in_browser_thread
    def load(self, workflow: dict[str, Any]) -> list[str]:
        """Load an editor workflow as a person opening the file would; return what the editor
        shows or reports about it: node types it does not know, a failed load, toasts and
        dialogs (validation, missing models), console errors, failed requests, requests
        beyond 127.0.0.1 (blocked). An empty list: the editor took the workflow without a
        word. Console warnings (the editor's notes to developers, e.g. "duplicate subgraph
        link ID remapped") are not shown to a user: they stay in ``log.warnings``."""
        self.clear_notices()
        self.log.clear()
        missing = self.page.evaluate(_MISSING_TYPES, workflow)
        problems = [f"missing node type: {t}" for t in missing]
        failed = self.page.evaluate(_LOAD, workflow)
        if failed:
            problems.append(failed)
        return self._gather(problems)

    @_in_browser_thread
    def load_api(self, prompt: dict[str, Any], name: str = "prompt.json") -> list[str]:
        """Load an API prompt as the editor opens a dropped API JSON file (``loadApiJson``);
        returns what :meth:`load` returns."""
        self.clear_notices()
        self.log.clear()
        self.page.evaluate(_LOAD_API, [prompt, name])
        return self._gather([])

    @_in_browser_thread
    def prompt(self) -> dict[str, Any]:
        """The API prompt of what is loaded, as the editor queues or exports it."""
        output: dict[str, Any] = self.page.evaluate(_PROMPT)
        return output

    @_in_browser_thread
    def workflow(self) -> dict[str, Any]:
        """The editor workflow of what is loaded, as the editor saves it."""
        saved: dict[str, Any] = self.page.evaluate(_WORKFLOW)
        return saved

    @_in_browser_thread
    def graph_to_prompt(self, workflow: dict[str, Any]) -> dict[str, Any]:
        """Load ``workflow`` and return the editor's API prompt of it (``graphToPrompt``'s
        ``output``, what "Export (API)" saves). What :meth:`load` reported is in
        :attr:`last_problems`."""
        self.last_problems = self.load(workflow)
        return self.prompt()

    @_in_browser_thread
    def fit_view(self) -> None:
        """Frame the whole graph on the canvas (the editor's "Fit view", key ``.``), once the
        editor has placed the loaded graph's camera."""
        self.page.evaluate(_FRAMES, 5)
        self.page.evaluate(_FIT_VIEW)
        self.page.evaluate(_FRAMES, 3)

    @_in_browser_thread
    def set_setting(self, setting: str, value: Any) -> None:
        """Change one of the editor's settings as its Settings dialog does (for this page's
        user on the stand-in)."""
        self.page.evaluate(_SET_SETTING, [setting, value])

    @_in_browser_thread
    def resize(self, width: int, height: int) -> None:
        """Make the page ``width`` x ``height`` pixels (the editor redraws its canvas)."""
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.evaluate(_FRAMES, 3)

    @_in_browser_thread
    def screenshot(self, path: Path | str) -> Path:
        """A PNG of the editor as it is now (the whole viewport)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(target))
        return target
