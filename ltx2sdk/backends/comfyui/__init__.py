"""The native ComfyUI backend:

- :mod:`.transport`: its HTTP routes (one method each) and its WebSocket, every exchange
  bounded by the deadline; :class:`~.transport.ComfyTransport` is the seam a test scripts;
- :mod:`.wire`: ComfyUI's native wire format read (WebSocket messages, history entries,
  refusals), and the partner nodes of a prompt with the key they take (``extra_data``);
- :mod:`.following`: following a queued prompt without IO;
- :mod:`.client`: :class:`~.client.ComfyClient`, which runs graphs over the transport.

Import rule: nothing here imports ``ltx2sdk.backends.comfy_api_v2``.
"""
