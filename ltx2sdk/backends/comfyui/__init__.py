"""The native ComfyUI backend: its HTTP routes and WebSocket (:mod:`.transport`) and the client
that runs graphs over them (:mod:`.client`).

Import rule: nothing here imports ``ltx2sdk.backends.comfy_api_v2``.
"""
