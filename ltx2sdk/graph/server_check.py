"""What a server would make of a graph, sorted into what a user must do about it.

:class:`ServerCheck` wraps the verdict of :func:`ltx2sdk.graph.prompt_check.check_prompt` (the
server's own validation rules, applied offline to its schemas): node types to install, model
files to download (with their ``models/`` folder), other reasons the server would refuse, and
problems it would accept and then fail on when the node runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ltx2sdk.errors import ServerValidationError
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.prompt_check import Problem, PromptCheck


@dataclass(frozen=True)
class ServerCheck:
    """What a server would make of a graph, by its own rules (:func:`check_prompt`).

    ``missing_nodes`` are class types it lacks; ``missing_models`` ``(models/ folder, file)``
    pairs of model files it does not list; ``other`` every other reason it would refuse;
    ``runtime`` problems it would accept and then fail on when the node runs (a literal
    where a link belongs); ``undecided`` inputs the SDK leaves to the server.
    """

    missing_nodes: list[str]
    missing_models: list[tuple[str, str]]
    other: list[str]
    runtime: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    verdict: PromptCheck | None = None

    @property
    def server_accepts(self) -> bool:
        """Whether the server would queue the prompt (``POST /prompt`` answers 200)."""
        return self.verdict.server_accepts if self.verdict is not None else not (
            self.missing_nodes or self.missing_models or self.other)

    @property
    def ok(self) -> bool:
        """Ready to run: the server accepts it and nothing is known to fail at run time."""
        return self.server_accepts and not self.runtime

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise ServerValidationError(self.missing_nodes, self.missing_models,
                                        [*self.other, *self.runtime])

    @classmethod
    def from_verdict(cls, verdict: PromptCheck) -> ServerCheck:
        """Sort a :class:`PromptCheck`'s problems into what a user must do about them."""
        missing_nodes: list[str] = []
        missing_models: list[tuple[str, str]] = []
        other: list[str] = []
        for problem in verdict.problems:
            folder = _model_folder(problem)
            if problem.kind == "missing_node_type" and problem.class_type:
                if problem.class_type not in missing_nodes:
                    missing_nodes.append(problem.class_type)
            elif folder is not None and problem.value is not None:
                pair = (folder, str(problem.value))
                if pair not in missing_models:
                    missing_models.append(pair)
            else:
                other.append(str(problem))
        if verdict.server_accepts:  # the server would run what is valid and drop the rest
            other = []
        return cls(missing_nodes, missing_models, other,
                   [f"{p} (ComfyUI would accept the prompt, then fail when the node runs)"
                    for p in verdict.runtime_problems],
                   list(verdict.undecided), verdict)


def _model_folder(problem: Problem) -> str | None:
    """The ``models/`` folder when ``problem`` is a model file the server does not list."""
    if problem.kind != "value_not_in_list" or problem.class_type is None:
        return None
    declared = LTX2_SCHEMAS.get(problem.class_type)
    spec = declared.input(problem.input_name or "") if declared else None
    return spec.folder if spec is not None and spec.folder != "input" else None
