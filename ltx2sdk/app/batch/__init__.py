"""Batches: many requests spread over servers or RunPod endpoints, resumable, with retries.

The scheduler (:mod:`.scheduler`: ``Batch``, ``run_batch``, ``iter_batch``), the jobs and their
content keys (:mod:`.jobs`), checking them before anything runs (:mod:`.check`), the output
folder (:mod:`.store`), where jobs run (:mod:`.targets`)
and a RunPod endpoint as a target (:mod:`.runpod_target`).

Import rule: part of the application layer (see :mod:`ltx2sdk.app`); nothing here imports
``ltx2sdk.app.cli``.
"""
