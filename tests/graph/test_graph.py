"""The graph core: typed handles, build-time errors, compile, round trip, no shared state."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from ltx2sdk import Graph, Nodes, SchemaSet
from ltx2sdk.errors import (
    GraphStructureError,
    InputValueError,
    LinkTypeError,
    MissingInputError,
    UnknownInputError,
    UnknownNodeTypeError,
)
from ltx2sdk.graph.handles import Image, Latent, Vae


def _video_graph(g: Graph) -> None:
    image = g.add("EmptyImage", width=64, height=64, batch_size=9, color=0x336699)[0]
    video = g.add("CreateVideo", images=image, fps=24.0)[0]
    g.add("SaveVideo", video=video, filename_prefix="video/ltx2sdk")


def test_add_returns_one_typed_handle_per_output_slot() -> None:
    n = Nodes(Graph())
    model, clip, vae = n.CheckpointLoaderSimple("ltx-2-19b-distilled.safetensors")
    assert (model.type, clip.type, vae.type) == ("MODEL", "CLIP", "VAE")
    assert isinstance(vae, Vae)
    assert [h.slot for h in (model, clip, vae)] == [0, 1, 2]
    separate = n.graph.add("LTXVSeparateAVLatent",
                           av_latent=n.EmptyLTXVLatentVideo(64, 64, 9))
    assert [(o.type, o.name) for o in separate] == [("LATENT", "video_latent"),
                                                    ("LATENT", "audio_latent")]


def test_compile_assigns_sequential_ids_and_links() -> None:
    g = Graph()
    _video_graph(g)
    api = g.compile()
    assert list(api) == ["1", "2", "3"]
    assert api["2"]["inputs"]["images"] == ["1", 0]
    assert api["3"]["inputs"]["video"] == ["2", 0]
    assert api["3"]["inputs"]["format"] == "auto"  # default filled in, like the UI does
    assert api["1"]["_meta"]["title"] == "Empty Image"


def test_same_calls_compile_to_identical_bytes() -> None:
    a, b = Graph(), Graph()
    _video_graph(a)
    _video_graph(b)
    assert a.to_json() == b.to_json()


def test_vae_into_image_input_is_a_link_type_error() -> None:
    n = Nodes(Graph())
    _, _, vae = n.CheckpointLoaderSimple("ltx-2-19b-distilled.safetensors")
    with pytest.raises(LinkTypeError) as err:
        n.graph.add("CreateVideo", images=vae, fps=24.0, title="My video")
    message = str(err.value)
    assert "CreateVideo 'My video' (node 2)" in message
    assert "input 'images'" in message and "expects IMAGE" in message and "VAE" in message


def test_literal_into_link_input_is_an_error() -> None:
    with pytest.raises(LinkTypeError, match="expects a link of type IMAGE"):
        Graph().add("CreateVideo", images="frames.png", fps=24.0)


def test_unknown_input_suggests_the_right_name() -> None:
    g = Graph()
    image = g.add("EmptyImage")[0]
    with pytest.raises(UnknownInputError, match="did you mean 'fps'"):
        g.add("CreateVideo", images=image, fsp=24.0)


def test_missing_required_input_names_it() -> None:
    with pytest.raises(MissingInputError) as err:
        Graph().add("CreateVideo", fps=24.0)
    assert err.value.input_name == "images"
    assert "needs a link of type IMAGE" in str(err.value)


def test_missing_widget_without_default_is_an_error() -> None:
    n = Nodes(Graph())
    clip = n.LTXAVTextEncoderLoader("gemma_3_12B_it_fp4_mixed.safetensors",
                                    "ltx-2-19b-distilled.safetensors")
    with pytest.raises(MissingInputError, match="'text'"):
        n.graph.add("CLIPTextEncode", clip=clip)


@pytest.mark.parametrize(("inputs", "fragment"), [
    ({"frames_number": 1001}, "above the maximum 1000"),
    ({"frames_number": 0}, "below the minimum 1"),
    ({"frames_number": 9.5}, "expects an integer"),
    ({"frames_number": True}, "expects an integer"),
])
def test_out_of_range_and_wrong_kind_values(inputs: dict[str, Any], fragment: str) -> None:
    n = Nodes(Graph())
    audio_vae = n.LTXVAudioVAELoader("ltx-2-19b-distilled.safetensors")
    with pytest.raises(InputValueError, match=fragment):
        n.graph.add("LTXVEmptyLatentAudio", audio_vae=audio_vae, **inputs)


def test_combo_value_outside_options() -> None:
    with pytest.raises(InputValueError, match="'eulerr' is not one of the allowed values"):
        Graph().add("KSamplerSelect", sampler_name="eulerr")


def test_strict_graph_rejects_unknown_node_types_and_lenient_accepts_them() -> None:
    with pytest.raises(UnknownNodeTypeError, match="MyCustomNode"):
        Graph(strict=True).add("MyCustomNode", x=1)
    g = Graph()
    custom = g.add("MyCustomNode", x=1)
    g.add("PreviewAny", source=custom[0])
    assert g.compile()["2"]["inputs"]["source"] == ["1", 0]


def test_handles_cannot_cross_graphs() -> None:
    image = Graph().add("EmptyImage")[0]
    with pytest.raises(GraphStructureError, match="another graph"):
        Graph().add("CreateVideo", images=image, fps=24.0)


def test_dynamic_combo_and_match_type_output() -> None:
    n = Nodes(Graph())
    image = n.EmptyImage(640, 480)
    resized = n.ResizeImageMaskNode(image, "scale dimensions", "lanczos", width=320, height=256,
                                    crop="center")
    assert isinstance(resized, Image)  # COMFY_MATCHTYPE_V3 resolved from the input's type
    api = n.graph.compile()["2"]["inputs"]
    assert api["resize_type.width"] == 320 and api["resize_type.crop"] == "center"
    with pytest.raises(UnknownInputError, match=r"resize_type\.longer_size"):
        n.ResizeImageMaskNode(image, "scale dimensions", longer_size=1536)
    with pytest.raises(InputValueError, match="not one of the allowed values"):
        n.ResizeImageMaskNode(image, "scale sideways")


def test_round_trip_through_api_json() -> None:
    g = Graph()
    _video_graph(g)
    api = g.compile()
    again = Graph.from_api(json.loads(json.dumps(api)))
    assert again.compile() == api


def test_from_api_reorders_and_renumbers_any_ids() -> None:
    exported = {  # as a UI export might number them: consumers before producers
        "10": {"class_type": "SaveVideo",
               "inputs": {"video": ["7", 0], "filename_prefix": "x", "format": "auto",
                          "codec": "auto"}},
        "7": {"class_type": "CreateVideo", "inputs": {"images": ["42", 0], "fps": 24.0}},
        "42": {"class_type": "EmptyImage",
               "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
    }
    g = Graph.from_api(exported)
    assert [n.class_type for n in g] == ["EmptyImage", "CreateVideo", "SaveVideo"]
    assert g.compile()["3"]["inputs"]["video"] == ["2", 0]


def test_from_api_validates_links() -> None:
    bad = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "a.safetensors"}},
        "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 2], "fps": 24.0}},
    }
    with pytest.raises(LinkTypeError, match="expects IMAGE"):
        Graph.from_api(bad)
    with pytest.raises(GraphStructureError, match="does not exist"):
        Graph.from_api({"2": {"class_type": "CreateVideo", "inputs": {"images": ["9", 0]}}})
    cycle = {"1": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
             "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
    with pytest.raises(GraphStructureError, match="cycle"):
        Graph.from_api(cycle)


def _free_api(**changes: dict[str, Any]) -> dict[str, Any]:
    api: dict[str, Any] = {
        "1": {"class_type": "EmptyImage",
              "inputs": {"width": 64, "height": 64, "batch_size": 9, "color": 0}},
        "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 24.0}},
        "3": {"class_type": "SaveVideo", "inputs": {"video": ["2", 0], "filename_prefix": "v",
                                                    "format": "auto", "codec": "auto"}},
    }
    for node_id, inputs in changes.items():
        api[node_id]["inputs"].update(inputs)
    return api


@pytest.mark.parametrize("changes", [
    {"1": {"width": "64"}},                   # a numeric string for an INT
    {"1": {"width": 64.0}},                   # a float for an INT
    {"2": {"fps": "24"}},                     # a numeric string for a FLOAT
    {"1": {"width": {"__value__": 64}}},      # a wrapped value
    {"3": {"note": "kept, and ignored"}},     # an input the node does not declare
    {"3": {"codec.encoding": "re-encode"}},   # a sub-input of a later release's dynamic combo
])
def test_from_api_takes_what_comfyui_runs(changes: dict[str, dict[str, Any]]) -> None:
    api = _free_api(**changes)
    g = Graph.from_api(api)
    assert g.compile() == {k: {**v, "_meta": {"title": g.node(k).title}} for k, v in api.items()}


@pytest.mark.parametrize(("changes", "error", "fragment"), [
    ({"1": {"width": "wide"}}, InputValueError, "cannot be converted to INT"),
    ({"1": {"width": "64.5"}}, InputValueError, "cannot be converted to INT"),
    ({"1": {"width": 0}}, InputValueError, "below the minimum"),
    ({"2": {"fps": None}}, InputValueError, "cannot be converted to FLOAT"),
])
def test_from_api_refuses_what_comfyui_refuses(changes: dict[str, dict[str, Any]],
                                               error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        Graph.from_api(_free_api(**changes))


def test_from_api_fills_in_no_default() -> None:
    api = _free_api()
    del api["1"]["inputs"]["color"]
    with pytest.raises(MissingInputError, match="'color'"):
        Graph.from_api(api)
    g = Graph()
    g.add("EmptyImage", width=64, height=64, batch_size=1)  # building in Python fills it in
    assert g.compile()["1"]["inputs"]["color"] == 0


def test_graph_without_output_node_fails_validation() -> None:
    g = Graph()
    g.add("EmptyImage")
    with pytest.raises(GraphStructureError, match="no output node"):
        g.validate()


def test_validate_against_live_schemas(live_schemas: SchemaSet) -> None:
    g = Graph(live_schemas)
    _video_graph(g)  # the same calls work against the server's own schemas
    g.validate()
    with pytest.raises(InputValueError, match="above the maximum 120"):
        g.add("CreateVideo", images=g.nodes[0][0], fps=500.0)


def test_typed_out_checks_the_comfy_type() -> None:
    node = Graph().add("EmptyImage")
    assert isinstance(node.out(0, Image), Image)
    with pytest.raises(LinkTypeError, match="not LATENT"):
        node.out(0, Latent)


def test_graphs_built_concurrently_do_not_interfere() -> None:
    results: dict[int, list[str]] = {i: [] for i in range(8)}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(50):
                g = Graph()
                image = g.add("EmptyImage", width=8 * (i + 1), height=8)[0]
                g.add("SaveVideo", video=g.add("CreateVideo", images=image, fps=24.0)[0])
                results[i].append(g.to_json())
        except BaseException as exc:  # a thread's exception would otherwise only be printed
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i, texts in results.items():
        assert len(texts) == 50, f"worker {i} built {len(texts)} of 50 graphs"
        for text in texts:
            api = json.loads(text)
            assert list(api) == ["1", "2", "3"]
            assert api["1"]["inputs"]["width"] == 8 * (i + 1)


def test_from_api_of_text_says_to_parse_it_first() -> None:
    with pytest.raises(GraphStructureError, match=r"not a str: json\.loads\(\) the text first"):
        Graph.from_api('{"1": {"class_type": "EmptyImage", "inputs": {}}}')  # type: ignore[arg-type]


def test_a_graph_prints_its_size_and_node_types_not_an_address() -> None:
    g = Graph()
    assert repr(g) == str(g) == "<Graph: no nodes>"
    n = Nodes(g)
    frames = n.EmptyImage(64, 64, batch_size=9)
    assert repr(g) == "<Graph 1 node: EmptyImage>"
    n.SaveVideo(n.CreateVideo(frames, fps=24), "video/demo")
    assert str(g) == "<Graph 3 nodes: EmptyImage, CreateVideo, SaveVideo>"
    for _ in range(10):
        frames = n.EmptyImage(64, 64, batch_size=9)
    n.SaveVideo(n.CreateVideo(frames, fps=24), "video/demo")
    # one line at any size: the first and last types, the middle elided
    assert str(g) == ("<Graph 15 nodes: EmptyImage, CreateVideo, SaveVideo, ..., CreateVideo, "
                      "SaveVideo>")
    node, handle = g.nodes[0], g.nodes[0][0]
    assert repr(node) == "<Node EmptyImage 'Empty Image' (node 1)>"
    assert repr(handle) == "<IMAGE output 0 'IMAGE' of EmptyImage 'Empty Image' (node 1)>"
