"""The graph layer: graphs of ComfyUI nodes, their schemas, and the checks a server makes.

Nodes added in Python (:mod:`.core`), typed output handles (:mod:`.handles`), node schemas of
any ComfyUI release (:mod:`.schema`, bundled releases in :mod:`.releases`), the SDK's node table
and the constructors generated from it (:mod:`.node_defs`, :mod:`.nodes`, :mod:`.codegen`),
writing a node the way a release declares it (:mod:`.compat`), ComfyUI's own prompt validation
offline (:mod:`.validation`, :mod:`.prompt_check`, :mod:`.server_check`), prompts compared up to
node ids (:mod:`.compare`), assertions for tests of workflows (:mod:`.assertions`) and the
editor's workflow format (:mod:`.editor`).

Import rule: this package imports only the foundation (``ltx2sdk.errors`` and the other
top-level modules below the request); never ``ltx2sdk.media``, the backends, the builders or the
application layer.
"""
