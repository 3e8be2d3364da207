"""The backends layer: running a graph on a server and getting its files back.

One protocol (:mod:`.protocol`), the typed events of a run (:mod:`.events`), outputs named and
verified (:mod:`.outputs`), server URLs as people type them (:mod:`.server_urls`) and
:func:`~.connect.connect`, which picks the backend for a server: native ComfyUI
(:mod:`.comfyui`) or the Comfy API v2 (:mod:`.comfy_api_v2`).

Import rule: backends take a graph or its API JSON and know nothing of pipelines: nothing here
imports ``builders``, the request model or the application layer, and the two backends do not
import each other.
"""
