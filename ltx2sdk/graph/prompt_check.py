"""Would a ComfyUI server accept this API prompt? The server's own rules, offline.

:func:`check_prompt` mirrors ComfyUI's ``validate_prompt`` for the schemas of the server
the prompt is meant for, so that a problem is named before anything is queued and nothing
the server would run is refused:

- every node's ``class_type`` must exist on the server; at least one node must be an
  output node;
- the server validates only what its output nodes depend on, walking up the links from
  each output; a prompt is accepted when at least one output validates (the others are
  dropped, and reported here);
- per node, inputs are the declared ones (V3 dynamic combos and autogrow inputs expanded
  against the prompt's own values; undeclared inputs are ignored): a required input must
  be present; a link must be ``[node id, slot]`` to an existing node and output slot of a
  compatible type; a literal is converted the server's way (``int()`` for INT, ``float()``
  for FLOAT: ``"512"`` and ``512.0`` are fine), then compared with min/max and a combo's
  options; inputs naming a file the node loads itself (``LoadImage.image``) are checked by
  asking whether that file exists.

Stricter than the server in one place only: a literal where a link belongs (a file name
into an IMAGE input) passes ComfyUI's validation and then fails when the node runs; it is
reported in :attr:`PromptCheck.runtime_problems` and refused, saying so.
An input of a form the SDK does not know is left to the server (:attr:`PromptCheck.undecided`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ltx2sdk.errors import GraphError
from ltx2sdk.graph.schema import MATCHTYPE_V3, InputSpec, NodeSchema, OutputSpec, types_compatible
from ltx2sdk.graph.validation import convert_like_comfyui, expected_inputs

FileExists = Callable[[str, str], "bool | None"]
"""``(upload kind, file name) -> exists?``; ``None`` when it cannot tell (the server decides)."""

# Inputs that a node's own validate function checks (ComfyUI then skips min/max/options):
# the loaders of input files. Inputs flagged as uploads are treated the same way.
SELF_CHECKED_INPUTS: Mapping[str, tuple[str, str]] = {
    "LoadImage": ("image", "image"),
    "LoadImageMask": ("image", "image"),
    "LoadImageOutput": ("image", "image"),
    "LoadAudio": ("audio", "audio"),
    "LoadVideo": ("file", "video"),
}

@dataclass(frozen=True)
class Problem:
    """One reason to refuse, named like ComfyUI names it (``kind`` is its error type)."""

    kind: str
    message: str
    node_id: str | None = None
    class_type: str | None = None
    input_name: str | None = None
    value: Any = None  # the literal refused, where there is one

    def __str__(self) -> str:
        where = ""
        if self.node_id is not None:
            where = f"node {self.node_id} ({self.class_type})"
            if self.input_name:
                where += f" input '{self.input_name}'"
            where += ": "
        return f"{where}{self.message}"


@dataclass(frozen=True)
class PromptCheck:
    """The verdict on one prompt.

    ``error_type`` is what ComfyUI would answer (``None``: it accepts the prompt);
    ``problems`` are the node errors it would list (also those of outputs it drops);
    ``runtime_problems`` would pass validation and fail when the node runs;
    ``undecided`` names inputs left to the server; ``outputs`` the output nodes that run.
    """

    error_type: str | None
    problems: tuple[Problem, ...] = ()
    runtime_problems: tuple[Problem, ...] = ()
    undecided: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def server_accepts(self) -> bool:
        """Whether ComfyUI would queue the prompt (HTTP 200 at ``POST /prompt``)."""
        return self.error_type is None

    @property
    def ok(self) -> bool:
        """Accepted by the server and free of problems that fail at run time."""
        return self.server_accepts and not self.runtime_problems


class _Refusal(Exception):
    """A lookup the server itself would fail on (a dangling link), filed on a node."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def check_prompt(prompt: Mapping[str, Any], schemas: Mapping[str, NodeSchema], *,
                 file_exists: FileExists | None = None) -> PromptCheck:
    """Check an API-format ``prompt`` against the server ``schemas`` (see the module doc).
    An editor workflow is read with ``schemas`` first, as the editor would queue it; one that
    cannot be read is an ``invalid_prompt`` saying it is an editor workflow, and why."""
    from ltx2sdk.graph.editor.ui_import import (  # start-up: rarely needed
        as_api_prompt,
        is_editor_workflow,
    )

    if is_editor_workflow(prompt):  # the editor's "Save": read as the editor would queue it
        try:
            prompt = as_api_prompt(prompt, schemas)
        except GraphError as exc:
            return PromptCheck("invalid_prompt", (Problem("invalid_prompt", str(exc)),))
    if not isinstance(prompt, Mapping) or not prompt:
        return PromptCheck("invalid_prompt", (Problem("invalid_prompt",
                                                      "the prompt is not a non-empty object"),))
    missing: list[Problem] = []
    outputs: list[str] = []
    for node_id, entry in prompt.items():
        class_type = entry.get("class_type") if isinstance(entry, Mapping) else None
        if not isinstance(class_type, str):
            missing.append(Problem("missing_node_type", "has no class_type", str(node_id)))
            continue
        schema = schemas.get(class_type)
        if schema is None:
            missing.append(Problem("missing_node_type",
                                   f"node type {class_type} is not installed on this server",
                                   str(node_id), class_type))
        elif schema.output_node:
            outputs.append(str(node_id))
    if missing:
        # ComfyUI stops here; the rest of the graph is still checked, so that a user
        # learns of missing model files in the same report
        known = [str(node_id) for node_id, entry in prompt.items()
                 if isinstance(entry, Mapping) and entry.get("class_type") in schemas]
        rest = _Walk(prompt, schemas, file_exists).run(known)
        return PromptCheck("missing_node_type", (*missing, *rest.problems),
                           rest.runtime_problems, rest.undecided)
    if not outputs:
        return PromptCheck("prompt_no_outputs", (Problem(
            "prompt_no_outputs", "the prompt has no output node (for example SaveVideo), "
            "so ComfyUI would run nothing"),))
    return _Walk(prompt, schemas, file_exists).run(outputs)


class _Walk:
    """Validates nodes from the outputs up, each once (ComfyUI's memoised recursion)."""

    def __init__(self, prompt: Mapping[str, Any], schemas: Mapping[str, NodeSchema],
                 file_exists: FileExists | None) -> None:
        self.prompt = prompt
        self.schemas = schemas
        self.file_exists = file_exists
        self.valid: dict[str, bool] = {}
        self.problems: dict[str, list[Problem]] = {}
        self.runtime: list[Problem] = []
        self.undecided: list[str] = []
        self.visiting: list[str] = []

    def run(self, outputs: list[str]) -> PromptCheck:
        good = []
        for output in outputs:
            try:
                ok = self.node(output)
            except _Refusal as refusal:  # raised by the output node itself
                problem = refusal.problem
                where = f"input '{problem.input_name}' " if problem.input_name else ""
                self._file(output, Problem("exception_during_validation",
                                           where + problem.message, output,
                                           problem.class_type))
                ok = False
            if ok:
                good.append(output)
        problems = tuple(p for node_id in self.problems for p in self.problems[node_id])
        error_type = None if good else "prompt_outputs_failed_validation"
        return PromptCheck(error_type, problems, tuple(self.runtime), tuple(self.undecided),
                           tuple(good))

    def _file(self, node_id: str, problem: Problem) -> None:
        self.valid[node_id] = False
        self.problems.setdefault(node_id, []).append(problem)

    def node(self, node_id: str) -> bool:
        if node_id in self.valid:
            return self.valid[node_id]
        if node_id in self.visiting:
            cycle = " -> ".join([*self.visiting[self.visiting.index(node_id):], node_id])
            self._file(node_id, self._problem(node_id, None, "dependency_cycle",
                                              f"links form a cycle: {cycle}"))
            return False
        entry = self.prompt[node_id]
        schema = self.schemas.get(entry.get("class_type"))
        if schema is None:
            return True  # a node type the server lacks: reported on its own
        inputs = entry.get("inputs")
        values: Mapping[str, Any] = inputs if isinstance(inputs, Mapping) else {}
        valid = True
        own: list[Problem] = []
        self.visiting.append(node_id)
        try:
            for name, spec in expected_inputs(schema, values, absent_choice="vanish").items():
                if spec.opaque:
                    self.undecided.append(f"node {node_id} ({schema.class_type}) input '{name}'")
                    continue
                if name not in values:
                    if spec.required:
                        own.append(self._problem(node_id, name, "required_input_missing",
                                                 "required input is missing"))
                    continue
                value = values[name]
                if isinstance(value, list):
                    valid = self._link(node_id, name, spec, value, own) and valid
                else:
                    problem = self._literal(node_id, schema, name, spec, value)
                    if problem is not None:
                        own.append(problem)
        finally:
            self.visiting.pop()
        own += self._files(node_id, schema, values)
        result = valid and not own and self.valid.get(node_id, True)
        self.valid[node_id] = result
        if own:
            self.problems.setdefault(node_id, []).extend(own)
        return result

    def _problem(self, node_id: str, name: str | None, kind: str, message: str) -> Problem:
        class_type = self.prompt[node_id].get("class_type")
        return Problem(kind, message, node_id, class_type, name)

    def _link(self, node_id: str, name: str, spec: InputSpec, link: list[Any],
              own: list[Problem]) -> bool:
        if len(link) != 2:
            own.append(self._problem(node_id, name, "bad_linked_input",
                                     f"a link must be [node id, output slot], got {link!r}"))
            return True
        source_id, slot = link
        source = self.prompt.get(source_id) if isinstance(source_id, str) else None
        if source is None:
            raise _Refusal(self._problem(node_id, name, "exception_during_inner_validation",
                                         f"links to node {source_id!r}, which does not exist"))
        source_schema = self.schemas.get(source.get("class_type"))
        if source_schema is None:
            return True  # a node type the server lacks: reported on its own
        outputs = source_schema.outputs
        if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot < len(outputs):
            raise _Refusal(self._problem(
                node_id, name, "exception_during_inner_validation",
                f"links to output {slot!r} of node {source_id} ({source['class_type']}), "
                f"which has {len(outputs)}"))
        received = outputs[slot].type
        if not _link_fits(outputs[slot], spec):
            own.append(self._problem(node_id, name, "return_type_mismatch",
                                     f"expects {spec.type} but node {source_id} "
                                     f"({source['class_type']}) output {slot} is {received}"))
            return True
        try:
            return self.node(source_id)
        except _Refusal as refusal:
            # ComfyUI files a failed lookup of the upstream node on that node, under the
            # downstream input's name
            problem = refusal.problem
            where = f"node {problem.node_id} input '{problem.input_name}' " \
                if problem.input_name else ""
            self._file(source_id, Problem("exception_during_inner_validation",
                                          where + problem.message, source_id,
                                          source["class_type"], name))
            return False

    def _literal(self, node_id: str, schema: NodeSchema, name: str, spec: InputSpec,
                 value: Any) -> Problem | None:
        if isinstance(value, Mapping) and "__value__" in value:
            value = value["__value__"]
        if not spec.accepts_literal:
            self.runtime.append(self._problem(
                node_id, name, "literal_for_link",
                f"expects a link of type {spec.type} from another node's output, got the "
                f"literal {value!r}; ComfyUI accepts the prompt, but the node fails when it runs"))
        converted = convert_like_comfyui(spec, value)
        if isinstance(converted, str):
            return self._problem(node_id, name, "invalid_input_type", converted)
        value = converted[0]
        if schema.class_type in SELF_CHECKED_INPUTS and SELF_CHECKED_INPUTS[
                schema.class_type][0] == name:
            return None  # the node's own check (see _files)
        try:
            if spec.min is not None and value < spec.min:
                return self._problem(node_id, name, "value_smaller_than_min",
                                     f"{value!r} is below the minimum {spec.min}")
            if spec.max is not None and value > spec.max:
                return self._problem(node_id, name, "value_bigger_than_max",
                                     f"{value!r} is above the maximum {spec.max}")
        except TypeError:
            # ComfyUI's comparison raises too; the exception refuses the node
            raise _Refusal(self._problem(
                node_id, name, "exception_during_inner_validation",
                f"{value!r} cannot be compared with the input's limits")) from None
        if spec.type != "COMBO":
            return None
        if spec.options is None or spec.upload or spec.remote:
            # options the server fetches or files the node may check itself: its call
            self.undecided.append(f"node {node_id} ({schema.class_type}) input '{name}'")
            return None
        if spec.choices is None:
            chosen = value if spec.multiselect and isinstance(value, list) else [value]
            invalid = [v for v in chosen if v not in spec.options]
            if invalid:
                return replace(self._problem(node_id, name, "value_not_in_list",
                                             f"{invalid[0]!r} is not one of {_options(spec)}"),
                               value=invalid[0])
        return None

    def _files(self, node_id: str, schema: NodeSchema, values: Mapping[str, Any]
               ) -> list[Problem]:
        """A loader's own check: the file it names must exist on the server."""
        own = SELF_CHECKED_INPUTS.get(schema.class_type)
        if own is None:
            return []
        name, kind = own
        value = values.get(name)
        if not isinstance(value, str):
            return []
        exists = self.file_exists(kind, value) if self.file_exists is not None else None
        if exists is None:
            self.undecided.append(f"node {node_id} ({schema.class_type}) file {value!r}")
            return []
        if exists:
            return []
        return [self._problem(node_id, name, "custom_validation_failed",
                              f"{kind} file {value!r} is not in ComfyUI's input folder "
                              "(upload it first)")]


def _link_fits(output: OutputSpec, spec: InputSpec) -> bool:
    """ComfyUI's link rule (``validate_node_input``): equal, ``*`` or match types (whose
    allowed types the server does not check), overlapping unions; a legacy list combo
    takes only a link of that very list."""
    if spec.template_id is not None:
        return True  # a match type: ComfyUI leaves its allowed types to the frontend
    if spec.legacy_combo:
        return output.type in ("*", MATCHTYPE_V3) or (
            output.options is not None and output.options == spec.options)
    expected = "COMBO" if spec.choices is not None else spec.type
    return types_compatible(output.type, expected)


def _options(spec: InputSpec) -> str:
    assert spec.options is not None
    if not spec.options:
        return "the options (the server lists none)"
    shown = ", ".join(repr(o) for o in spec.options[:20])
    more = f" (and {len(spec.options) - 20} more)" if len(spec.options) > 20 else ""
    return f"the options {shown}{more}"
