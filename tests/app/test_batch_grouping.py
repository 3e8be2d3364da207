"""Model groups and the rule that assigns them to targets (issue 19, model-aware scheduling):
the group of a job is the set of model files its pipeline loads; each target works through
one group before it switches, and a batch loads each group once plus at most one load per
target from work stealing at the end, with no target idle while jobs remain."""

from __future__ import annotations

import heapq
import random

import pytest

from ltx2sdk.app.batch.grouping import (
    NO_MODELS,
    GroupPlanner,
    ModelGroup,
    model_group,
    name_groups,
)
from ltx2sdk.app.batch.jobs import make_job


def group(name: str) -> ModelGroup:
    return ModelGroup(frozenset({f"{name}.safetensors"}), name)


def simulate(sizes: list[int], speeds: list[float]) -> tuple[GroupPlanner, int]:
    """Run made-up groups of ``sizes`` jobs on targets taking ``speeds[t]`` seconds a job,
    each free target asking the planner for its next group; (the planner, the jobs run).
    Checks on the way that no target is idle while a job is left."""
    planner = GroupPlanner([(group(f"g{i}"), n) for i, n in enumerate(sizes)])
    for target, speed in enumerate(speeds):
        planner.set_pace(target, speed)
    free: list[tuple[float, int]] = [(0.0, t) for t in range(len(speeds))]
    ran = 0
    while free:
        now, target = heapq.heappop(free)
        chosen = planner.choose(target)
        if chosen is None:
            # idle only once nothing is left for anyone
            assert all(planner.left(group(f"g{i}")) == 0 for i in range(len(sizes)))
            continue
        planner.took(target, chosen)
        ran += 1
        heapq.heappush(free, (now + speeds[target], target))
    return planner, ran


def test_one_target_loads_each_group_once_whatever_the_file_order() -> None:
    planner, ran = simulate([20, 20, 20], [1.0])
    assert ran == 60
    assert planner.load_count == 3


def test_two_targets_three_groups_load_the_minimum() -> None:
    # the batch: 60 jobs over three pipelines on two servers
    planner, ran = simulate([20, 20, 20], [1.0, 1.0])
    assert ran == 60
    # three groups, and one target steals a share of the last: 3 + 1
    assert planner.load_count == 4
    assert {len(groups) for groups in planner.loads.values()} == {2}


def test_targets_split_the_groups_before_any_shares_one() -> None:
    planner, _ = simulate([10, 10, 10, 10], [1.0, 1.0, 1.0, 1.0])
    assert planner.load_count == 4  # one group each, no stealing needed
    assert sorted(len(g) for g in planner.loads.values()) == [1, 1, 1, 1]


def test_more_targets_than_groups_steal_from_the_largest() -> None:
    planner = GroupPlanner([(group("small"), 2), (group("big"), 30)])
    assert planner.choose("a") == group("big")  # the largest first
    planner.took("a", group("big"))
    assert planner.choose("b") == group("small")  # then one nobody holds
    planner.took("b", group("small"))
    assert planner.choose("c") == group("big")  # every group held: steal the largest


def test_a_target_goes_back_to_a_group_it_held_before() -> None:
    planner = GroupPlanner([(group("a"), 2), (group("b"), 1), (group("c"), 9)])
    planner.took("t", group("a"))
    planner.took("t", group("b"))  # (ComfyUI may keep both loaded)
    # "a" (1 left, held before) rather than "c", larger but never loaded there
    assert planner.choose("t") == group("a")


def test_jobs_that_load_nothing_come_first_and_keep_what_is_held() -> None:
    planner = GroupPlanner([(group("a"), 2), (NO_MODELS, 3)])
    planner.took("t", group("a"))
    assert planner.choose("t") == NO_MODELS
    planner.took("t", NO_MODELS)
    assert planner.holding("t") == group("a")
    assert planner.load_count == 1


def test_a_refused_group_is_not_chosen_for_that_target() -> None:
    planner = GroupPlanner([(group("a"), 5), (group("b"), 5)])
    planner.refuse("t", group("a"))
    assert planner.choose("t") == group("b")
    planner.exhausted(group("b"))
    assert planner.choose("t") is None
    assert planner.choose("u") == group("a")


def test_a_gone_target_frees_its_group_for_the_others() -> None:
    planner = GroupPlanner([(group("a"), 5), (group("b"), 5)])
    planner.took("t", group("a"))
    planner.took("u", group("b"))
    planner.exhausted(group("b"))
    planner.forget("t")
    assert planner.choose("u") == group("a")


def test_the_holders_of_a_group_are_the_targets_whose_last_job_was_of_it() -> None:
    # what the scheduler steers a job tried again to (tests/app/test_batch_retry_steering.py)
    planner = GroupPlanner([(group("a"), 5), (group("b"), 5), (NO_MODELS, 2)])
    assert planner.holders(group("a")) == []
    planner.took("t", group("a"))
    planner.took("u", group("a"))
    planner.took("v", group("b"))
    assert sorted(planner.holders(group("a"))) == ["t", "u"]
    planner.took("u", NO_MODELS)  # loads nothing: keeps what it holds
    assert sorted(planner.holders(group("a"))) == ["t", "u"]
    planner.took("u", group("b"), new=False)  # (a job of b tried again there)
    planner.forget("t")
    assert planner.holders(group("a")) == []
    assert sorted(planner.holders(group("b"))) == ["u", "v"]
    assert planner.holders(NO_MODELS) == []


@pytest.mark.parametrize("seed", range(100))
def test_random_batches_load_at_most_the_groups_plus_one_per_target(seed: int) -> None:
    # targets of one pace (the goal: each group once, plus one steal per target)
    rng = random.Random(seed)
    sizes = [rng.randint(1, 40) for _ in range(rng.randint(1, 6))]
    targets = rng.randint(1, 4)
    planner, ran = simulate(sizes, [1.0] * targets)
    assert ran == sum(sizes)  # every job ran once, no target idle while one was left
    assert planner.load_count <= len(sizes) + targets, (sizes, targets, planner.loads)


@pytest.mark.parametrize("seed", range(100))
def test_targets_of_different_paces_steal_at_most_twice_each(seed: int) -> None:
    # a fast target may end the group it stole before a slow one ends its own, and steal
    # again: never idle, and still far from a load per job
    rng = random.Random(1000 + seed)
    sizes = [rng.randint(1, 40) for _ in range(rng.randint(1, 6))]
    speeds = [rng.choice([0.5, 1.0, 1.5, 3.0]) for _ in range(rng.randint(1, 4))]
    planner, ran = simulate(sizes, speeds)
    assert ran == sum(sizes)
    assert planner.load_count <= len(sizes) + 2 * len(speeds), (sizes, speeds, planner.loads)


def test_a_thief_joins_the_group_that_would_end_last() -> None:
    planner = GroupPlanner([(group("a"), 10), (group("b"), 10)])
    planner.set_pace("fast", 1.0)
    planner.set_pace("slow", 4.0)
    planner.took("fast", group("a"))
    planner.took("slow", group("b"))
    # "a" ends in 9 s, "b" in 36 s: the third target helps with "b"
    assert planner.choose("third") == group("b")


def test_the_group_of_a_job_is_the_files_its_pipeline_loads() -> None:
    fast = model_group(make_job(1, {"prompt": "a fox"}))
    again = model_group(make_job(2, {"prompt": "a cat", "seed": 3, "duration": 2}))
    pro = model_group(make_job(3, {"prompt": "a fox", "mode": "pro"}))
    lora = model_group(make_job(4, {"prompt": "a fox", "loras": [
        {"name": "style.safetensors", "strength": 0.7}]}))
    stronger = model_group(make_job(5, {"prompt": "a fox", "loras": [
        {"name": "style.safetensors", "strength": 0.9}]}))
    newer = model_group(make_job(6, {"prompt": "a fox", "model": "ltx-2.5"}))
    assert fast == again  # another prompt, seed or length loads the same files
    assert lora == stronger  # a strength loads no file
    assert len({fast, pro, lora, newer}) == 4
    assert "style.safetensors" in lora.files and "style.safetensors" not in fast.files
    assert any("ltx-2.5" in name for name in newer.files)
    assert lora.label.endswith("+ style")
    assert model_group(make_job(7, {"prompt": ""})) == NO_MODELS  # invalid: runs nowhere


def test_a_groups_label_names_its_model_set_not_its_first_jobs_pipeline() -> None:
    # QA: a t2v job was labelled "ltx-2 i2v fast" (the first job of its group was i2v):
    # t2v and i2v fast load the same files; the label says the model and mode (and LoRAs)
    i2v = model_group(make_job(1, {"prompt": "a fox", "type": "i2v",
                                   "image_url": "https://example.com/a.png"}))
    t2v = model_group(make_job(2, {"prompt": "a fox"}))
    assert i2v == t2v and i2v.label == t2v.label == "ltx-2 fast"
    pro = model_group(make_job(3, {"prompt": "a fox", "model": "ltx-2.3", "mode": "pro",
                                   "loras": [{"name": "squish.safetensors"}]}))
    assert pro.label == "ltx-2.3 pro + squish"
    [named] = name_groups([i2v, t2v])  # one group, whichever job came first
    assert named.label == "ltx-2 fast"


def test_groups_that_would_read_the_same_say_what_tells_them_apart() -> None:
    fast = model_group(make_job(1, {"prompt": "a fox", "model": "ltx-2.3"}))
    pro = model_group(make_job(2, {"prompt": "a fox", "model": "ltx-2.3", "mode": "pro"}))
    flf2v = model_group(make_job(3, {"prompt": "a fox", "model": "ltx-2.3", "type": "flf2v",
                                     "image_url": "https://example.com/a.png",
                                     "last_image_url": "https://example.com/b.png"}))
    # LTX-2.3's fast and pro load the same files: one group, both modes said
    assert fast == pro and fast != flf2v
    merged = name_groups([fast, pro, flf2v])
    assert [g.label for g in merged] == ["ltx-2.3 t2v fast/pro", "ltx-2.3 flf2v fast"]
    # two pipelines' groups apart, each label alone where nothing else reads the same
    assert [g.label for g in name_groups([fast, flf2v])] == ["ltx-2.3 t2v fast",
                                                            "ltx-2.3 flf2v fast"]
    assert [g.label for g in name_groups([fast])] == ["ltx-2.3 fast"]
    # the same pipeline with other files (another camera LoRA): what only it loads
    static = model_group(make_job(4, {"prompt": "a fox"}))
    dolly = model_group(make_job(5, {"prompt": "a fox", "camera_lora": "dolly_in"}))
    assert static != dolly
    labels = [g.label for g in name_groups([static, dolly])]
    assert len(set(labels)) == 2 and all(label.startswith("ltx-2 t2v fast") for label in labels)
    assert "dolly" in labels[1], labels
    assert name_groups([NO_MODELS]) == [NO_MODELS] and NO_MODELS.label == "no model files"
