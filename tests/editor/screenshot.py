"""A picture of an exported pipeline in ComfyUI's own editor: ``ltx2 build --example``'s
graph (``Graph.to_ui()``, built for the server the editor runs against), opened in headless
chromium and framed with the editor's "Fit view".

    python -m tests.editor.screenshot docs/editor-export.png

writes the README's picture (needs the ``[dev]`` extra and ``/usr/bin/chromium``, as the
editor tests do). The tests make the same picture as an artefact
(``tests/editor/test_export_in_the_editor.py``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from tests.editor.browser import VIEWPORT, Editor

PICTURE_SIZE = (2400, 820)
"""The page's size for the picture: as wide as the graph's stages need to be read."""


def example_workflow(object_info: dict[str, Any]) -> dict[str, Any]:
    """``ltx2 build --example``'s graph as an editor workflow, built with ``object_info``'s
    schemas."""
    from builders import build  # start-up: composing graphs loads the node calls
    from ltx2sdk.app.cli.request_flags import EXAMPLE_REQUEST  # start-up: the CLI's example
    from ltx2sdk.graph.schema import SchemaSet  # start-up: as above
    from ltx2sdk.request import GenerationRequest  # start-up: as above

    schemas = SchemaSet.from_object_info(object_info)
    workflow: dict[str, Any] = build(GenerationRequest(**EXAMPLE_REQUEST),
                                     schemas=schemas).graph.to_ui()
    return workflow


def picture(editor: Editor, object_info: dict[str, Any], path: Path) -> list[str]:
    """Open the example's export in ``editor``, frame it, save a PNG at ``path``; what the
    editor reported on loading it (empty: nothing)."""
    problems = editor.load(example_workflow(object_info))
    # a picture to read: the whole graph wide enough for the editor to draw its text (by
    # default it draws none where the text would be small), no minimap over it, no frame
    # counter (the same picture each time)
    editor.set_setting("LiteGraph.Canvas.MinFontSizeForLOD", 0)
    editor.set_setting("Comfy.Minimap.Visible", False)
    editor.set_setting("Comfy.Graph.CanvasInfo", False)
    editor.resize(*PICTURE_SIZE)
    try:
        editor.fit_view()
        editor.screenshot(path)
    finally:
        editor.resize(VIEWPORT["width"], VIEWPORT["height"])
        editor.set_setting("Comfy.Minimap.Visible", True)
        editor.set_setting("Comfy.Graph.CanvasInfo", True)
        editor.set_setting("LiteGraph.Canvas.MinFontSizeForLOD", 8)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.editor.screenshot",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    from tests.editor.fixtures import serve_editor  # start-up: the stand-in and its data

    with tempfile.TemporaryDirectory() as inputs, serve_editor(Path(inputs)) as server:
        with urllib.request.urlopen(server.url + "/object_info", timeout=30) as answer:
            object_info = json.load(answer)
        with Editor(server.url) as editor:
            problems = picture(editor, object_info, args.output)
    for problem in problems:
        print(problem)
    print(f"{args.output}: the example's export in the editor")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
