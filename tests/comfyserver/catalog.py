"""The node schemas the server serves and validates against, with its model files filled in.

ComfyUI computes file combos (``CheckpointLoaderSimple.ckpt_name``, ``LoadImage.image``, ...) on
every ``/object_info`` call from what is on disk. The captured ``object_info_ltx2.json`` has
those lists empty; :class:`NodeCatalog` fills them from a :class:`ModelStore` and from the
server's input directory, both for ``GET /object_info`` and for prompt validation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
OBJECT_INFO_FIXTURE = FIXTURES_DIR / "object_info_ltx2.json"
CAPTURE_NODES_FILE = Path(__file__).with_name("capture_nodes.json")

# (node class, input) -> models folder whose files are the combo's options.
MODEL_COMBOS: dict[tuple[str, str], str] = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("LTXAVTextEncoderLoader", "ckpt_name"): "checkpoints",
    ("LTXAVTextEncoderLoader", "text_encoder"): "text_encoders",
    ("LTXVAudioVAELoader", "ckpt_name"): "checkpoints",
    ("LatentUpscaleModelLoader", "model_name"): "latent_upscale_models",
    ("LoraLoader", "lora_name"): "loras",
    ("LoraLoaderModelOnly", "lora_name"): "loras",
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("VAELoader", "vae_name"): "vae",
    ("LoadMoGeModel", "model_name"): "geometry_estimation",
}

# Options ComfyUI appends after the files (VAELoader always offers the pixel-space "VAE").
EXTRA_COMBO_OPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("VAELoader", "vae_name"): ("pixel_space",),
}

# (node class, input) -> media kinds of the input-directory files offered by the combo.
INPUT_FILE_COMBOS: dict[tuple[str, str], tuple[str, ...]] = {
    ("LoadImage", "image"): ("image",),
    ("LoadAudio", "audio"): ("audio", "video"),
    ("LoadVideo", "file"): ("video",),
}


def load_object_info(
    path: Path = OBJECT_INFO_FIXTURE, *, include_capture_nodes: bool = True
) -> dict[str, Any]:
    """Read a ``GET /object_info`` dump.

    ``include_capture_nodes`` adds the few stock nodes (EmptyAudio, ColorTransfer, ...) that the
    protocol captures use but the LTX-2 dump leaves out, so the captured prompts validate.
    """
    info = cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))
    if include_capture_nodes:
        extra = json.loads(CAPTURE_NODES_FILE.read_text(encoding="utf-8"))["nodes"]
        for name, node in extra.items():
            info.setdefault(name, node)
    return info


@dataclass
class ModelStore:
    """The model files the server pretends to have, per models folder.

    ``placeholders`` are ``(folder, name)`` pairs of files that exist but are empty: they are
    listed like any other file and pass validation, but a loader that opens one fails at run
    time the way ComfyUI does on a 0-byte safetensors file.
    """

    files: dict[str, list[str]] = field(default_factory=dict)
    placeholders: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        models: Mapping[str, Iterable[str]] | None = None,
        placeholders: Mapping[str, Iterable[str]] | None = None,
    ) -> ModelStore:
        files: dict[str, list[str]] = {k: list(v) for k, v in (models or {}).items()}
        marked: set[tuple[str, str]] = set()
        for folder, names in (placeholders or {}).items():
            for name in names:
                marked.add((folder, name))
                if name not in files.setdefault(folder, []):
                    files[folder].append(name)
        return cls(files, marked)

    def listing(self, folder: str) -> list[str]:
        """File names in ``folder``, sorted like ``folder_paths.get_filename_list``."""
        return sorted(self.files.get(folder, []))

    def is_placeholder(self, folder: str, name: str) -> bool:
        return (folder, name) in self.placeholders


InputLister = Callable[[Sequence[str]], list[str]]


class NodeCatalog:
    """Node schemas keyed by class type, answering with the server's current files filled in."""

    def __init__(
        self, object_info: Mapping[str, Any], models: ModelStore, input_files: InputLister
    ) -> None:
        self._raw = dict(object_info)
        self.models = models
        self._input_files = input_files

    def __contains__(self, class_type: object) -> bool:
        return class_type in self._raw

    def class_types(self) -> list[str]:
        return list(self._raw)

    def info(self, class_type: str) -> dict[str, Any]:
        """One node's ``/object_info`` entry (a copy), file combos filled. KeyError if unknown."""
        node = copy.deepcopy(self._raw[class_type])
        for section in ("required", "optional"):
            for name, spec in node.get("input", {}).get(section, {}).items():
                options = self._file_options(class_type, name)
                if options is not None:
                    _set_combo_options(spec, options)
        return cast(dict[str, Any], node)

    def all_info(self) -> dict[str, Any]:
        return {name: self.info(name) for name in self._raw}

    def is_output(self, class_type: str) -> bool:
        return bool(self._raw[class_type].get("output_node", False))

    def is_v3(self, class_type: str) -> bool:
        # Only V3 (comfy_api) nodes report ``output_matchtypes``; V1 nodes lack the key.
        return "output_matchtypes" in self._raw[class_type]

    def is_async(self, class_type: str) -> bool:
        # API nodes are the async ones; ComfyUI starts async nodes first.
        return bool(self._raw[class_type].get("api_node", False))

    def return_types(self, class_type: str) -> Sequence[Any]:
        """RETURN_TYPES as ComfyUI holds it: a tuple for V1 nodes, a list for V3 nodes.

        The container type matters because a bad slot index surfaces as Python's own
        "tuple index out of range" / "list index out of range" in the 400 body.
        """
        outputs = list(self._raw[class_type].get("output", []))
        return outputs if self.is_v3(class_type) else tuple(outputs)

    def _file_options(self, class_type: str, input_name: str) -> list[str] | None:
        key = (class_type, input_name)
        if key in MODEL_COMBOS:
            return self.models.listing(MODEL_COMBOS[key]) + list(EXTRA_COMBO_OPTIONS.get(key, ()))
        if key in INPUT_FILE_COMBOS:
            return self._input_files(INPUT_FILE_COMBOS[key])
        return None


def _set_combo_options(spec: list[Any], options: list[str]) -> None:
    """Write ``options`` into a combo spec in either of its two wire forms."""
    if isinstance(spec[0], list):  # legacy form: [[option, ...], {...}]
        spec[0] = options
    elif spec[0] == "COMBO" and len(spec) > 1:  # V3 form: ["COMBO", {"options": [...]}]
        spec[1]["options"] = options
