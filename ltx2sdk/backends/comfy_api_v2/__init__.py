"""The Comfy API v2 backend (Comfy Cloud, Comfy's serverless deployments, ``comfy-api-proxy``),
on Comfy-Org's ``comfy-sdk`` (the ``[cloud]`` extra):

- :mod:`.backend`: :class:`~.backend.V2Backend`, and the thin IO loops that follow a job;
- :mod:`.following`: following a job without IO (terminal states, the "expired but maybe
  finished" judgement, the pace of polling, snapshots and streamed frames as typed events);
- :mod:`.transport`: httpx's transport, each request bounded by the armed deadline;
- :mod:`.error_table`: comfy-sdk's API errors as the SDK's, one table.

Import rule: nothing here imports ``ltx2sdk.backends.comfyui``.
"""
