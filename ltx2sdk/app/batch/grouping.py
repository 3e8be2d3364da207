"""Model groups: which jobs load the same model files, and which group each target takes next.

A ComfyUI keeps the models of its last prompt loaded; loading another checkpoint costs tens
of seconds to minutes. So a batch in ``order="model"`` groups its jobs by the set of model
files their pipelines load (:func:`model_group`: the checkpoint or diffusion model, the VAEs
and text encoder of a split model, the upscaler, every LoRA file: the pipeline's own, the
camera's and the request's ``loras``; strengths do not count, they load no file), and lets
each target work through one group before it switches (:class:`GroupPlanner`).

**A group's label** (what progress and ``results.jsonl`` call it) names its model set, not
one of its jobs: jobs of several pipelines share one group when they load the same files
(``ltx-2 t2v fast`` and ``ltx-2 i2v fast``; LTX-2.3's fast and pro). :func:`model_group`
labels a job's group by its model and mode, then the request's own LoRAs (``ltx-2 fast``,
``ltx-2.3 pro + squish``); :func:`name_groups` labels a batch's groups by all their jobs: the
modes of them all (``ltx-2.3 fast/pro``), and, where two groups of the batch would read the
same, the video types of each (``ltx-2.3 t2v/i2v fast``, ``ltx-2.3 flf2v fast``), then the
files only it loads (another camera LoRA: ``ltx-2 t2v fast + ...-dolly-in``).

**The rule** (:meth:`GroupPlanner.choose`), for a target that needs its next job:

1. jobs that load nothing (no model files: a hosted API's pipeline, and the jobs that run
   nowhere: invalid ones, ones done by an earlier run) come first, whoever asks: they cost
   no load and leave the loaded models alone;
2. then the group the target holds (the last it ran), while it has jobs left;
3. then a group no other target holds: one the target held before, else the largest;
4. then, when every group left is held by another target (work stealing at the end, so that
   no target sits idle while jobs remain): the group that would end last (the most jobs left
   for the pace of the targets on it, :meth:`GroupPlanner.set_pace`).

So each group is loaded once, by the target that took it first, plus the loads of work
stealing at the end: at most one per target when the targets go at one pace (a fast target
may steal twice when the group it joined ends before a slow target's); the order of jobs
within a group is theirs (the file's). A job tried again after a transient failure keeps
this: the scheduler leaves it to the targets holding its group (:meth:`GroupPlanner.holders`)
for up to one job's time at their pace (:meth:`GroupPlanner.pace`), so a retry costs no load
(see :mod:`~ltx2sdk.app.batch.scheduler`'s **Failures**).

Pure: no threads, no I/O; the scheduler calls it under its lock. Import rule: part of the
application layer (see :mod:`ltx2sdk.app.batch`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from builders import make_plan
from ltx2sdk.errors import LTX2Error
from ltx2sdk.vocabulary import MODES, VIDEO_TYPES

if TYPE_CHECKING:
    from ltx2sdk.app.batch.jobs import BatchJob

__all__ = ["NO_MODELS", "GroupPlanner", "ModelGroup", "model_group", "name_groups"]


@dataclass(frozen=True)
class ModelGroup:
    """The model files a job loads (``files``: names as ComfyUI's loaders take them; empty:
    none) and how progress names the group in a few words (``label``: its model and mode,
    and the request's own LoRAs when it has some: see the module). Two jobs are in one group
    when their ``files`` are equal; nothing else is compared. ``pipelines``: the pipelines
    (``(model, type, mode)``) of the jobs it was found for; ``loras``: the names of the
    request's own LoRAs (as the label says them)."""

    files: frozenset[str]
    label: str
    pipelines: frozenset[tuple[str, str, str]] = frozenset()
    loras: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelGroup) and other.files == self.files

    def __hash__(self) -> int:
        return hash(self.files)

    @property
    def loads_nothing(self) -> bool:
        """No model file: running it costs no load and keeps what is loaded."""
        return not self.files


NO_MODELS = ModelGroup(frozenset(), "no model files")
"""The group of jobs that load no model file (and of those that run nowhere)."""


def model_group(job: BatchJob) -> ModelGroup:
    """The model files ``job`` loads, with a short label; :data:`NO_MODELS` for a job that
    loads none or cannot run (a ``problem``). Offline and cheap (the plan's model choice)."""
    if job.checked is None:
        return NO_MODELS
    pipeline = job.checked.pipeline
    kinds = frozenset({(pipeline.model.id, str(pipeline.type), str(pipeline.mode))})
    label = _label(kinds)
    try:
        plan = make_plan(job.checked)
    except (LTX2Error, ValueError):  # a plan that needs the inputs: the pipeline's files
        return ModelGroup(frozenset({f"pipeline:{pipeline.name}"}), label, kinds)
    if plan.models is None:  # a hosted API's pipeline
        return ModelGroup(frozenset(), label, kinds)
    models = plan.models
    names: list[str | None] = [getattr(models.files, part, None) for part in (
        "checkpoint", "diffusion_model", "video_vae", "audio_vae", "text_encoder", "upscaler")]
    if plan.enhance_prompt:  # (a split model's prompt enhancer loads only when it is used)
        names.append(getattr(models.files, "prompt_enhancer", None))
    loras = [models.distilled_lora, models.camera_lora, models.control_lora,
             *models.user_loras]
    names += [lora.name for lora in loras if lora is not None]
    own = tuple(sorted(_stem(lora.name) for lora in models.user_loras))
    return ModelGroup(frozenset(name for name in names if name), _label(kinds, loras=own),
                      kinds, own)


def _stem(name: str) -> str:
    """A model file as a label says it: its name without folders or ``.safetensors``."""
    return name.rsplit("/", 1)[-1].removesuffix(".safetensors")


def _label(pipelines: Iterable[tuple[str, str, str]], *, types: bool = False,
           loras: Sequence[str] = ()) -> str:
    """``ltx-2 fast``: the models and modes of ``pipelines`` (``(model, type, mode)``, each
    part joined by ``/``), with ``types`` their video types between (``ltx-2 t2v/i2v
    fast``), then ``loras`` (``+ squish``)."""
    kinds = list(pipelines)
    models = "/".join(sorted({model for model, _, _ in kinds}))
    modes = "/".join(m for m in MODES if any(mode == m for _, _, mode in kinds))
    parts = [models]
    if types:
        parts.append("/".join(t for t in VIDEO_TYPES if any(kind == t for _, kind, _ in kinds)))
    parts.append(modes)
    label = " ".join(part for part in parts if part)
    return label + (" + " + ", ".join(loras) if loras else "")


def _alike(a: ModelGroup, b: ModelGroup) -> bool:
    """Whether two groups would read alike by model and mode alone: they share a model and
    a mode, and have the same LoRAs of the request's."""
    return a.loras == b.loras and bool(
        {model for model, _, _ in a.pipelines} & {model for model, _, _ in b.pipelines}) \
        and bool({mode for _, _, mode in a.pipelines} & {mode for _, _, mode in b.pipelines})


def name_groups(groups: Sequence[ModelGroup]) -> list[ModelGroup]:
    """A batch's groups (each with the ``pipelines`` of all its jobs), labelled by all their
    jobs and told apart (the rule: see the module); in their order. Groups given twice
    (the same files) are merged, the first's place kept."""
    merged: dict[ModelGroup, ModelGroup] = {}
    for group in groups:
        seen = merged.get(group)
        merged[group] = group if seen is None else ModelGroup(
            group.files, seen.label, seen.pipelines | group.pipelines, seen.loras)
    found = [g for g in merged.values() if not g.loads_nothing and g.pipelines]
    labels = {g: _label(g.pipelines, loras=g.loras) for g in found}
    for g in found:  # one model and a mode in common: the types tell them apart
        if any(_alike(g, other) for other in found if other is not g):
            labels[g] = _label(g.pipelines, types=True, loras=g.loras)
    for label in {label for label in labels.values()
                  if sum(1 for other in labels.values() if other == label) > 1}:
        same = [g for g in found if labels[g] == label]  # then what only each one loads
        common = frozenset.intersection(*(g.files for g in same))
        for number, g in enumerate(same, 1):
            only = sorted(_stem(name) for name in g.files - common)
            labels[g] += " + " + ", ".join(only) if only else f" ({number})"
    return [ModelGroup(g.files, labels[g], g.pipelines, g.loras) if g in labels else g
            for g in merged.values()]


class GroupPlanner:
    """Which group each target takes its next job from (the rule: see the module).

    ``sizes``: the jobs to run in each group (groups in the order their first job comes: ties
    go to the earlier). The scheduler says what happens: :meth:`took` (a job of a group
    started on a target), :meth:`exhausted` (a group has no job left), :meth:`refuse` (a
    target cannot run a group's jobs), :meth:`forget` (a target is gone). :attr:`loads`:
    each target's groups in the order it loaded them.
    """

    def __init__(self, sizes: Iterable[tuple[ModelGroup, int]]) -> None:
        self._left: dict[ModelGroup, int] = {}
        for group, size in sizes:
            self._left[group] = self._left.get(group, 0) + size
        self._holding: dict[Hashable, ModelGroup] = {}
        self._refused: dict[Hashable, set[ModelGroup]] = {}
        self.loads: dict[Hashable, list[ModelGroup]] = {}
        self._pace: dict[Hashable, float] = {}

    def set_pace(self, target: Hashable, seconds: float) -> None:
        """``target`` takes ``seconds`` a job (its mean so far): work stealing weighs the
        groups by the pace of the targets on them. A target not said goes at the mean pace
        of those said (1 s when none is)."""
        self._pace[target] = seconds

    def pace(self, target: Hashable) -> float:
        """The seconds ``target`` takes a job, as said (else the mean, else 1)."""
        known = self._pace.get(target)
        if known is not None:
            return known
        return sum(self._pace.values()) / len(self._pace) if self._pace else 1.0

    def left(self, group: ModelGroup) -> int:
        """The jobs of ``group`` not started yet."""
        return self._left.get(group, 0)

    def holding(self, target: Hashable) -> ModelGroup | None:
        """The group whose models ``target`` holds (the last it ran), if any."""
        return self._holding.get(target)

    def holders(self, group: ModelGroup) -> list[Hashable]:
        """The targets that hold ``group`` (their last job was of it, and they are not
        gone: :meth:`forget`), in no particular order; none for a group that loads
        nothing."""
        if group.loads_nothing:
            return []
        return [target for target, held in self._holding.items() if held == group]

    def choose(self, target: Hashable) -> ModelGroup | None:
        """The group ``target`` takes its next job from; ``None`` when none has jobs left
        that it can run."""
        refused = self._refused.get(target, set())
        open_groups = [g for g, n in self._left.items() if n > 0 and g not in refused]
        if not open_groups:
            return None
        free = [g for g in open_groups if g.loads_nothing]
        if free:
            return free[0]
        held = self._holding.get(target)
        if held is not None and held in open_groups:
            return held
        history = self.loads.get(target, [])
        rates: dict[ModelGroup, float] = {}  # jobs a second of the others holding each
        holders: dict[ModelGroup, int] = {}
        for other, g in self._holding.items():
            if other != target:
                rates[g] = rates.get(g, 0.0) + 1.0 / max(self.pace(other), 1e-6)
                holders[g] = holders.get(g, 0) + 1
        unclaimed = [g for g in open_groups if g not in rates]
        if unclaimed:
            known = [g for g in unclaimed if g in history]
            # the largest (sorted() keeps the first of equal sizes first)
            return sorted(known or unclaimed, key=lambda g: -self._left[g])[0]
        # every group left is held by another target: steal from the one that would end
        # last (the most jobs left for the pace of the targets on it; of two alike, the one
        # fewer targets share: the other's end frees more of them at once)
        return sorted(open_groups, key=lambda g: (-self._left[g] / rates[g], holders[g]))[0]

    def took(self, target: Hashable, group: ModelGroup, *, new: bool = True) -> None:
        """A job of ``group`` started on ``target`` (``new``: one not started before, one
        less to start; else a job tried again); the target holds the group now (a group
        that loads nothing leaves what it holds)."""
        if new:
            self.passed(group)
        if group.loads_nothing:
            return
        if self._holding.get(target) != group:
            self._holding[target] = group
            self.loads.setdefault(target, []).append(group)

    def passed(self, group: ModelGroup) -> None:
        """A job of ``group`` is not to start (done before, or the same as another): one
        less to start."""
        if self._left.get(group, 0) > 0:
            self._left[group] -= 1

    def refused(self, target: Hashable, group: ModelGroup) -> bool:
        """Whether ``target`` said it cannot run ``group``'s jobs (:meth:`refuse`)."""
        return group in self._refused.get(target, ())

    def exhausted(self, group: ModelGroup) -> None:
        """``group`` has no job left to start (whatever its count said)."""
        self._left[group] = 0

    def refuse(self, target: Hashable, group: ModelGroup) -> None:
        """``target`` cannot run ``group``'s jobs (it lacks their models): never chosen for
        it again."""
        self._refused.setdefault(target, set()).add(group)

    def forget(self, target: Hashable) -> None:
        """``target`` is gone: the group it held is free for the others."""
        self._holding.pop(target, None)

    @property
    def load_count(self) -> int:
        """Model loads so far, every target's together."""
        return sum(len(groups) for groups in self.loads.values())
