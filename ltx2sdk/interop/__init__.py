"""Interop with other ways of writing ComfyUI workflows: ComfyScript (:mod:`.comfyscript`).

Import rule: this package imports the graph layer and the foundation only; never the backends,
the builders or the application layer.
"""
