"""The editor's view of a node schema: its widgets, in the order ``widgets_values`` holds them.

ComfyUI's editor stores a node's literal inputs positionally: one value per widget, in the
order the editor made the widgets. That order is the schema's input order (required, then
optional), with these extras, as the frontend makes them:

* a **control widget** (``control_after_generate``: ``"fixed"``, ``"randomize"``, ...) right
  after an INT or COMBO widget whose input declares ``control_after_generate``, and after an
  INT widget named ``seed`` or ``noise_seed`` that does not declare it (the frontend's rule for
  older nodes; ``control_after_generate: false`` turns it off). A COMBO's control is followed
  by its filter text (``control_filter_list``);
* **dynamic-combo sub-widgets** right after their combo, for the option chosen, named with
  dotted paths (``"resize_type.width"``, ``"format.codec"``), nested to any depth;
* an **upload** widget after the required widgets of a node whose input takes an uploaded
  file (``LoadImage``: the value ``"image"``), and for audio, the player's widget before it
  (``LoadAudio``: two ``null`` values).

Inputs marked ``forceInput``, link types and autogrow inputs have no widget. Hidden inputs
(a legacy input such as 0.38's ``SaveVideo.codec``) keep theirs.

Newer frontends stop storing the control mode, and workflows saved by another release of a
node have more or fewer values than its schema now has: :func:`widget_values_to_inputs`
reads a control value only where one is stored, leaves values left over unread and gives a
widget without a value its default, as the editor does when it loads such a workflow.

Import rule: as the package (:mod:`ltx2sdk.graph.editor`): the schema module only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ltx2sdk.graph.schema import InputSpec, NodeSchema

__all__ = [
    "CONTROL_MODES",
    "Widget",
    "control_mode",
    "has_widget",
    "inputs_to_widget_values",
    "widget_names",
    "widget_values_to_inputs",
    "widgets",
]

CONTROL_MODES = frozenset({"fixed", "increment", "decrement", "randomize", "increment-wrap"})
"""The values a ``control_after_generate`` widget takes."""

SEED_NAMES = ("seed", "noise_seed")
"""INT inputs the frontend gives a control widget unless they declare otherwise."""

UPLOAD_VALUE = "image"
"""What the frontend stores for the upload button of an image or video loader."""

WidgetKind = Literal["value", "control", "filter", "upload", "player"]

SUB_WIDGET_ORDER: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("ResizeImageMaskNode", "resize_type", "scale dimensions"): ("width", "height", "crop"),
    ("TextGenerateLTX2Prompt", "sampling_mode", "on"): (
        "temperature", "top_k", "top_p", "min_p", "repetition_penalty", "seed",
        "presence_penalty"),
    **{(node, "model", option): ("duration", "resolution", "fps", "generate_audio")
       for node in ("LtxApi25TextToVideo", "LtxApi25ImageToVideo")
       for option in ("LTX-2.5 (Fast)", "LTX-2.5 (Pro)")},
    # ComfyUI's Kling Omni Pro nodes (comfy_api_nodes/nodes_kling.py) add per segment i
    # "storyboard_{i}_prompt", then "storyboard_{i}_duration"; the template
    # template_sirolim_image_script_video stores them so: ["3 storyboards", "", 4, "", 4, ...]
    **{(node, "storyboards", f"{count} storyboard{'s' if count > 1 else ''}"): tuple(
        f"storyboard_{i}_{part}" for i in range(1, count + 1) for part in ("prompt", "duration"))
       for node in ("KlingOmniProTextToVideoNode", "KlingOmniProImageToVideoNode",
                    "KlingOmniProFirstLastFrameNode")
       for count in range(1, 7)},
}
"""The definition order of dynamic-combo options with several sub-widgets, by ``(class_type,
combo path, option)``: a server's ``/object_info`` keeps it, but a dump written with sorted
keys (the bundled releases) loses it, and the editor stores the values in definition order.
Taken from the official templates that store ``widgets_values_named`` beside the values, and
from the nodes' sources. Used only when the option's sub-inputs are exactly these names.
An option not listed here whose sub-inputs come in sorted order may be in the wrong one: a
value read for such a widget that does not fit its type is reported (see
:func:`widget_values_to_inputs`'s ``misfits``)."""


@dataclass(frozen=True)
class Widget:
    """One widget of a node in the editor, in ``widgets_values`` order.

    ``name`` is the API input name for a ``"value"`` widget (dotted for a dynamic-combo
    sub-widget) and the name the editor gives the others (``"control_after_generate"``,
    ``"control_filter_list"``, ``"upload"``, ``"audioUI"``); ``spec`` is the input the widget
    shows or serves; ``default`` is what the editor stores in a new node. ``order_unknown``:
    a dynamic-combo sub-widget whose place among its option's sub-widgets is a guess (the
    schemas list them in sorted order and :data:`SUB_WIDGET_ORDER` does not know them).
    """

    name: str
    kind: WidgetKind
    spec: InputSpec
    default: Any = None
    order_unknown: bool = False


def has_widget(spec: InputSpec) -> bool:
    """Whether the editor shows ``spec`` as a widget (one value in ``widgets_values``)."""
    return spec.is_widget and not spec.force_input and spec.autogrow is None


def control_mode(spec: InputSpec, name: str | None = None) -> str | None:
    """The default mode of the control widget the editor adds after ``spec``'s widget, or
    ``None`` when it adds none. ``name`` is the widget's name (a dotted path for a
    dynamic-combo sub-widget, which the seed-name rule does not match)."""
    declared = spec.control_after_generate
    kind = spec.widget_type or spec.type
    if kind == "INT":
        if declared is None:
            declared = (name or spec.name) in SEED_NAMES
    elif kind != "COMBO":
        return None
    if declared is True:
        return "randomize"
    if isinstance(declared, str) and declared:
        return declared
    return None


def _default(spec: InputSpec) -> Any:
    """What the editor puts in a new widget: the declared default, else a combo's first
    option, else the frontend's zero of the type."""
    if spec.default is not None:
        return spec.default
    if spec.options:
        return spec.options[0]
    return {"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False}.get(
        spec.widget_type or spec.type)


def _sub_inputs(schema: NodeSchema, path: str, spec: InputSpec, option: Any
                ) -> tuple[tuple[InputSpec, ...], bool]:
    """The inputs dynamic combo ``path`` adds for ``option``, in definition order, and
    whether that order is unknown: two or more widgets in sorted order (what a dump written
    with sorted keys leaves) that :data:`SUB_WIDGET_ORDER` does not list."""
    if spec.choices is None or not isinstance(option, str) or option not in spec.choices:
        return (), False
    subs = spec.choices[option]
    known = SUB_WIDGET_ORDER.get((schema.class_type, path, option))
    if known is not None and {sub.name for sub in subs} == set(known):
        rank = {name: index for index, name in enumerate(known)}
        return tuple(sorted(subs, key=lambda sub: rank[sub.name])), False
    names = [sub.name for sub in subs if has_widget(sub)]
    return subs, len(names) > 1 and names == sorted(names)


def _input_widgets(schema: NodeSchema, spec: InputSpec, path: str,
                   chosen: Mapping[str, Any], order_unknown: bool = False) -> Iterator[Widget]:
    """The widgets of one input: its own, its control, its sub-widgets. Lazy: the option
    of a dynamic combo is looked up in ``chosen`` only once its widget has been consumed."""
    yield Widget(path, "value", spec, _default(spec), order_unknown)
    mode = control_mode(spec, path)
    if mode is not None:
        yield Widget("control_after_generate", "control", spec, mode)
        if (spec.widget_type or spec.type) == "COMBO":
            yield Widget("control_filter_list", "filter", spec, "")
    if spec.choices is not None:
        option = chosen.get(path, _default(spec))
        subs, unknown = _sub_inputs(schema, path, spec, option)
        for sub in subs:
            if has_widget(sub):
                yield from _input_widgets(schema, sub, f"{path}.{sub.name}", chosen, unknown)


def _walk(schema: NodeSchema, chosen: Mapping[str, Any]) -> Iterator[Widget]:
    """The widgets of a ``schema`` node in order; see :func:`widgets`."""
    uploads: list[InputSpec] = []
    for required in (True, False):
        for spec in schema.inputs:
            if spec.required is required and has_widget(spec):
                yield from _input_widgets(schema, spec, spec.name, chosen)
                if spec.upload is not None:
                    uploads.append(spec)
        if required:  # the frontend adds its upload inputs to the required ones
            for spec in uploads:
                if spec.upload == "audio_upload":
                    yield Widget("audioUI", "player", spec, None)
                    yield Widget("upload", "upload", spec, None)
                else:
                    yield Widget("upload", "upload", spec, UPLOAD_VALUE)


def widgets(schema: NodeSchema, chosen: Mapping[str, Any] | None = None) -> list[Widget]:
    """Every widget of a ``schema`` node in ``widgets_values`` order, the dynamic combos'
    sub-widgets for the options in ``chosen`` (API input names to values; a combo not in it
    shows its default option)."""
    return list(_walk(schema, chosen or {}))


def widget_names(schema: NodeSchema, chosen: Mapping[str, Any] | None = None) -> list[str]:
    """The API input names that hold widget values, in order (see :func:`widgets`)."""
    return [widget.name for widget in widgets(schema, chosen) if widget.kind == "value"]


def _fits_extra(widget: Widget, value: Any) -> bool:
    """Whether ``value`` is what the editor stores for an extra (non-input) widget."""
    if widget.kind == "control":
        return isinstance(value, str) and value in CONTROL_MODES
    if widget.kind == "filter":
        return isinstance(value, str)
    if widget.kind == "player":
        return value is None
    return value is None or isinstance(value, str)  # an upload button: "image", or null


def _fits_type(spec: InputSpec, value: Any) -> bool:
    """Whether ``value`` is of the kind a widget of ``spec``'s type holds (a type not
    checked here fits)."""
    kind = spec.widget_type or spec.type
    if kind in ("INT", "FLOAT"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "STRING":
        return isinstance(value, str)
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    return True


def widget_values_to_inputs(schema: NodeSchema,
                            values: Sequence[Any] | Mapping[str, Any] | None, *,
                            missing: list[str] | None = None,
                            misfits: list[str] | None = None) -> dict[str, Any]:
    """A node's stored widget values as API inputs (name to value), by its ``schema``.

    ``values`` is the node's ``widgets_values``: a list in widget order (:func:`widgets`), or
    a mapping by widget name (some nodes and the ``widgets_values_named`` of newer
    frontends). Every widget input of the schema gets a value, linked or not (a link then
    replaces it). The extra widgets' values (control mode, filter, upload button) are read
    where they are stored and dropped: a control value is read only when one is there (newer
    frontends do not store it). As the editor loads a node: a widget with no value left takes
    its default (its name is appended to ``missing`` when given); values left over are not
    read. A value read from a list for a sub-widget whose order is unknown
    (:attr:`Widget.order_unknown`) that does not fit the widget's type was probably read in
    the wrong order: its widget's name is appended to ``misfits`` when given.
    """
    result: dict[str, Any] = {}
    if isinstance(values, Mapping):
        for widget in _walk(schema, result):
            if widget.kind == "value":
                if widget.name not in values and missing is not None:
                    missing.append(widget.name)
                result[widget.name] = values.get(widget.name, widget.default)
        return result
    stored = list(values or [])
    position = 0
    skipped_control = False
    for widget in _walk(schema, result):  # lazily: each option read shapes what follows
        if widget.kind == "value":
            skipped_control = False
            if position < len(stored):
                result[widget.name] = stored[position]
                position += 1
                if (misfits is not None and widget.order_unknown
                        and not _fits_type(widget.spec, result[widget.name])):
                    misfits.append(widget.name)
            else:
                result[widget.name] = widget.default
                if missing is not None:
                    missing.append(widget.name)
        elif widget.kind == "filter" and skipped_control:
            continue  # no control stored, no filter either
        elif position < len(stored) and _fits_extra(widget, stored[position]):
            position += 1
        elif widget.kind == "control":
            skipped_control = True
    return result


def inputs_to_widget_values(schema: NodeSchema, inputs: Mapping[str, Any], *,
                            control: str | None = "fixed") -> list[Any]:
    """The ``widgets_values`` list the editor stores for a node with API ``inputs``.

    A widget whose input is missing from ``inputs`` or linked there (a ``[node id, slot]``
    list) stores the widget's default, as the editor keeps it beside a link. ``control`` is
    the mode written for each control widget (``"fixed"``: the editor then queues the same
    seed again); ``None`` writes each control's own default mode (``"randomize"`` for a
    seed). The inverse of :func:`widget_values_to_inputs`.
    """
    chosen = {name: value for name, value in inputs.items() if not _is_link(value)}
    result: list[Any] = []
    for widget in _walk(schema, chosen):
        if widget.kind == "value":
            result.append(chosen.get(widget.name, widget.default))
        elif widget.kind == "control" and control is not None:
            result.append(control)
        else:
            result.append(widget.default)
    return result


def _is_link(value: Any) -> bool:
    """An API link: ``[node id string, output slot]``."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int) and not isinstance(value[1], bool))
