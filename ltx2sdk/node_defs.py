"""The SDK's declarations of the ComfyUI nodes LTX-2 graphs use.

Written from ComfyUI 0.26.0's ``/object_info``; ``tests/test_node_defs.py`` checks
every declaration against that capture (names, types, required/optional, defaults,
min/max, outputs), so a drift in either shows up as a failing test.

Model-file inputs are declared with their ``models/`` folder and no option list:
which files exist depends on the server, and is checked against it by the client.
"""

from __future__ import annotations

from typing import Any

from .schema import InputSpec, NodeSchema, OutputSpec, SchemaSet

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
SCALE_METHODS = ("nearest-exact", "bilinear", "area", "bicubic", "lanczos")
MAX_SEED = 18446744073709551615

# --- a small vocabulary for declaring inputs -----------------------------------------------


def link(name: str, type_: str, *, required: bool = True, template: str | None = None) -> InputSpec:
    """An input fed by another node's output of ComfyUI type ``type_``."""
    return InputSpec(name=name, type=type_, required=required, template_id=template)


def integer(name: str, default: int | None, lo: int, hi: int, *,
            required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="INT", default=default, min=lo, max=hi, required=required)


def number(name: str, default: float | None, lo: float, hi: float, *,
           required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="FLOAT", default=default, min=lo, max=hi, required=required)


def text(name: str, default: str | None = None) -> InputSpec:
    return InputSpec(name=name, type="STRING", default=default)


def boolean(name: str, default: bool, *, required: bool = True) -> InputSpec:
    return InputSpec(name=name, type="BOOLEAN", default=default, required=required)


def combo(name: str, options: tuple[Any, ...], default: Any = None) -> InputSpec:
    return InputSpec(name=name, type="COMBO", options=options, default=default)


def model_file(name: str, folder: str) -> InputSpec:
    """A combo listing the files of ``models/<folder>`` on the server."""
    return InputSpec(name=name, type="COMBO", folder=folder)


def dynamic_combo(name: str, choices: dict[str, tuple[InputSpec, ...]]) -> InputSpec:
    """A V3 dynamic combo: each option brings its own sub-inputs (sent as "name.sub")."""
    return InputSpec(name=name, type="COMBO", options=tuple(choices), choices=choices)


def node(class_type: str, inputs: list[InputSpec], outputs: list[tuple[str, str]], *,
         display_name: str = "", output_node: bool = False,
         matchtype_outputs: dict[int, str] | None = None) -> NodeSchema:
    templates = matchtype_outputs or {}
    return NodeSchema(
        class_type=class_type,
        inputs=tuple(inputs),
        outputs=tuple(OutputSpec(type=t, name=n, template_id=templates.get(i))
                      for i, (t, n) in enumerate(outputs)),
        output_node=output_node,
        display_name=display_name,
    )


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

LTX2_NODE_SCHEMAS: tuple[NodeSchema, ...] = (
    # loaders
    node("CheckpointLoaderSimple", [model_file("ckpt_name", "checkpoints")],
         [("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")], display_name="Load Checkpoint"),
    node("LTXAVTextEncoderLoader",
         [model_file("text_encoder", "text_encoders"), model_file("ckpt_name", "checkpoints"),
          combo("device", ("default", "cpu"))],
         [("CLIP", "CLIP")], display_name="Load LTXV Audio Text Encoder"),
    node("LTXVAudioVAELoader", [model_file("ckpt_name", "checkpoints")],
         [("VAE", "Audio VAE")], display_name="Load LTXV Audio VAE"),
    node("LatentUpscaleModelLoader", [model_file("model_name", "latent_upscale_models")],
         [("LATENT_UPSCALE_MODEL", "LATENT_UPSCALE_MODEL")],
         display_name="Load Latent Upscale Model"),
    node("LoraLoaderModelOnly",
         [link("model", "MODEL"), model_file("lora_name", "loras"),
          number("strength_model", 1.0, -100.0, 100.0)],
         [("MODEL", "MODEL")], display_name="Load LoRA"),
    node("LoadImage", [InputSpec(name="image", type="COMBO", folder="input")],
         [("IMAGE", "IMAGE"), ("MASK", "MASK")], display_name="Load Image"),
    # text
    node("CLIPTextEncode", [text("text"), link("clip", "CLIP")],
         [("CONDITIONING", "CONDITIONING")], display_name="CLIP Text Encode (Prompt)"),
    node("LTXVConditioning",
         [link("positive", "CONDITIONING"), link("negative", "CONDITIONING"),
          number("frame_rate", 25.0, 0.0, 1000.0)],
         [("CONDITIONING", "positive"), ("CONDITIONING", "negative")]),
    node("TextGenerateLTX2Prompt",
         [link("clip", "CLIP"), text("prompt", ""), integer("max_length", 512, 1, 32768),
          dynamic_combo("sampling_mode", _SAMPLING_CHOICES),
          link("image", "IMAGE", required=False), link("video", "IMAGE", required=False),
          link("audio", "AUDIO", required=False), boolean("thinking", False, required=False),
          boolean("use_default_template", True, required=False)],
         [("STRING", "generated_text")], display_name="Generate LTX2 Prompt"),
    node("ConditioningZeroOut", [link("conditioning", "CONDITIONING")],
         [("CONDITIONING", "CONDITIONING")], display_name="Conditioning Zero Out"),
    # latents
    node("EmptyLTXVLatentVideo",
         [integer("width", 768, 64, 16384), integer("height", 512, 64, 16384),
          integer("length", 97, 1, 16384), integer("batch_size", 1, 1, 4096)],
         [("LATENT", "LATENT")]),
    node("LTXVEmptyLatentAudio",
         [integer("frames_number", 97, 1, 1000), integer("frame_rate", 25, 1, 1000),
          integer("batch_size", 1, 1, 4096), link("audio_vae", "VAE")],
         [("LATENT", "Latent")], display_name="LTXV Empty Latent Audio"),
    node("LTXVConcatAVLatent", [link("video_latent", "LATENT"), link("audio_latent", "LATENT")],
         [("LATENT", "latent")]),
    node("LTXVSeparateAVLatent", [link("av_latent", "LATENT")],
         [("LATENT", "video_latent"), ("LATENT", "audio_latent")]),
    node("LTXVImgToVideoInplace",
         [link("vae", "VAE"), link("image", "IMAGE"), link("latent", "LATENT"),
          number("strength", 1.0, 0.0, 1.0), boolean("bypass", False)],
         [("LATENT", "latent")]),
    node("LTXVAddGuide",
         [link("positive", "CONDITIONING"), link("negative", "CONDITIONING"), link("vae", "VAE"),
          link("latent", "LATENT"), link("image", "IMAGE"), integer("frame_idx", 0, -9999, 9999),
          number("strength", 1.0, 0.0, 10.0), link("attention_mask", "MASK", required=False),
          link("iclora_parameters", "IC_LORA_PARAMETERS", required=False)],
         [("CONDITIONING", "positive"), ("CONDITIONING", "negative"), ("LATENT", "latent")]),
    node("LTXVCropGuides",
         [link("positive", "CONDITIONING"), link("negative", "CONDITIONING"),
          link("latent", "LATENT")],
         [("CONDITIONING", "positive"), ("CONDITIONING", "negative"), ("LATENT", "latent")]),
    node("LTXVLatentUpsampler",
         [link("samples", "LATENT"), link("upscale_model", "LATENT_UPSCALE_MODEL"),
          link("vae", "VAE")],
         [("LATENT", "LATENT")]),
    # sampling
    node("RandomNoise", [integer("noise_seed", 0, 0, MAX_SEED)], [("NOISE", "NOISE")]),
    node("KSamplerSelect", [combo("sampler_name", SAMPLER_NAMES)], [("SAMPLER", "SAMPLER")]),
    node("LTXVScheduler",
         [integer("steps", 20, 1, 10000), number("max_shift", 2.05, 0.0, 100.0),
          number("base_shift", 0.95, 0.0, 100.0), boolean("stretch", True),
          number("terminal", 0.1, 0.0, 0.99), link("latent", "LATENT", required=False)],
         [("SIGMAS", "SIGMAS")]),
    node("ManualSigmas", [text("sigmas", "1, 0.5")], [("SIGMAS", "SIGMAS")]),
    node("CFGGuider",
         [link("model", "MODEL"), link("positive", "CONDITIONING"),
          link("negative", "CONDITIONING"), number("cfg", 8.0, 0.0, 100.0)],
         [("GUIDER", "GUIDER")], display_name="CFG Guider"),
    node("SamplerCustomAdvanced",
         [link("noise", "NOISE"), link("guider", "GUIDER"), link("sampler", "SAMPLER"),
          link("sigmas", "SIGMAS"), link("latent_image", "LATENT")],
         [("LATENT", "output"), ("LATENT", "denoised_output")]),
    # images
    node("ResizeImageMaskNode",
         [link("input", "IMAGE,MASK", template="input_type"),
          dynamic_combo("resize_type", _RESIZE_CHOICES),
          combo("scale_method", SCALE_METHODS, "area")],
         [("COMFY_MATCHTYPE_V3", "resized")], display_name="Resize Image/Mask",
         matchtype_outputs={0: "input_type"}),
    node("LTXVPreprocess", [link("image", "IMAGE"), integer("img_compression", 35, 0, 100)],
         [("IMAGE", "output_image")], display_name="LTXV Preprocess"),
    node("EmptyImage",
         [integer("width", 512, 1, 16384), integer("height", 512, 1, 16384),
          integer("batch_size", 1, 1, 4096), integer("color", 0, 0, 16777215)],
         [("IMAGE", "IMAGE")], display_name="Empty Image"),
    # decoding and output
    node("VAEDecode", [link("samples", "LATENT"), link("vae", "VAE")], [("IMAGE", "IMAGE")],
         display_name="VAE Decode"),
    node("VAEDecodeTiled",
         [link("samples", "LATENT"), link("vae", "VAE"), integer("tile_size", 512, 64, 4096),
          integer("overlap", 64, 0, 4096), integer("temporal_size", 64, 8, 4096),
          integer("temporal_overlap", 8, 4, 4096)],
         [("IMAGE", "IMAGE")], display_name="VAE Decode (Tiled)"),
    node("LTXVAudioVAEDecode", [link("samples", "LATENT"), link("audio_vae", "VAE")],
         [("AUDIO", "Audio")], display_name="LTXV Audio VAE Decode"),
    node("CreateVideo",
         [link("images", "IMAGE"), number("fps", 30.0, 1.0, 120.0),
          link("audio", "AUDIO", required=False),
          integer("bit_depth", 8, 8, 10, required=False)],
         [("VIDEO", "VIDEO")], display_name="Create Video"),
    node("SaveVideo",
         [link("video", "VIDEO"), text("filename_prefix", "video/ComfyUI"),
          combo("format", ("auto", "mp4"), "auto"), combo("codec", ("auto", "h264"), "auto")],
         [("VIDEO", "video")], display_name="Save Video", output_node=True),
    node("PreviewAny", [link("source", "*")], [("STRING", "STRING")],
         display_name="Preview as Text", output_node=True),
)

LTX2_SCHEMAS = SchemaSet(LTX2_NODE_SCHEMAS)
"""The node set the SDK knows, as a :class:`SchemaSet` (immutable, shared safely)."""
