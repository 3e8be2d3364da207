"""``GET /api/jobs/{id}``: one job's summary, built from the queue and the history.

Finished jobs follow the captures (``completed``/``failed``/``cancelled``); the shape for queued
(``pending``) and running (``in_progress``) jobs was not captured and is a plausible subset.
"""

from __future__ import annotations

from typing import Any

from .state import ServerState

_NOT_MEDIA = ("animated",)


def _status(entry: dict[str, Any]) -> str:
    status = entry["status"]
    if status["status_str"] == "success":
        return "completed"
    if any(kind == "execution_interrupted" for kind, _ in status["messages"]):
        return "cancelled"
    return "failed"


def _outputs_summary(outputs: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    """Number of output items, and the first one as ``preview_output``."""
    count, preview = 0, None
    for node_id, ui in outputs.items():
        for media, items in ui.items():
            if media in _NOT_MEDIA or not isinstance(items, list):
                continue
            count += len(items)
            if preview is None and items:
                first = items[0]
                if isinstance(first, dict):
                    preview = {**first, "nodeId": node_id, "mediaType": media}
                else:
                    preview = {"content": first, "nodeId": node_id, "mediaType": media}
    return count, preview


def job_view(state: ServerState, prompt_id: str) -> dict[str, Any] | None:
    entry = state.history.get(prompt_id)
    if entry is None:
        item = state.find(prompt_id)
        if item is None:
            return None
        return {
            "id": prompt_id,
            "status": "in_progress" if item is state.running else "pending",
            "priority": item.number,
            "create_time": item.extra_data.get("create_time"),
            "outputs_count": 0,
            "outputs": {},
            "workflow": {"prompt": item.prompt, "extra_data": item.extra_data},
        }
    number, _, prompt, extra_data, _ = entry["prompt"]
    messages = entry["status"]["messages"]
    stamps = {kind: data.get("timestamp") for kind, data in messages}
    view: dict[str, Any] = {
        "id": prompt_id,
        "status": _status(entry),
        "priority": number,
        "create_time": extra_data.get("create_time"),
        "execution_start_time": stamps.get("execution_start"),
        "execution_end_time": messages[-1][1].get("timestamp") if messages else None,
    }
    errors = [data for kind, data in messages if kind == "execution_error"]
    if errors:
        view["execution_error"] = errors[-1]
    count, preview = _outputs_summary(entry["outputs"])
    view["outputs_count"] = count
    if preview is not None:
        view["preview_output"] = preview
    view["outputs"] = entry["outputs"]
    view["execution_status"] = entry["status"]
    view["workflow"] = {"prompt": prompt, "extra_data": extra_data}
    return view


# What a job of the list leaves out (ComfyUI's list gives summaries; one job's route the rest).
_DETAIL_ONLY = ("outputs", "workflow", "execution_status")


def list_jobs(state: ServerState, statuses: set[str], limit: int | None, offset: int
              ) -> dict[str, Any]:
    """``GET /api/jobs?status=a,b&limit=N&offset=M``: the jobs whose status is one of
    ``statuses`` (all when empty), newest first, one page of them and the paging counts (the
    shape the editor's queue and history panels parse)."""
    ids = [*reversed(state.history), *(item.prompt_id for item in reversed(state.pending))]
    if state.running is not None:
        ids.append(state.running.prompt_id)
    views = [view for view in (job_view(state, i) for i in ids) if view is not None
             and (not statuses or view["status"] in statuses)]
    views.sort(key=lambda v: v["priority"], reverse=True)
    page = views[offset:] if limit is None else views[offset:offset + limit]
    return {
        "jobs": [{k: v for k, v in view.items() if k not in _DETAIL_ONLY} for view in page],
        "pagination": {"offset": offset, "limit": limit, "total": len(views),
                       "has_more": offset + len(page) < len(views)},
    }
