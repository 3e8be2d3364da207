"""Typed output handles: what adding a node gives back, one per output slot.

A handle names a node's output slot and carries its ComfyUI type. Passing a
handle as another node's input makes a link. The subclasses exist so that type
checkers (and readers) see ``vae: Vae`` where ComfyUI says ``VAE``; at run time
the graph checks the ComfyUI type string of every link anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ltx2sdk.graph.core import Node


class Output:
    """Output slot ``slot`` of ``node``, of ComfyUI type ``type``."""

    __slots__ = ("name", "node", "slot", "type")
    COMFY_TYPE: ClassVar[str] = "*"

    def __init__(self, node: Node, slot: int, type: str, name: str) -> None:
        self.node = node
        self.slot = slot
        self.type = type
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.type} output {self.slot} '{self.name}' of {self.node.describe()}>"

    def describe(self) -> str:
        """Human-readable origin for error messages."""
        return f"output {self.slot} '{self.name}' ({self.type}) of {self.node.describe()}"


class Model(Output):
    COMFY_TYPE = "MODEL"


class Clip(Output):
    COMFY_TYPE = "CLIP"


class Vae(Output):
    COMFY_TYPE = "VAE"


class Conditioning(Output):
    COMFY_TYPE = "CONDITIONING"


class Latent(Output):
    COMFY_TYPE = "LATENT"


class Image(Output):
    COMFY_TYPE = "IMAGE"


class Mask(Output):
    COMFY_TYPE = "MASK"


class Audio(Output):
    COMFY_TYPE = "AUDIO"


class Video(Output):
    COMFY_TYPE = "VIDEO"


class Noise(Output):
    COMFY_TYPE = "NOISE"


class Guider(Output):
    COMFY_TYPE = "GUIDER"


class Sampler(Output):
    COMFY_TYPE = "SAMPLER"


class Sigmas(Output):
    COMFY_TYPE = "SIGMAS"


class LatentUpscaleModel(Output):
    COMFY_TYPE = "LATENT_UPSCALE_MODEL"


class IntValue(Output):
    COMFY_TYPE = "INT"


class FloatValue(Output):
    COMFY_TYPE = "FLOAT"


class StringValue(Output):
    COMFY_TYPE = "STRING"


HANDLE_CLASSES: dict[str, type[Output]] = {
    cls.COMFY_TYPE: cls
    for cls in (Model, Clip, Vae, Conditioning, Latent, Image, Mask, Audio, Video, Noise,
                Guider, Sampler, Sigmas, LatentUpscaleModel, IntValue, FloatValue, StringValue)
}


def make_output(node: Node, slot: int, comfy_type: str, name: str) -> Output:
    """The most specific handle class for ``comfy_type`` (plain :class:`Output` otherwise)."""
    return HANDLE_CLASSES.get(comfy_type, Output)(node, slot, comfy_type, name)
