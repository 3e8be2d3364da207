"""Batch targets named as on the command line: a server URL, or ``runpod:ENDPOINT_ID``."""

from __future__ import annotations

from typing import Any

from ltx2sdk.app.batch.runpod_target import RunPodTarget
from ltx2sdk.app.batch.server_target import ServerTarget
from ltx2sdk.app.batch.targets import BatchTarget, JobSettings

__all__ = ["RUNPOD_PREFIX", "parse_target"]

RUNPOD_PREFIX = "runpod:"


def parse_target(text: str, *, api_key: str | None = None, api: str | None = None,
                 settings: JobSettings | None = None,
                 runpod_options: dict[str, Any] | None = None) -> BatchTarget:
    """The target ``text`` names: ``runpod:ENDPOINT_ID`` (a RunPod serverless endpoint,
    :class:`~ltx2sdk.app.batch.runpod_target.RunPodTarget` with ``runpod_options``) or a server URL
    as people type it (:class:`ServerTarget` with ``api_key`` and ``api``). Raises
    ``ValueError`` with one line for text that names neither."""
    stripped = text.strip()
    if stripped.lower().startswith(RUNPOD_PREFIX):
        return RunPodTarget(stripped[len(RUNPOD_PREFIX):], settings=settings,
                            **(runpod_options or {}))
    return ServerTarget(stripped, api_key=api_key, api=api, settings=settings)
