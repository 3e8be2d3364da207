"""Model groups: which jobs load the same model files, and which group each target takes next.

A ComfyUI keeps the models of its last prompt loaded; loading another checkpoint costs tens
of seconds to minutes. So a batch in ``order="model"`` groups its jobs by the set of model
files their pipelines load (:func:`model_group`: the checkpoint or diffusion model, the VAEs
and text encoder of a split model, the upscaler, every LoRA file: the pipeline's own, the
camera's and the request's ``loras``; strengths do not count, they load no file), and lets
each target work through one group before it switches (:class:`GroupPlanner`).

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
within a group is theirs (the file's).

Pure: no threads, no I/O; the scheduler calls it under its lock. Import rule: part of the
application layer (see :mod:`ltx2sdk.app.batch`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from builders import make_plan
from ltx2sdk.errors import LTX2Error

if TYPE_CHECKING:
    from ltx2sdk.app.batch.jobs import BatchJob

__all__ = ["NO_MODELS", "GroupPlanner", "ModelGroup", "model_group"]


@dataclass(frozen=True)
class ModelGroup:
    """The model files a job loads (``files``: names as ComfyUI's loaders take them; empty:
    none) and how progress names the group in a few words (``label``: the pipeline, and the
    request's own LoRAs when it has some). Two jobs are in one group when their ``files``
    are equal; the label is not compared."""

    files: frozenset[str]
    label: str

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
    label = job.checked.pipeline.name
    try:
        plan = make_plan(job.checked)
    except (LTX2Error, ValueError):  # a plan that needs the inputs: the pipeline's files
        return ModelGroup(frozenset({f"pipeline:{label}"}), label)
    if plan.models is None:  # a hosted API's pipeline
        return ModelGroup(frozenset(), label)
    models = plan.models
    names: list[str | None] = [getattr(models.files, part, None) for part in (
        "checkpoint", "diffusion_model", "video_vae", "audio_vae", "text_encoder", "upscaler")]
    if plan.enhance_prompt:  # (a split model's prompt enhancer loads only when it is used)
        names.append(getattr(models.files, "prompt_enhancer", None))
    loras = [models.distilled_lora, models.camera_lora, models.control_lora,
             *models.user_loras]
    names += [lora.name for lora in loras if lora is not None]
    if models.user_loras:
        label += " + " + ", ".join(lora.name.removesuffix(".safetensors")
                                   for lora in models.user_loras)
    return ModelGroup(frozenset(name for name in names if name), label)


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
