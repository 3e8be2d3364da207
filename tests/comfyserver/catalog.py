"""The node schemas the server serves and validates against, with its model files filled in.

ComfyUI computes file combos (``CheckpointLoaderSimple.ckpt_name``, ``LoadImage.image``, ...) on
every ``/object_info`` call from what is on disk. The captured ``object_info_ltx2.json`` has
those lists empty; the per-release captures (``fixtures/versions``) list the empty placeholder
files their server had. Either way :class:`NodeCatalog` replaces them with the files of a
:class:`ModelStore` and of the server's input directory, both for ``GET /object_info`` and for
prompt validation (so a model file the test server does not have is refused).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
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
    ("LoadImageMask", "image"): ("image",),
    ("LoadAudio", "audio"): ("audio", "video"),
    ("LoadVideo", "file"): ("video",),
}

# Stock loaders whose models folder held no placeholder in the release captures, so that their
# combo cannot be recognised by its options (see :func:`detect_file_combos`).
STOCK_MODEL_COMBOS: dict[tuple[str, str], str] = {
    ("ControlNetLoader", "control_net_name"): "controlnet",
    ("DiffControlNetLoader", "control_net_name"): "controlnet",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("StyleModelLoader", "style_model_name"): "style_models",
    ("GLIGENLoader", "gligen_name"): "gligen",
    ("HypernetworkLoader", "hypernetwork_name"): "hypernetworks",
    ("PhotoMakerLoader", "photomaker_model_name"): "photomaker",
    ("ModelPatchLoader", "name"): "model_patches",
    ("AudioEncoderLoader", "audio_encoder_name"): "audio_encoders",
}

# One combo per models folder whose options, in a release capture, are exactly the placeholder
# files that were in that folder: every other combo listing the same files reads that folder.
ANCHOR_COMBOS: dict[str, tuple[str, str]] = {
    "checkpoints": ("CheckpointLoaderSimple", "ckpt_name"),
    "text_encoders": ("CLIPLoader", "clip_name"),
    "loras": ("LoraLoader", "lora_name"),
    "latent_upscale_models": ("LatentUpscaleModelLoader", "model_name"),
    "diffusion_models": ("UNETLoader", "unet_name"),
    "vae": ("VAELoader", "vae_name"),
}
IMAGE_ANCHOR = ("LoadImage", "image")

ComboKey = tuple[str, str]


@dataclass(frozen=True)
class FileCombos:
    """Which combos list files, and from where.

    ``models``: (class, input) -> the models folders it lists, one after the other (0.38's
    ``LTXVAudioVAELoader`` lists ``vae/`` then ``checkpoints/``); ``inputs``: (class, input) ->
    media kinds of the input directory; ``extras``: options ComfyUI appends after the files
    (VAELoader's ``pixel_space``, TrainLoraNode's ``[None]``).
    """

    models: Mapping[ComboKey, tuple[str, ...]]
    inputs: Mapping[ComboKey, tuple[str, ...]]
    extras: Mapping[ComboKey, tuple[str, ...]]


DEFAULT_FILE_COMBOS = FileCombos({key: (folder,) for key, folder in MODEL_COMBOS.items()},
                                 INPUT_FILE_COMBOS, EXTRA_COMBO_OPTIONS)


def combo_options(spec: Sequence[Any]) -> list[Any] | None:
    """The options of a combo spec in either wire form, None if ``spec`` is no combo."""
    if not spec:
        return None
    if isinstance(spec[0], list):
        return list(spec[0])
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return list(spec[1].get("options", []))
    return None


def _is_file_name(option: Any) -> bool:
    return isinstance(option, str) and bool(PurePosixPath(option).suffix)


def _top_level_combos(object_info: Mapping[str, Any]) -> Iterable[tuple[ComboKey, list[Any]]]:
    for class_type, node in object_info.items():
        for section in ("required", "optional"):
            for name, spec in node.get("input", {}).get(section, {}).items():
                options = combo_options(spec)
                if options is not None:
                    yield (class_type, name), options


def _options_at(object_info: Mapping[str, Any], key: ComboKey) -> list[Any] | None:
    class_type, name = key
    inputs = object_info.get(class_type, {}).get("input", {})
    spec = inputs.get("required", {}).get(name) or inputs.get("optional", {}).get(name)
    return combo_options(spec) if spec is not None else None


def captured_files(object_info: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """(models folder -> files, input files) the server that produced ``object_info`` had,
    read from the anchor combos and the input-file loaders (empty where a capture lists no
    files): images, and audio or video files (0.38.1's ``LoadAudio`` lists ``voice.wav``)."""
    models: dict[str, list[str]] = {}
    for folder, key in ANCHOR_COMBOS.items():
        files = [o for o in _options_at(object_info, key) or [] if _is_file_name(o)]
        if files:
            models[folder] = files
    inputs = {o for key in (IMAGE_ANCHOR, *INPUT_FILE_COMBOS)
              for o in _options_at(object_info, key) or [] if _is_file_name(o)}
    return models, sorted(inputs)


def _listed_in_turn(folders: Mapping[str, list[str]], options: Sequence[Any]
                    ) -> tuple[str, ...] | None:
    """The two folders whose files, the first's then the other's not already listed, are
    ``options`` (ComfyUI 0.38's ``_ltxv_audio_vae_names`` lists ``vae/`` then
    ``checkpoints/``); None if no two are."""
    files = [o for o in options if _is_file_name(o)]
    for first, listed in folders.items():
        for second, more in folders.items():
            both = sorted(listed) + [name for name in sorted(more) if name not in listed]
            if first != second and both == files:
                return first, second
    return None


def detect_file_combos(object_info: Mapping[str, Any]) -> FileCombos:
    """Find the file combos of a whole ``/object_info`` dump.

    A combo whose file options are exactly the placeholder files of one models folder (or the
    input images) lists that folder, one whose options are two folders' files in turn lists
    both; its other options are kept after the files. Known loaders
    of folders that were empty in the capture (:data:`STOCK_MODEL_COMBOS`, :data:`MODEL_COMBOS`)
    and :data:`INPUT_FILE_COMBOS` are added where the dump has them.
    """
    folders, _ = captured_files(object_info)
    images = [o for o in _options_at(object_info, IMAGE_ANCHOR) or [] if _is_file_name(o)]
    by_files: dict[frozenset[str], str] = {}
    for folder, names in folders.items():
        by_files.setdefault(frozenset(names), folder)
    image_set = frozenset(images)
    models: dict[ComboKey, tuple[str, ...]] = {}
    inputs: dict[ComboKey, tuple[str, ...]] = {}
    extras: dict[ComboKey, tuple[str, ...]] = {}
    for key, options in _top_level_combos(object_info):
        files = frozenset(o for o in options if _is_file_name(o))
        rest = tuple(o for o in options if not _is_file_name(o))
        if files and files in by_files:
            models[key] = (by_files[files],)
        elif files and (in_turn := _listed_in_turn(folders, options)) is not None:
            models[key] = in_turn
        elif files and files == image_set:
            inputs[key] = ("image",)
        else:
            continue
        if rest:
            extras[key] = rest
    for key, folder in {**STOCK_MODEL_COMBOS, **MODEL_COMBOS}.items():
        listed = _options_at(object_info, key)
        if key not in models and listed is not None and all(map(_is_file_name, listed)):
            models[key] = (folder,)
            if key in EXTRA_COMBO_OPTIONS:
                extras[key] = EXTRA_COMBO_OPTIONS[key]
    for key, kinds in INPUT_FILE_COMBOS.items():
        listed = _options_at(object_info, key)
        if key not in inputs and listed is not None and all(map(_is_file_name, listed)):
            inputs[key] = kinds
    return FileCombos(models, inputs, extras)


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

    def listing_in_turn(self, folders: Sequence[str]) -> list[str]:
        """The files of each folder in turn, each name once (where several folders hold it,
        a loader opens the first one's)."""
        names: list[str] = []
        for folder in folders:
            names += [name for name in self.listing(folder) if name not in names]
        return names

    def folder_of(self, folders: Sequence[str], name: str) -> str | None:
        """The first of ``folders`` that holds ``name``."""
        return next((f for f in folders if name in self.files.get(f, [])), None)

    def is_placeholder(self, folder: str, name: str) -> bool:
        return (folder, name) in self.placeholders


InputLister = Callable[[Sequence[str]], list[str]]


class NodeCatalog:
    """Node schemas keyed by class type, answering with the server's current files filled in."""

    def __init__(
        self,
        object_info: Mapping[str, Any],
        models: ModelStore,
        input_files: InputLister,
        file_combos: FileCombos = DEFAULT_FILE_COMBOS,
    ) -> None:
        self._raw = dict(object_info)
        self.models = models
        self._input_files = input_files
        self.file_combos = file_combos

    @property
    def model_combos(self) -> Mapping[ComboKey, tuple[str, ...]]:
        """(node class, input) -> the models folders every model-file combo lists, in turn."""
        return self.file_combos.models

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
        combos = self.file_combos
        if key in combos.models:
            return (self.models.listing_in_turn(combos.models[key])
                    + list(combos.extras.get(key, ())))
        if key in combos.inputs:
            return self._input_files(combos.inputs[key]) + list(combos.extras.get(key, ()))
        return None


def _set_combo_options(spec: list[Any], options: list[str]) -> None:
    """Write ``options`` into a combo spec in either of its two wire forms."""
    if isinstance(spec[0], list):  # legacy form: [[option, ...], {...}]
        spec[0] = options
    elif spec[0] == "COMBO" and len(spec) > 1:  # V3 form: ["COMBO", {"options": [...]}]
        spec[1]["options"] = options
