"""The SDK's declarations of the ComfyUI nodes LTX-2 graphs use: one per node.

Each :func:`node` call declares a node once: its ComfyUI contract (a :class:`NodeSchema`,
written from ComfyUI 0.26.0's ``/object_info``) and what the SDK's typed constructor adds to it
(a :class:`NodeDecl`: its docstring, and the few choices that cannot be read off the schema).
``ltx2sdk/graph/nodes.py`` is generated from these declarations by :mod:`ltx2sdk.graph.codegen`
(``python -m ltx2sdk.graph.codegen``), so the two cannot drift.

``tests/graph/test_node_defs.py`` checks every declaration against 0.26.0 (names, types,
required/optional, defaults, min/max, outputs) and against each captured ComfyUI release,
listing what differs in older and newer ones; ``tests/graph/test_nodes_generated.py`` checks that
``nodes.py`` is up to date.

Model-file inputs are declared with their ``models/`` folder and no option list:
which files exist depends on the server, and is checked against it by the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ltx2sdk.graph.handles import Image, IntValue, Output, StringValue
from ltx2sdk.graph.schema import Autogrow, InputSpec, NodeSchema, OutputSpec, SchemaSet

SAMPLER_NAMES = (
    "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2",
    "exp_heun_2_x0", "exp_heun_2_x0_sde", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast",
    "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde",
    "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu",
    "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm",
    "lcm", "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp",
    "res_multistep_ancestral", "res_multistep_ancestral_cfg_pp", "gradient_estimation",
    "gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver", "sa_solver_pece",
    "ddim", "uni_pc", "uni_pc_bh2",
)
CLIP_TYPES = (
    "stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv", "pixart",
    "cosmos", "lumina2", "wan", "hidream", "chroma", "ace", "omnigen2", "qwen_image",
    "hunyuan_image", "flux2", "ovis", "longcat_image", "cogvideox", "lens", "pixeldit",
    "ideogram4", "boogu", "krea2",
)
SCALE_METHODS = ("nearest-exact", "bilinear", "area", "bicubic", "lanczos")
SCHEDULERS = ("simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal",
              "linear_quadratic", "kl_optimal")
MAX_SEED = 18446744073709551615

# --- a small vocabulary for declaring inputs -----------------------------------------------


def link(name: str, type_: str, *, required: bool = True, template: str | None = None) -> InputSpec:
    """An input fed by another node's output of ComfyUI type ``type_``."""
    return InputSpec(name=name, type=type_, required=required, template_id=template)


def integer(name: str, default: int | None, lo: int, hi: int, *,
            required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="INT", default=default, min=lo, max=hi, required=required)


def number(name: str, default: float | None, lo: float, hi: float | None, *,
           required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="FLOAT", default=default, min=lo, max=hi, required=required)


def text(name: str, default: str | None = None) -> InputSpec:
    return InputSpec(name=name, type="STRING", default=default)


def boolean(name: str, default: bool, *, required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="BOOLEAN", default=default, required=required)


def combo(name: str, options: tuple[Any, ...], default: Any = None, *,
          required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="COMBO", options=options, default=default,
                     required=required)


def model_file(name: str, folder: str) -> InputSpec:
    """A combo listing the files of ``models/<folder>`` on the server."""
    return InputSpec(name=name, type="COMBO", folder=folder)


def dynamic_combo(name: str, choices: dict[str, tuple[InputSpec, ...]]) -> InputSpec:
    """A V3 dynamic combo: each option brings its own sub-inputs (sent as "name.sub")."""
    return InputSpec(name=name, type="COMBO", options=tuple(choices), choices=choices)


def autogrow(name: str, type_: str, names: tuple[str, ...], *, least: int = 1) -> InputSpec:
    """A V3 autogrow input: one ``type_`` input per name used, sent as ``"name.<slot>"`` (the
    first ``least`` of ``names`` required)."""
    slot = InputSpec(name="value", type=type_)
    return InputSpec(name=name, type=type_, autogrow=Autogrow(names=names, min=least,
                                                               template=slot))


@dataclass(frozen=True)
class NodeDecl:
    """One node as the SDK declares it: ComfyUI's contract plus the typed constructor's extras.

    :mod:`ltx2sdk.graph.codegen` derives the constructor ``Nodes.<class_type>`` from ``schema``:
    one parameter per input in input order, link inputs typed with the handle class of their
    ComfyUI type, widget inputs with ComfyUI's default as the Python default, optional inputs
    defaulting to ``None``, one handle per output (the :class:`~ltx2sdk.graph.core.Node` itself for
    output nodes). The other fields hold what cannot be derived:

    ``doc``
        the constructor's docstring (a sentence or two; the codegen wraps it).
    ``arg_order``
        every input name, in the constructor's positional order, when it is not the input order.
    ``required_args``
        widget inputs the constructor requires although ComfyUI declares a default.
    ``arg_defaults``
        Python defaults the SDK chooses: where ComfyUI declares none, or another one.
    ``arg_handles``
        the handle class an input takes when its ComfyUI type does not imply it; for a widget
        input, a node output it may take besides a literal (``text: str | StringValue``).
    ``returns``
        the handle class of an output slot when its ComfyUI type does not imply it.
    ``varying_outputs``
        output slots that some tested releases lack or type otherwise: the constructor
        returns each as a plain :class:`~ltx2sdk.graph.handles.Output`, or ``None`` when the
        graph's target server declares the node without it.
    ``method``
        the constructor's name when ``class_type`` cannot be a Python name (``"Video Slice"``:
        ``VideoSlice``); empty: the ``class_type`` itself.
    """

    schema: NodeSchema
    doc: str
    arg_order: tuple[str, ...] = ()
    required_args: frozenset[str] = frozenset()
    arg_defaults: Mapping[str, Any] = field(default_factory=dict)
    arg_handles: Mapping[str, type[Output]] = field(default_factory=dict)
    returns: Mapping[int, type[Output]] = field(default_factory=dict)
    varying_outputs: frozenset[int] = frozenset()
    method: str = ""

    def __post_init__(self) -> None:
        schema, where = self.schema, self.schema.class_type
        if not self.method_name.isidentifier():
            raise ValueError(f"{where}: not a Python name; declare the constructor's method")
        names = set(schema.input_names)
        if not self.doc.strip():
            raise ValueError(f"{where}: the declaration needs a doc")
        if self.arg_order and sorted(self.arg_order) != sorted(names):
            raise ValueError(f"{where}: arg_order {self.arg_order} is not an order of the "
                             f"inputs {schema.input_names}")
        for name in self.required_args:
            spec = schema.input(name)
            if spec is None or not spec.is_widget or spec.default is None or not spec.required:
                raise ValueError(f"{where}: required_args names {name!r}, which is not a "
                                 "required widget input with a ComfyUI default")
        for name in self.arg_defaults:
            spec = schema.input(name)
            if spec is None or not spec.is_widget or name in self.required_args:
                raise ValueError(f"{where}: arg_defaults names {name!r}, which is not a widget "
                                 "input the constructor leaves optional")
        for name in self.arg_handles:
            if name not in names:
                raise ValueError(f"{where}: arg_handles names {name!r}, which is not an input")
        for slot in (*self.returns, *self.varying_outputs):
            if not 0 <= slot < len(schema.outputs):
                raise ValueError(f"{where}: returns or varying_outputs names output {slot}, "
                                 "which does not exist")

    @property
    def class_type(self) -> str:
        return self.schema.class_type

    @property
    def method_name(self) -> str:
        """The constructor's name: :attr:`method`, else the ``class_type``."""
        return self.method or self.schema.class_type


def node(class_type: str, inputs: list[InputSpec], outputs: list[tuple[str, str]], *,
         doc: str, display_name: str = "", output_node: bool = False,
         matchtype_outputs: dict[int, str] | None = None,
         arg_order: tuple[str, ...] = (), required_args: tuple[str, ...] = (),
         arg_defaults: Mapping[str, Any] | None = None,
         arg_handles: Mapping[str, type[Output]] | None = None,
         returns: Mapping[int, type[Output]] | None = None,
         varying_outputs: tuple[int, ...] = (), method: str = "") -> NodeDecl:
    """Declare a node: its ComfyUI schema and its constructor's extras (see :class:`NodeDecl`)."""
    templates = matchtype_outputs or {}
    schema = NodeSchema(
        class_type=class_type,
        inputs=tuple(inputs),
        outputs=tuple(OutputSpec(type=t, name=n, template_id=templates.get(i))
                      for i, (t, n) in enumerate(outputs)),
        output_node=output_node,
        display_name=display_name,
    )
    return NodeDecl(schema=schema, doc=doc, arg_order=arg_order,
                    required_args=frozenset(required_args), arg_defaults=dict(arg_defaults or {}),
                    arg_handles=dict(arg_handles or {}), returns=dict(returns or {}),
                    varying_outputs=frozenset(varying_outputs), method=method)


# --- the declarations -------------------------------------------------------------------

_RESIZE_CROP = combo("crop", ("disabled", "center"), "center")
_RESIZE_CHOICES: dict[str, tuple[InputSpec, ...]] = {
    "scale dimensions": (integer("width", 512, 0, 16384), integer("height", 512, 0, 16384),
                         _RESIZE_CROP),
    "scale by multiplier": (number("multiplier", 1.0, 0.01, 8.0),),
    "scale longer dimension": (integer("longer_size", 512, 0, 16384),),
    "scale shorter dimension": (integer("shorter_size", 512, 0, 16384),),
    "scale width": (integer("width", 512, 0, 16384),),
    "scale height": (integer("height", 512, 0, 16384),),
    "scale total pixels": (number("megapixels", 1.0, 0.01, 16.0),),
    "match size": (_RESIZE_CROP, link("match", "IMAGE,MASK")),
    "scale to multiple": (integer("multiple", 8, 1, 16384),),
}

_SAMPLING_CHOICES: dict[str, tuple[InputSpec, ...]] = {
    "on": (number("temperature", 0.7, 0.01, 2.0), integer("top_k", 64, 0, 1000),
           number("top_p", 0.95, 0.0, 1.0), number("min_p", 0.05, 0.0, 1.0),
           number("repetition_penalty", 1.05, 0.0, 5.0), integer("seed", 0, 0, MAX_SEED),
           number("presence_penalty", 0.0, 0.0, 5.0, required=False)),
    "off": (),
}

LTX2_NODES: tuple[NodeDecl, ...] = (
    # loaders
    node("CheckpointLoaderSimple", [model_file("ckpt_name", "checkpoints")],
         [("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")], display_name="Load Checkpoint",
         doc="Load a checkpoint: MODEL, CLIP (unused by LTX-2) and the video VAE.",
         returns={1: Output}),  # LTX-2 takes its CLIP from LTXAVTextEncoderLoader
    node("LTXAVTextEncoderLoader",
         [model_file("text_encoder", "text_encoders"), model_file("ckpt_name", "checkpoints"),
          combo("device", ("default", "cpu"))],
         [("CLIP", "CLIP")], display_name="Load LTXV Audio Text Encoder",
         doc="Load the Gemma text encoder together with the checkpoint's text projection.",
         # ComfyUI declares no default: its first option is the implicit one
         arg_defaults={"device": "default"}),
    node("LTXVAudioVAELoader", [model_file("ckpt_name", "checkpoints")],
         [("VAE", "Audio VAE")], display_name="Load LTXV Audio VAE",
         doc="Load the audio VAE stored in the LTX-2 checkpoint."),
    node("LatentUpscaleModelLoader", [model_file("model_name", "latent_upscale_models")],
         [("LATENT_UPSCALE_MODEL", "LATENT_UPSCALE_MODEL")],
         display_name="Load Latent Upscale Model",
         doc="Load a latent upscaler (the 2x spatial upscaler between the two stages)."),
    node("LoraLoaderModelOnly",
         [link("model", "MODEL"), model_file("lora_name", "loras"),
          number("strength_model", 1.0, -100.0, 100.0)],
         [("MODEL", "MODEL")], display_name="Load LoRA",
         doc="Apply a LoRA to a diffusion model."),
    node("UNETLoader",
         [model_file("unet_name", "diffusion_models"),
          combo("weight_dtype", ("default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"))],
         [("MODEL", "MODEL")], display_name="Load Diffusion Model",
         doc="Load a diffusion model stored on its own (LTX-2.5's split files).",
         # ComfyUI declares no default: its first option is the implicit one
         arg_defaults={"weight_dtype": "default"}),
    node("VAELoader", [model_file("vae_name", "vae")], [("VAE", "VAE")],
         display_name="Load VAE",
         doc="Load a VAE file (LTX-2.5's video VAE, or its audio VAE)."),
    node("CLIPLoader",
         [model_file("clip_name", "text_encoders"), combo("type", CLIP_TYPES),
          combo("device", ("default", "cpu"), required=False)],
         [("CLIP", "CLIP")], display_name="Load CLIP",
         doc="Load a text encoder of model family ``type`` (``\"ltxv\"``: LTX-2.5's Gemma 4).",
         ),
    node("LoadImage", [InputSpec(name="image", type="COMBO", folder="input",
                                upload="image_upload")],
         [("IMAGE", "IMAGE"), ("MASK", "MASK")], display_name="Load Image",
         doc="Load an image from ComfyUI's input folder (for example, an uploaded one)."),
    node("LoadAudio", [InputSpec(name="audio", type="COMBO", folder="input",
                                upload="audio_upload")],
         [("AUDIO", "AUDIO")], display_name="Load Audio",
         doc="Load an audio file (wav, mp3, flac, ogg) from ComfyUI's input folder."),
    node("TrimAudioDuration",
         [link("audio", "AUDIO"), number("start_index", 0.0, -MAX_SEED, MAX_SEED),
          number("duration", 60.0, 0.0, None)],
         [("AUDIO", "AUDIO")], display_name="Trim Audio Duration",
         doc="``duration`` seconds of ``audio`` from ``start_index`` (negative: from the end)."),
    # text
    node("CLIPTextEncode", [text("text"), link("clip", "CLIP")],
         [("CONDITIONING", "CONDITIONING")], display_name="CLIP Text Encode (Prompt)",
         doc="Encode a prompt (a literal, or text another node generated).",
         arg_handles={"text": StringValue}),
    node("LTXVConditioning",
         [link("positive", "CONDITIONING"), link("negative", "CONDITIONING"),
          number("frame_rate", 25.0, 0.0, 1000.0)],
         [("CONDITIONING", "positive"), ("CONDITIONING", "negative")],
         doc="Attach the frame rate to both conditionings.",
         required_args=("frame_rate",)),
    node("TextGenerateLTX2Prompt",
         [link("clip", "CLIP"), text("prompt", ""), integer("max_length", 512, 1, 32768),
          dynamic_combo("sampling_mode", _SAMPLING_CHOICES),
          link("image", "IMAGE", required=False), link("video", "IMAGE", required=False),
          link("audio", "AUDIO", required=False), boolean("thinking", False, required=False),
          boolean("use_default_template", True, required=False)],
         [("STRING", "generated_text")], display_name="Generate LTX2 Prompt",
         doc="Let the Gemma text encoder rewrite ``prompt`` in LTX-2's detailed style "
             "(described from ``image`` for i2v).",
         required_args=("prompt",),
         # ComfyUI declares no default: its first option is the implicit one
         arg_defaults={"sampling_mode": "on"}),
    node("ConditioningZeroOut", [link("conditioning", "CONDITIONING")],
         [("CONDITIONING", "CONDITIONING")], display_name="Conditioning Zero Out",
         doc="A conditioning of zeros shaped like the input (an empty negative)."),
    # latents
    node("EmptyLTXVLatentVideo",
         [integer("width", 768, 64, 16384), integer("height", 512, 64, 16384),
          integer("length", 97, 1, 16384), integer("batch_size", 1, 1, 4096)],
         [("LATENT", "LATENT")],
         doc="An empty video latent of ``length`` frames at ``width`` x ``height`` pixels.",
         required_args=("width", "height", "length"),
         # the length may come from the frames of a control video (GetImageSize)
         arg_handles={"length": IntValue}),
    node("LTXVEmptyLatentAudio",
         [integer("frames_number", 97, 1, 1000), integer("frame_rate", 25, 1, 1000),
          integer("batch_size", 1, 1, 4096), link("audio_vae", "VAE")],
         [("LATENT", "Latent")], display_name="LTXV Empty Latent Audio",
         doc="An empty audio latent as long as ``frames_number`` video frames at ``frame_rate``.",
         arg_order=("audio_vae", "frames_number", "frame_rate", "batch_size"),
         required_args=("frames_number", "frame_rate"), arg_handles={"frames_number": IntValue}),
    node("LTXVAudioVAEEncode", [link("audio", "AUDIO"), link("audio_vae", "VAE")],
         [("LATENT", "Audio Latent")], display_name="LTXV Audio VAE Encode",
         doc="Encode a waveform to an audio latent (a given voice for audio-driven video)."),
    node("SolidMask",
         [number("value", 1.0, 0.0, 1.0), integer("width", 512, 1, 16384),
          integer("height", 512, 1, 16384)],
         [("MASK", "MASK")], display_name="Create Solid Mask",
         doc="A ``width`` x ``height`` mask of one ``value``."),
    node("SetLatentNoiseMask", [link("samples", "LATENT"), link("mask", "MASK")],
         [("LATENT", "LATENT")], display_name="Set Latent Noise Mask",
         doc="Where sampling may change ``samples``: 0 keeps them (a given audio latent)."),
    node("LTXVConcatAVLatent", [link("video_latent", "LATENT"), link("audio_latent", "LATENT")],
         [("LATENT", "latent")],
         doc="Join video and audio latents for joint sampling."),
    node("LTXVSeparateAVLatent", [link("av_latent", "LATENT")],
         [("LATENT", "video_latent"), ("LATENT", "audio_latent")],
         doc="Split a joint latent into (video, audio)."),
    node("LTXVImgToVideoInplace",
         [link("vae", "VAE"), link("image", "IMAGE"), link("latent", "LATENT"),
          number("strength", 1.0, 0.0, 1.0), boolean("bypass", False)],
         [("LATENT", "latent")],
         doc="Encode ``image`` into the first frame of ``latent`` (image to video)."),
    node("LTXVAddGuide",
         [link("positive", "CONDITIONING"), link("negative", "CONDITIONING"), link("vae", "VAE"),
          link("latent", "LATENT"), link("image", "IMAGE"), integer("frame_idx", 0, -9999, 9999),
          number("strength", 1.0, 0.0, 10.0), link("attention_mask", "MASK", required=False),
          link("iclora_parameters", "IC_LORA_PARAMETERS", required=False)],
         [("CONDITIONING", "positive"), ("CONDITIONING", "negative"), ("LATENT", "latent")],
         doc="Guide frame ``frame_idx`` towards ``image`` (keyframes, last frame)."),
    node("LTXVReferenceAudio",
         [link("model", "MODEL"), link("positive", "CONDITIONING"),
          link("negative", "CONDITIONING"), link("reference_audio", "AUDIO"),
          link("audio_vae", "VAE"), number("identity_guidance_scale", 3.0, 0.0, 100.0),
          number("start_percent", 0.0, 0.0, 1.0), number("end_percent", 1.0, 0.0, 1.0)],
         [("MODEL", "MODEL"), ("CONDITIONING", "positive"), ("CONDITIONING", "negative")],
         display_name="LTXV Reference Audio (ID-LoRA)",
         doc="The model and conditioning with a speaker's voice (``reference_audio``) to keep "
             "(an ID-LoRA on ``model``); ``identity_guidance_scale`` > 0 adds a pass without "
             "it each step, between ``start_percent`` and ``end_percent`` of the sigmas."),
    node("LTXVCropGuides",
         [link("positive", "CONDITIONING"), link("negative", "CONDITIONING"),
          link("latent", "LATENT")],
         [("CONDITIONING", "positive"), ("CONDITIONING", "negative"), ("LATENT", "latent")],
         doc="Remove guide frames added by LTXVAddGuide (a no-op when there are none)."),
    node("LTXVLatentUpsampler",
         [link("samples", "LATENT"), link("upscale_model", "LATENT_UPSCALE_MODEL"),
          link("vae", "VAE")],
         [("LATENT", "LATENT")],
         doc="Upscale a video latent with a latent upscale model."),
    # sampling
    node("RandomNoise", [integer("noise_seed", 0, 0, MAX_SEED)], [("NOISE", "NOISE")],
         doc="Noise from ``noise_seed``.",
         required_args=("noise_seed",)),
    node("KSamplerSelect", [combo("sampler_name", SAMPLER_NAMES)], [("SAMPLER", "SAMPLER")],
         doc="Pick a sampler by name (euler, euler_ancestral, gradient_estimation, ...)."),
    node("LTXVScheduler",
         [integer("steps", 20, 1, 10000), number("max_shift", 2.05, 0.0, 100.0),
          number("base_shift", 0.95, 0.0, 100.0), boolean("stretch", True),
          number("terminal", 0.1, 0.0, 0.99), link("latent", "LATENT", required=False)],
         [("SIGMAS", "SIGMAS")],
         doc="LTX-V's shifted schedule; the shift depends on the latent's size when given.",
         required_args=("steps", "max_shift", "base_shift", "stretch", "terminal")),
    node("ManualSigmas", [text("sigmas", "1, 0.5")], [("SIGMAS", "SIGMAS")],
         doc="An explicit, comma-separated list of sigmas.",
         required_args=("sigmas",)),
    node("CFGGuider",
         [link("model", "MODEL"), link("positive", "CONDITIONING"),
          link("negative", "CONDITIONING"), number("cfg", 8.0, 0.0, 100.0)],
         [("GUIDER", "GUIDER")], display_name="CFG Guider",
         doc="Classifier-free guidance at scale ``cfg`` (1 disables the negative).",
         required_args=("cfg",)),
    node("LTXVDualCFGGuider",
         [link("model", "MODEL"), link("positive", "CONDITIONING"),
          link("negative", "CONDITIONING"), number("video_cfg", 3.0, 0.0, 100.0),
          number("audio_cfg", 7.0, 0.0, 100.0)],
         [("GUIDER", "GUIDER")], display_name="LTXV Dual CFG Guider",
         doc="Classifier-free guidance with separate scales for video and audio (LTX-2.5).",
         required_args=("video_cfg", "audio_cfg")),
    node("SamplerEulerAncestral",
         [number("eta", 1.0, 0.0, 100.0), number("s_noise", 1.0, 0.0, 100.0)],
         [("SAMPLER", "SAMPLER")],
         doc="The euler_ancestral sampler with its noise settings."),
    node("KSampler",
         [link("model", "MODEL"), integer("seed", 0, 0, MAX_SEED), integer("steps", 20, 1, 10000),
          number("cfg", 8.0, 0.0, 100.0), combo("sampler_name", SAMPLER_NAMES),
          combo("scheduler", SCHEDULERS), link("positive", "CONDITIONING"),
          link("negative", "CONDITIONING"), link("latent_image", "LATENT"),
          number("denoise", 1.0, 0.0, 1.0)],
         [("LATENT", "LATENT")],
         doc="Sample ``steps`` steps of ``scheduler``'s schedule with ``sampler_name`` at CFG "
             "``cfg`` (the noise from ``seed``).",
         required_args=("seed", "steps", "cfg")),
    node("SamplerCustomAdvanced",
         [link("noise", "NOISE"), link("guider", "GUIDER"), link("sampler", "SAMPLER"),
          link("sigmas", "SIGMAS"), link("latent_image", "LATENT")],
         [("LATENT", "output"), ("LATENT", "denoised_output")],
         doc="Sample; returns (output, denoised_output)."),
    # images
    node("ResizeImageMaskNode",
         [link("input", "IMAGE,MASK", template="input_type"),
          dynamic_combo("resize_type", _RESIZE_CHOICES),
          combo("scale_method", SCALE_METHODS, "area")],
         [("COMFY_MATCHTYPE_V3", "resized")], display_name="Resize Image/Mask",
         matchtype_outputs={0: "input_type"},
         doc="Resize an image, e.g. ``resize_type=\"scale dimensions\", width=1280, "
             "height=704, crop=\"center\"``.",
         # the SDK resizes images (the output has the input's type)
         arg_handles={"input": Image}, returns={0: Image}),
    node("ImageScaleToMaxDimension",
         [link("image", "IMAGE"),
          # (the node's list names bilinear twice)
          combo("upscale_method", ("area", "lanczos", "bilinear", "nearest-exact", "bilinear",
                                   "bicubic")),
          integer("largest_size", 512, 0, 16384)],
         [("IMAGE", "IMAGE")], display_name="Scale Image to Max Dimension",
         doc="Scale an image so that its larger side is ``largest_size``."),
    node("RepeatImageBatch", [link("image", "IMAGE"), integer("amount", 1, 1, 4096)],
         [("IMAGE", "IMAGE")], display_name="Repeat Image Batch",
         doc="A batch of ``amount`` copies of ``image`` (a still as frames)."),
    node("ResizeAndPadImage",
         [link("image", "IMAGE"), integer("target_width", 512, 1, 16384),
          integer("target_height", 512, 1, 16384), combo("padding_color", ("white", "black")),
          combo("interpolation", ("area", "bicubic", "nearest-exact", "bilinear", "lanczos"))],
         [("IMAGE", "IMAGE")], display_name="Resize And Pad Image",
         doc="Fit ``image`` inside ``target_width`` x ``target_height`` (its aspect kept) and "
             "pad the rest with ``padding_color``.",
         required_args=("target_width", "target_height")),
    node("LTXVPreprocess", [link("image", "IMAGE"), integer("img_compression", 35, 0, 100)],
         [("IMAGE", "output_image")], display_name="LTXV Preprocess",
         doc="Apply H.264 compression to a still so it looks like a video frame."),
    node("EmptyImage",
         [integer("width", 512, 1, 16384), integer("height", 512, 1, 16384),
          integer("batch_size", 1, 1, 4096), integer("color", 0, 0, 16777215)],
         [("IMAGE", "IMAGE")], display_name="Empty Image",
         doc="A batch of solid-colour images (``color`` is 0xRRGGBB).",
         required_args=("width", "height")),
    # control videos (IC-LoRA): the frames of a given video, turned into edges or depth
    node("LoadVideo", [InputSpec(name="file", type="COMBO", folder="input",
                                upload="video_upload")],
         [("VIDEO", "VIDEO")], display_name="Load Video",
         doc="Load a video (mp4, mov, webm, ...) from ComfyUI's input folder."),
    node("GetVideoComponents", [link("video", "VIDEO")],
         [("IMAGE", "images"), ("AUDIO", "audio"), ("FLOAT", "fps"), ("INT", "bit_depth")],
         display_name="Get Video Components",
         doc="Decode a video into its frames (an IMAGE batch), audio and frame rate.",
         # bit_depth: from 0.26.0, an INT; a COMBO from 0.38
         varying_outputs=(3,)),
    node("ImageFromBatch",
         [link("image", "IMAGE"), integer("batch_index", 0, -16384, 16384),
          integer("length", 1, 1, 4096)],
         [("IMAGE", "IMAGE")], display_name="Get Image from Batch",
         doc="``length`` images of a batch from ``batch_index`` (fewer when the batch ends "
             "first).",
         required_args=("batch_index", "length")),
    node("ImageScaleBy",
         [link("image", "IMAGE"), combo("upscale_method", SCALE_METHODS),
          number("scale_by", 1.0, 0.01, 8.0)],
         [("IMAGE", "IMAGE")], display_name="Upscale Image By",
         doc="Scale images by ``scale_by`` (0.5: half size) with ``upscale_method``.",
         required_args=("scale_by",)),
    node("Canny",
         [link("image", "IMAGE"), number("low_threshold", 0.4, 0.01, 0.99),
          number("high_threshold", 0.8, 0.01, 0.99)],
         [("IMAGE", "IMAGE")], display_name="Detect Edges (Canny)",
         doc="The edges of each image (white on black), by Canny's two thresholds."),
    node("LotusConditioning", [], [("CONDITIONING", "conditioning")],
         doc="The fixed conditioning of the Lotus depth model."),
    node("VAEEncode", [link("pixels", "IMAGE"), link("vae", "VAE")], [("LATENT", "LATENT")],
         display_name="VAE Encode",
         doc="Encode images to a latent (the control frames, for the Lotus depth model)."),
    node("DisableNoise", [], [("NOISE", "NOISE")],
         doc="No noise: sampling starts from the given latent as it is."),
    node("BasicGuider", [link("model", "MODEL"), link("conditioning", "CONDITIONING")],
         [("GUIDER", "GUIDER")], display_name="Basic Guider",
         doc="Guidance by one conditioning, without CFG."),
    node("BasicScheduler",
         [link("model", "MODEL"), combo("scheduler", SCHEDULERS),
          integer("steps", 20, 1, 10000), number("denoise", 1.0, 0.0, 1.0)],
         [("SIGMAS", "SIGMAS")],
         doc="A model's sigma schedule of ``steps`` steps by the named ``scheduler``.",
         required_args=("steps",)),
    node("SetFirstSigma", [link("sigmas", "SIGMAS"), number("sigma", 136.0, 0.0, 20000.0)],
         [("SIGMAS", "SIGMAS")],
         doc="``sigmas`` with the first one replaced by ``sigma``.",
         required_args=("sigma",)),
    node("ImageInvert", [link("image", "IMAGE")], [("IMAGE", "IMAGE")],
         display_name="Invert Image Colors",
         doc="Invert the images' colours (Lotus's depth, near = white, as IC-LoRAs expect)."),
    # LTX-2.3's union control (video_ltx2_3_ic_lora): a cut of the video, its MoGe depth
    node("Video Slice",
         [link("video", "VIDEO"), number("start_time", 0.0, -100000.0, 100000.0),
          number("duration", 0.0, 0.0, None), boolean("strict_duration", False)],
         [("VIDEO", "VIDEO")], display_name="Trim Video", method="VideoSlice",
         doc="``duration`` seconds of ``video`` from ``start_time`` (0: to the end; fewer "
             "when the video ends first, unless ``strict_duration``).",
         required_args=("start_time", "duration")),
    node("GetImageSize", [link("image", "IMAGE")],
         [("INT", "width"), ("INT", "height"), ("INT", "batch_size")],
         display_name="Get Image Size",
         doc="The width, height and number of images of a batch."),
    node("LoadMoGeModel", [model_file("model_name", "geometry_estimation")],
         [("MOGE_MODEL", "MOGE_MODEL")], display_name="Load MoGe Model",
         doc="Load a MoGe geometry estimation model (depth, normals, mask from one image)."),
    node("MoGeInference",
         [link("moge_model", "MOGE_MODEL"), link("image", "IMAGE"),
          integer("resolution_level", 9, 0, 9), number("fov_x_degrees", 0.0, 0.0, 170.0),
          integer("batch_size", 4, 1, 64), boolean("force_projection", True),
          boolean("apply_mask", True)],
         [("MOGE_GEOMETRY", "moge_geometry")], display_name="Run MoGe Inference",
         doc="Estimate the geometry of each image (``resolution_level`` 9: most detail)."),
    node("MoGeRender",
         [link("moge_geometry", "MOGE_GEOMETRY"),
          combo("output", ("depth", "depth_colored", "normal_opengl", "normal_directx", "mask"),
                "depth")],
         [("IMAGE", "IMAGE")], display_name="Render MoGe Geometry",
         doc="Render estimated geometry as images (``\"depth\"``: a depth map per frame)."),
    # the template's run-time switch: frames wider than 2048 brought to 2048 before MoGe
    node("ComfyMathExpression",
         [InputSpec(name="expression", type="STRING", default="a + b"),
          autogrow("values", "FLOAT,INT,BOOLEAN", tuple("abcdefghijklmnopqrstuvwxyz"))],
         [("FLOAT", "FLOAT"), ("INT", "INT"), ("BOOLEAN", "BOOL")], display_name="Math Expression",
         doc="Evaluate ``expression`` over the ``values`` given by name (``a=...``): as a FLOAT, "
             "an INT and a BOOL (``\"a > 2048\"``).",
         required_args=("expression",),
         # BOOL: from 0.22.0
         varying_outputs=(2,)),
    node("ComfySwitchNode",
         [InputSpec(name="switch", type="BOOLEAN"), link("on_false", "*", template="switch"),
          link("on_true", "*", template="switch")],
         [("COMFY_MATCHTYPE_V3", "output")], display_name="If/Else Switch",
         matchtype_outputs={0: "switch"},
         doc="``on_true`` when ``switch`` is true, else ``on_false`` (the one not chosen is not "
             "computed).",
         # the SDK switches between images, on a boolean another node computes
         arg_handles={"switch": Output, "on_false": Image, "on_true": Image},
         returns={0: Image}),
    node("GetICLoRAParameters", [link("iclora_model", "MODEL")],
         [("IC_LORA_PARAMETERS", "iclora_parameters")], display_name="Get IC-LoRA Parameters",
         doc="The IC-LoRA's parameters (its reference downscale factor) read from the LoRA "
             "loaded into ``iclora_model``, for ``LTXVAddGuide``."),
    # decoding and output
    node("VAEDecode", [link("samples", "LATENT"), link("vae", "VAE")], [("IMAGE", "IMAGE")],
         display_name="VAE Decode",
         doc="Decode a latent to images."),
    node("VAEDecodeTiled",
         [link("samples", "LATENT"), link("vae", "VAE"), integer("tile_size", 512, 64, 4096),
          integer("overlap", 64, 0, 4096), integer("temporal_size", 64, 8, 4096),
          integer("temporal_overlap", 8, 4, 4096)],
         [("IMAGE", "IMAGE")], display_name="VAE Decode (Tiled)",
         doc="Decode a latent in spatial and temporal tiles (less memory)."),
    node("LTXVAudioVAEDecode", [link("samples", "LATENT"), link("audio_vae", "VAE")],
         [("AUDIO", "Audio")], display_name="LTXV Audio VAE Decode",
         doc="Decode an audio latent to a waveform."),
    node("CreateVideo",
         [link("images", "IMAGE"), number("fps", 30.0, 1.0, 120.0),
          link("audio", "AUDIO", required=False),
          integer("bit_depth", 8, 8, 10, required=False)],
         [("VIDEO", "VIDEO")], display_name="Create Video",
         doc="Combine frames (and audio) into a VIDEO at ``fps`` (``bit_depth`` 8 or 10).",
         required_args=("fps",)),
    node("SaveVideo",
         [link("video", "VIDEO"), text("filename_prefix", "video/ComfyUI"),
          combo("format", ("auto", "mp4"), "auto"), combo("codec", ("auto", "h264"), "auto")],
         [("VIDEO", "video")], display_name="Save Video", output_node=True,
         doc="Write the video to ComfyUI's output folder: the graph's output node.",
         # an SDK choice: ComfyUI's default is "video/ComfyUI", the SDK's files are its own
         arg_defaults={"filename_prefix": "video/ltx2sdk"}),
    node("PreviewAny", [link("source", "*")], [("STRING", "STRING")],
         display_name="Preview as Text", output_node=True,
         doc="Show any value as text in ComfyUI: an output node, so ``source`` gets computed."),
)
"""Every LTX-2 node the SDK knows, declared once (``nodes.py`` is generated from these)."""

LTX2_NODE_SCHEMAS: tuple[NodeSchema, ...] = tuple(decl.schema for decl in LTX2_NODES)
"""The ComfyUI contracts of :data:`LTX2_NODES`."""

LTX2_SCHEMAS = SchemaSet(LTX2_NODE_SCHEMAS)
"""The node set the SDK knows, as a :class:`SchemaSet` (immutable, shared safely)."""
