"""ComfyUI's editor format: workflows as the editor saves them, both ways.

The editor (ComfyUI's frontend) saves a workflow as nodes with positions, numbered links
(``[id, from node, from slot, to node, to slot, type]``), groups and subgraph definitions,
each node's literal inputs held positionally in ``widgets_values``. This package reads and
writes that format:

* :mod:`.widgets`: the editor's view of a node schema: which inputs are widgets, in which
  order their values are stored, and the extra values the editor stores beside them (the
  ``control_after_generate`` mode after a seed, the upload button of a file loader,
  dynamic-combo sub-widgets). Both ways: ``widgets_values`` to API inputs and back.
* :mod:`.ui_import`: an editor workflow to an API prompt (subgraphs expanded, primitive and
  reroute nodes resolved, bypassed and muted nodes handled as the editor handles them);
  ``Graph.from_ui`` loads the result.
* :mod:`.ui_export` and :mod:`.layout`: a graph as an editor workflow (``Graph.to_ui``):
  laid out left to right along the data flow, one group per stage, nothing overlapping.

Import rule: this package sits in the graph layer. It imports the foundation and the graph
layer's schema modules (``ltx2sdk.graph.schema``, ``.releases``, ``.node_defs``) and its
link handles (``.handles``, which the export reads), never
``ltx2sdk.graph.core``: the core's ``Graph.from_ui`` calls into it lazily, so an import of
the core from here would be a cycle. Nothing outside the graph layer's own rule.
"""
