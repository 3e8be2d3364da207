"""The Comfy API v2 backend (Comfy Cloud, Comfy's serverless deployments, ``comfy-api-proxy``),
on Comfy-Org's ``comfy-sdk`` (the ``[cloud]`` extra): :mod:`.backend`.

Import rule: nothing here imports ``ltx2sdk.backends.comfyui``.
"""
