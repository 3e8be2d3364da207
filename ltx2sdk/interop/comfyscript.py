"""ComfyScript interop: SDK graphs as ComfyScript programs, and ComfyScript workflows as graphs.

`ComfyScript <https://github.com/Chaoses-Ib/ComfyScript>`_ (the ``comfy-script``
package) is how many Python users drive ComfyUI by hand. This module goes both ways:

- :func:`to_comfyscript` writes any :class:`~ltx2sdk.graph.core.Graph` as a readable
  ComfyScript program (``ltx2 build ... --format comfyscript`` prints the same text).
  It is plain text generation: comfy-script need not be installed.
- :func:`graph_from_comfyscript` takes what comfy-script produces (a ``Workflow``, its
  ``api_format()`` dict or ``api_format_json()`` text) and returns a validated SDK graph,
  ready for :mod:`ltx2sdk.graph.assertions` and :meth:`ltx2sdk.ComfyClient.run`.
- :func:`run_comfyscript` executes a ComfyScript program with comfy-script *offline*
  (its nodes loaded from a given ``/object_info``, no server contacted) and returns the
  API JSON of the workflow it queues.
- :func:`match_api` / :func:`assert_same_api` (from :mod:`ltx2sdk.graph.compare`) decide
  whether two API prompts are the same graph up to the renaming of node ids.

comfy-script is an optional extra (``pip install 'ltx2sdk[comfyscript]'``) and is never
imported by the SDK's own process: importing it patches asyncio globally
(``nest_asyncio2.apply()``), each node load writes a ``nodes.pyi`` next to its module in
site-packages, and its ``Node.output_hook`` is process-global. :func:`run_comfyscript`
therefore runs it in a child interpreter, with that ``.pyi`` sent to a temporary
directory and every network call refused.
"""

from __future__ import annotations

import builtins
import copy
import json
import keyword
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ltx2sdk.errors import ComfyScriptError
from ltx2sdk.graph.compare import assert_same_api, match_api
from ltx2sdk.graph.core import Graph, Node
from ltx2sdk.graph.handles import Output
from ltx2sdk.graph.schema import NodeSchema

__all__ = ["assert_same_api", "comfyscript_class_name", "graph_from_comfyscript", "match_api",
           "run_comfyscript", "to_comfyscript"]


# --- SDK graph -> ComfyScript program -------------------------------------------------------

# What ``from comfy_script.runtime import *`` brings in (0.6.1), plus the workflow variable.
_RUNTIME_NAMES = frozenset({
    "load", "Client", "ComfyUIArgs", "start_comfyui", "TaskQueue", "TaskProgress", "queue",
    "Task", "Workflow", "node", "util", "NodeOutput", "Result", "ImageBatchResult", "Images",
    "wf",
})
_RESERVED = _RUNTIME_NAMES | frozenset(keyword.kwlist) | frozenset(dir(builtins))

# Names comfy-script gives its own classes before (or instead of) a node class of the same
# name: enums of model folders and samplers, and one class per ComfyUI data type. A node
# class whose name falls here gets a trailing "_" in comfy-script, depending on load order.
_GLOBAL_ENUM_NAMES = frozenset({
    "Checkpoints", "CLIPs", "CLIPVisions", "ControlNets", "Diffusers", "GLIGENs",
    "Hypernetworks", "Loras", "PhotoMakers", "StyleModels", "UNETs", "UpscaleModels", "VAEs",
    "Samplers", "Schedulers", "Embeddings",
})
_COMMON_TYPES = ("MODEL", "CLIP", "VAE", "CONDITIONING", "LATENT", "IMAGE", "MASK", "AUDIO",
                 "VIDEO", "NOISE", "GUIDER", "SAMPLER", "SIGMAS", "CLIP_VISION",
                 "CLIP_VISION_OUTPUT", "CONTROL_NET", "STYLE_MODEL", "UPSCALE_MODEL")
_WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "*"})

_MAX_LINE = 100
DEFAULT_SERVER = "http://127.0.0.1:8188/"  # where a program looks for ComfyUI (its own default)


def _raw_id(text: str) -> str:
    """comfy-script's ``astutil.str_to_raw_id``: any string as a Python identifier."""
    text = text.lstrip()
    if not text:
        return "_"
    if text.isascii():
        text = re.sub(r"[^A-Za-z_0-9]", "_", text)
        text = re.sub(r"^[0-9]", r"_\g<0>", text, count=1)
    else:
        text = "".join(c if f"_{c}".isidentifier() else "_" for c in text)
        if not text[0].isidentifier():
            text = f"_{text}"
    text = re.sub(r"__+", "_", text).rstrip("_") or "_"
    return text + "_" if keyword.iskeyword(text) else text


def comfyscript_class_name(class_type: str) -> str:
    """The name comfy-script gives node class ``class_type`` (``astutil.str_to_class_id``)."""
    ident = _raw_id(class_type)
    if ident.isupper():
        ident = ident.lower()
    ident = ident[0].upper() + ident[1:]
    return re.sub(r"_([a-zA-Z])", lambda m: m.group(1).upper(), ident)


def _snake(text: str, *, split_camel: bool = False) -> str:
    """A lower-case identifier fragment: "Stage 1 audio+video latent" -> stage_1_audio_video_latent
    (and with ``split_camel``, "LTXVConcatAVLatent" -> ltxvconcat_avlatent)."""
    if split_camel:
        text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = ""
    for word in words:  # at most ~40 characters, cut at a word boundary
        if out and len(out) + 1 + len(word) > 40:
            break
        out = f"{out}_{word}" if out else word
    return out


class _Names:
    """Unique, stable variable names."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        base = wanted or "node"
        if not base[0].isalpha():
            base = f"n_{base}"
        name, n = base, 1
        while name in _RESERVED or name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


def _literal(value: Any) -> str:
    """Python source for a JSON-like literal."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, (list, tuple)):  # a tuple is sent as a JSON list anyway
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _risky_class_names(schemas: Mapping[str, NodeSchema]) -> set[str]:
    """Class names comfy-script may already have used for something else (see above)."""
    types: set[str] = set(_COMMON_TYPES)
    for schema in schemas.values():
        types.update(spec.type for spec in schema.inputs if not spec.is_widget)
        types.update(out.type for out in schema.outputs)
    return {comfyscript_class_name(t) for t in types if t not in _WIDGET_TYPES} | set(
        _GLOBAL_ENUM_NAMES)


def _callee(class_type: str, risky: set[str]) -> str:
    name = comfyscript_class_name(class_type)
    if name in risky or name in _RESERVED:
        # comfy-script may have renamed the class: look it up by its ComfyUI name instead
        return f"node.get({class_type!r})"
    return name


def _arguments(node: Node, ref: Mapping[tuple[int, int], str]) -> list[str]:
    """Keyword arguments in input order; names that are not identifiers (dynamic-combo
    sub-inputs such as ``resize_type.width``) go into ``**{...}``, the only way comfy-script
    0.6.1 can pass them: it knows nothing of V3 dynamic combos and sends any keyword as is."""
    args: list[str] = []
    pending: list[str] = []
    for name, value in node.inputs.items():
        text = ref[value.node.index, value.slot] if isinstance(value, Output) else _literal(value)
        if name.isidentifier() and not keyword.iskeyword(name):
            if pending:
                args.append("**{" + ", ".join(pending) + "}")
                pending = []
            args.append(f"{name}={text}")
        else:
            pending.append(f"{name!r}: {text}")
    if pending:
        args.append("**{" + ", ".join(pending) + "}")
    return args


def _call(target: str, callee: str, args: list[str], indent: str) -> list[str]:
    head = f"{indent}{target} = " if target else indent
    one_line = f"{head}{callee}({', '.join(args)})"
    if len(one_line) <= _MAX_LINE or not args:
        return [one_line]
    return [f"{head}{callee}(", *(f"{indent}    {a}," for a in args), f"{indent})"]


_HEADER = '''\
"""{description}

A ComfyScript program (https://github.com/Chaoses-Ib/ComfyScript), generated by ltx2sdk.

Run it with a ComfyUI server: pip install "comfy-script[client]", then run this file.
  load() reads the server's nodes from the address it is given (http://127.0.0.1:8188/ below:
  change it for another server, e.g. load("http://gpu-box:8188/")). The workflow is
  queued when the "with Workflow()" block ends, and the program waits for it to finish.
Without a server: ltx2sdk.interop.comfyscript.run_comfyscript(source, object_info) runs it
  offline and returns its API JSON; ltx2sdk.interop.comfyscript.graph_from_comfyscript() turns
  that (or a Workflow) back into an SDK graph.
ComfyScript keeps no node titles, so each node is named after its title here.
"""
'''


def to_comfyscript(graph: Graph) -> str:
    """``graph`` as a ComfyScript program (text; comfy-script is not needed to write it).

    One assignment per node in graph order, with comfy-script's class names, keyword
    arguments and tuple unpacking for multi-output nodes; variables are named after node
    titles (``stage_1_sampler``), unique and stable. Dotted dynamic-combo inputs are passed
    as ``**{"resize_type.width": 1280}``. Executed by comfy-script (see :func:`run_comfyscript`)
    it yields the same API JSON as ``graph.compile()`` up to node ids and titles, provided
    every node feeds an output node (comfy-script only sends what outputs depend on) and
    optional widget inputs with a default are set (comfy-script always sends those).
    """
    names = _Names()
    risky = _risky_class_names(graph.schemas)
    used_slots: dict[int, set[int]] = {}
    for node in graph:
        for _, handle in node.links():
            used_slots.setdefault(handle.node.index, set()).add(handle.slot)

    ref: dict[tuple[int, int], str] = {}
    body: list[str] = []
    for node in graph:
        slots = used_slots.get(node.index, set())
        base = _snake(node.title) or _snake(node.class_type, split_camel=True)
        callee = _callee(node.class_type, risky)
        args = _arguments(node, ref)
        target = ""
        if node.schema is None and slots:
            # unknown node type, so unknown output count: guess one output if only slot 0
            # is used, else a list to index (comfy-script returns a list for 2+ outputs)
            target = names.take(base)
            for slot in slots:
                ref[(node.index, slot)] = target if slots == {0} else f"{target}[{slot}]"
        elif len(node.outputs) == 1 and slots:
            target = names.take(base)
            ref[(node.index, 0)] = target
        elif len(node.outputs) > 1 and slots:
            parts = []
            for out in node.outputs:
                if out.slot in slots:
                    var = names.take(f"{base}_{_snake(out.name) or out.slot}")
                    ref[(node.index, out.slot)] = var
                    parts.append(var)
                else:
                    parts.append("_")
            target = ", ".join(parts)
        if not slots and not (node.schema is not None and node.schema.output_node):
            body.append("    # feeds no output node: comfy-script leaves it out of the prompt")
        body.extend(_call(target, callee, args, "    "))

    header = _HEADER.format(description=_describe(graph))
    lines = [header, "from comfy_script.runtime import *", "",
             f'load("{DEFAULT_SERVER}")  # the ComfyUI server to run on', "",
             "from comfy_script.runtime.nodes import *", "", "with Workflow(wait=True) as wf:"]
    lines.extend(body or ["    pass"])
    return "\n".join(lines) + "\n"


def _describe(graph: Graph) -> str:
    outputs = graph.output_nodes()
    what = ", ".join(dict.fromkeys(n.title for n in outputs)) or "no output node"
    text = f"ComfyUI workflow of {len(graph)} nodes ({what})."
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


# --- ComfyScript workflow -> SDK graph ------------------------------------------------------


def _api_of(workflow: Any) -> dict[str, Any]:
    """The API prompt of a comfy-script Workflow / NodeOutput, a dict, or JSON text."""
    if isinstance(workflow, Mapping):
        return dict(workflow)
    if isinstance(workflow, (str, bytes)):
        try:
            data = json.loads(workflow)
        except json.JSONDecodeError as exc:
            raise ComfyScriptError(f"not API JSON ({exc}); to run a ComfyScript program, "
                                   "use run_comfyscript()") from exc
    elif callable(getattr(workflow, "api_format_json", None)):
        # the JSON form: enum members and paths become plain strings
        data = json.loads(workflow.api_format_json())
    elif callable(getattr(workflow, "api_format", None)):
        data = json.loads(json.dumps(workflow.api_format(), default=str))
    else:
        raise TypeError(f"expected a comfy-script Workflow, an API prompt dict or its JSON, "
                        f"got {type(workflow).__name__}")
    if not isinstance(data, dict):
        raise ComfyScriptError("the API JSON is not an object of nodes")
    return data


def graph_from_comfyscript(workflow: Any, schemas: Mapping[str, NodeSchema] | None = None, *,
                           strict: bool = False) -> Graph:
    """An SDK graph from a ComfyScript workflow, validated.

    ``workflow`` is a comfy-script ``Workflow`` (or node output), its ``api_format()`` dict,
    its ``api_format_json()`` text, or what :func:`run_comfyscript` returns. Every node is
    checked against ``schemas`` (the SDK's LTX-2 node set by default; pass
    ``SchemaSet.from_object_info(...)`` for a server's) by :meth:`Graph.from_api`, and the
    graph must have an output node. comfy-script ids such as ``"KSampler.0"`` become
    ``"1"``, ``"2"``, ... and nodes get their default titles (comfy-script keeps none).
    comfy-script itself is not imported.
    """
    graph = Graph.from_api(_api_of(workflow), schemas, strict=strict)
    graph.validate()
    return graph


# --- running a ComfyScript program offline --------------------------------------------------

_RESULT_FILE = "result.json"


def run_comfyscript(program: str, object_info: Mapping[str, Any] | str | Path, *,
                    python: str | None = None, timeout: float = 120.0) -> dict[str, Any]:
    """Run ComfyScript ``program`` offline and return the API JSON of the workflow it queues.

    comfy-script runs in a child interpreter (``python``, default this one), with its nodes
    loaded from ``object_info`` (a ``GET /object_info`` answer, or a path to its JSON) and no
    server: ``load()`` uses those nodes whatever its arguments, queueing only records the
    prompt, and any network access by comfy-script fails. Its ``nodes.pyi`` goes to a
    temporary directory instead of site-packages. The program must queue exactly one
    workflow (``with Workflow(): ...``, ``wf.queue()``, ``queue.put(...)``) or leave one
    ``Workflow`` in a global variable. Raises :class:`ComfyScriptError` otherwise, when
    comfy-script is not installed, or when the program fails.
    """
    with tempfile.TemporaryDirectory(prefix="ltx2sdk-comfyscript-") as tmp:
        work = Path(tmp)
        info_path = work / "object_info.json"
        info: Mapping[str, Any] = (json.loads(Path(object_info).read_text())
                                   if isinstance(object_info, (str, Path)) else object_info)
        info_path.write_text(json.dumps(_in_declaration_order(info)))
        program_path = work / "workflow.py"
        program_path.write_text(program, encoding="utf-8")
        stubs = work / "stubs"
        stubs.mkdir()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])  # the folder holding ltx2sdk/
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root,
                                                          env.get("PYTHONPATH")]))
        code = ("import sys; from ltx2sdk.interop.comfyscript import _child_main; "
                "_child_main(sys.argv[1:])")
        try:
            done = subprocess.run(
                [python or sys.executable, "-c", code, str(program_path), str(info_path),
                 str(stubs), str(work / _RESULT_FILE)],
                env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                check=False)
        except subprocess.TimeoutExpired as exc:
            raise ComfyScriptError(
                f"the ComfyScript program ran longer than {timeout:g} s") from exc
        if done.returncode == _EXIT_NO_COMFYSCRIPT:
            raise ComfyScriptError(
                f"comfy-script or its client dependencies are missing for "
                f"{python or sys.executable} ({done.stderr.strip()}): "
                "pip install 'comfy-script[client]>=0.6.1'")
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise ComfyScriptError(f"the ComfyScript program failed:\n{tail}")
        prompts = json.loads((work / _RESULT_FILE).read_text())
    if len(prompts) != 1:
        raise ComfyScriptError(f"the ComfyScript program queued {len(prompts)} workflows; "
                               "expected exactly one")
    prompt: dict[str, Any] = prompts[0]
    return prompt


_EXIT_NO_COMFYSCRIPT = 3


def _in_declaration_order(object_info: Mapping[str, Any]) -> dict[str, Any]:
    """``object_info`` with each node's inputs in ComfyUI's declaration order (``input_order``).

    comfy-script maps positional arguments onto the order of the ``required``/``optional``
    dicts; a live server sends them in declaration order, but a saved copy may have had its
    keys sorted (``json.dump(..., sort_keys=True)``), which would silently reassign them.
    """
    fixed: dict[str, Any] = {}
    for class_type, info in object_info.items():
        order = info.get("input_order") if isinstance(info, Mapping) else None
        sections = info.get("input") if isinstance(info, Mapping) else None
        if not isinstance(order, Mapping) or not isinstance(sections, Mapping):
            fixed[class_type] = info
            continue
        new_sections = dict(sections)
        for key, names in order.items():
            section = sections.get(key)
            if isinstance(section, Mapping) and isinstance(names, list):
                ordered = {n: section[n] for n in names if n in section}
                ordered.update((n, v) for n, v in section.items() if n not in ordered)
                new_sections[key] = ordered
        fixed[class_type] = {**info, "input": new_sections}
    return fixed


def _child_main(argv: list[str]) -> None:  # pragma: no cover - runs in the child process
    """The child side of :func:`run_comfyscript` (never call it in the SDK's own process)."""
    import asyncio
    import contextlib
    import importlib
    import runpy

    program, info_file, stub_dir, result_file = argv
    object_info: dict[str, Any] = json.loads(Path(info_file).read_text())
    try:
        # Importing these patches asyncio (nest_asyncio2): fine, this process is disposable.
        cs_client: Any = importlib.import_module("comfy_script.client")
        runtime: Any = importlib.import_module("comfy_script.runtime")
    except ImportError as exc:
        print(exc, file=sys.stderr)
        sys.exit(_EXIT_NO_COMFYSCRIPT)
    rt_nodes: Any = importlib.import_module("comfy_script.runtime.nodes")
    rt_node: Any = importlib.import_module("comfy_script.runtime.node")
    rt_data: Any = importlib.import_module("comfy_script.runtime.data")

    def refuse_network() -> Any:
        raise ComfyScriptError("offline: comfy-script may not contact a server here")

    async def nodes_info() -> dict[str, Any]:
        return copy.deepcopy(object_info)

    async def no_embeddings() -> list[str]:
        return []

    cs_client._get_nodes_info = nodes_info
    cs_client._get_embeddings = no_embeddings
    cs_client.client = cs_client.Client("http://comfyscript-offline.invalid/",
                                        session_factory=refuse_network)
    # nodes.load() writes nodes.pyi next to the module's __file__: point that elsewhere.
    rt_nodes.__file__ = str(Path(stub_dir) / "nodes.py")
    loaded: dict[str, Any] = {}
    with contextlib.redirect_stdout(sys.stderr):
        rt_node.nodes.clear()
        asyncio.run(rt_nodes.load(object_info, loaded, nodes=rt_node.nodes))

    def offline_load(comfyui: Any = None, args: Any = None, vars: dict[str, Any] | None = None,
                     *more: Any, **options: Any) -> None:
        """``comfy_script.runtime.load`` here: the nodes are already loaded, from object_info."""
        if vars is not None:
            vars.update(loaded)

    captured: list[dict[str, Any]] = []

    async def capture(workflow: Any, source: Any = None) -> None:
        if isinstance(workflow, runtime.Workflow):
            prompt = workflow._get_prompt_and_id()[0]
        elif isinstance(workflow, (rt_data.NodeOutput, Iterable)):
            prompt = runtime.Workflow(outputs=workflow)._get_prompt_and_id()[0]
        else:
            raise TypeError(f"cannot queue {workflow!r}")
        if prompt:
            captured.append(json.loads(json.dumps(prompt, cls=cs_client.WorkflowJSONEncoder)))
        return None

    runtime.load = offline_load
    runtime.queue.start_watch = lambda *args, **kwargs: None
    runtime.queue._put = capture

    with contextlib.redirect_stdout(sys.stderr):
        namespace = runpy.run_path(program, run_name="__main__")
    if not captured:  # e.g. Workflow(queue=False): take the workflow the program kept
        for value in namespace.values():
            if isinstance(value, runtime.Workflow):
                prompt = json.loads(value.api_format_json())
                if prompt:
                    captured.append(prompt)
    Path(result_file).write_text(json.dumps(captured))
