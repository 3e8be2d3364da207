"""The LTX-2 model files: where each goes, where it comes from, and the default sets.

This catalog is the one source of truth for file names: the builders take their
defaults from it, the request model checks names against it, ``ltx2 check`` uses
it to say where a missing file belongs, and the Docker image downloads from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ltx2sdk.vocabulary import CAMERA_MOTIONS

_LTX2 = "https://huggingface.co/Lightricks/LTX-2/resolve/main"
_COMFY_LTX2 = "https://huggingface.co/Comfy-Org/ltx-2/resolve/main/split_files"
# LTX-2.3 files, with the URLs of the official templates' model metadata
_LTX2_3 = "https://huggingface.co/Lightricks/LTX-2.3/resolve/main"
_LTX2_3_FP8 = "https://huggingface.co/Lightricks/LTX-2.3-fp8/resolve/main"
_COMFY_LTX2_3 = "https://huggingface.co/Comfy-Org/ltx-2.3/resolve/main/split_files"
_LTX2_5 = "https://huggingface.co/Lightricks/LTX-2.5/resolve/main"  # gated: accept its licence
_COMFY_GEMMA4 = "https://huggingface.co/Comfy-Org/gemma-4/resolve/main/text_encoders"
# Sizes in GB (10^9 bytes): Hugging Face's listing where known; the templates' notes give GiB
# (converted here); LTX-2.5's from published byte counts.


@dataclass(frozen=True)
class ModelFile:
    """One downloadable file: its ComfyUI ``models/`` folder, name, source and size."""

    folder: str
    name: str
    url: str
    size_gb: float
    """Approximate size; 0.0 when not recorded."""
    note: str = ""
    model: str = "ltx-2"
    """The model the file belongs to (``"ltx-2"``, ``"ltx-2.3"``)."""

    @property
    def path(self) -> str:
        """Where it goes, relative to ComfyUI's root."""
        return f"models/{self.folder}/{self.name}"


def _camera_file(motion: str) -> ModelFile:
    slug = motion.replace("_", "-")
    repo = "LTX-2-19b-LoRA-Camera-Control-" + "-".join(p.capitalize() for p in slug.split("-"))
    name = f"ltx-2-19b-lora-camera-control-{slug}.safetensors"
    return ModelFile("loras", name, f"https://huggingface.co/Lightricks/{repo}/resolve/main/{name}",
                     0.31, f"camera control: {motion}")


CATALOG: tuple[ModelFile, ...] = (
    ModelFile("checkpoints", "ltx-2-19b-distilled.safetensors",
              f"{_LTX2}/ltx-2-19b-distilled.safetensors", 40.3, "distilled (fast), bf16"),
    ModelFile("checkpoints", "ltx-2-19b-distilled-fp8.safetensors",
              f"{_LTX2}/ltx-2-19b-distilled-fp8.safetensors", 25.2, "distilled (fast), fp8"),
    ModelFile("checkpoints", "ltx-2-19b-dev.safetensors",
              f"{_LTX2}/ltx-2-19b-dev.safetensors", 40.3, "dev (pro), bf16"),
    ModelFile("checkpoints", "ltx-2-19b-dev-fp8.safetensors",
              f"{_LTX2}/ltx-2-19b-dev-fp8.safetensors", 25.2, "dev (pro), fp8"),
    ModelFile("checkpoints", "ltx-2-19b-dev-fp4.safetensors",
              f"{_LTX2}/ltx-2-19b-dev-fp4.safetensors", 13.0, "dev (pro), NVFP4"),
    ModelFile("text_encoders", "gemma_3_12B_it_fp4_mixed.safetensors",
              f"{_COMFY_LTX2}/text_encoders/gemma_3_12B_it_fp4_mixed.safetensors", 8.8,
              "Gemma 3 12B, fp4 mixed"),
    ModelFile("text_encoders", "gemma_3_12B_it_fp8_scaled.safetensors",
              f"{_COMFY_LTX2}/text_encoders/gemma_3_12B_it_fp8_scaled.safetensors", 13.0,
              "Gemma 3 12B, fp8"),
    ModelFile("text_encoders", "gemma_3_12B_it.safetensors",
              f"{_COMFY_LTX2}/text_encoders/gemma_3_12B_it.safetensors", 24.0, "Gemma 3 12B, bf16"),
    ModelFile("latent_upscale_models", "ltx-2-spatial-upscaler-x2-1.0.safetensors",
              f"{_LTX2}/ltx-2-spatial-upscaler-x2-1.0.safetensors", 0.95, "2x spatial upscaler"),
    ModelFile("loras", "ltx-2-19b-distilled-lora-384.safetensors",
              f"{_LTX2}/ltx-2-19b-distilled-lora-384.safetensors", 7.2,
              "distilled LoRA for the dev model's refine stage"),
    *(_camera_file(m) for m in CAMERA_MOTIONS if m != "none"),
    # the effect LoRA of video_ltx2_i2v_lora (URL from its model metadata, size from its
    # note's 408.3 MB): the example of ltx-2 i2v lora
    ModelFile("loras", "ltx2-squish.safetensors",
              f"{_COMFY_LTX2}/loras/ltx2-squish.safetensors", 0.41,
              "effect LoRA: squish what the image shows (ltx-2 i2v lora's example)"),
    # the control templates' files (video_ltx2_canny_to_video, video_ltx2_depth_to_video;
    # URLs from their model metadata, sizes from their notes' MiB/GiB)
    ModelFile("loras", "ltx-2-19b-ic-lora-canny-control.safetensors",
              "https://huggingface.co/Lightricks/LTX-2-19b-IC-LoRA-Canny-Control/resolve/main/"
              "ltx-2-19b-ic-lora-canny-control.safetensors", 0.65,
              "IC-LoRA: a video's edges steer the video (canny2v)"),
    ModelFile("loras", "ltx-2-19b-ic-lora-depth-control.safetensors",
              "https://huggingface.co/Lightricks/LTX-2-19b-IC-LoRA-Depth-Control/resolve/main/"
              "ltx-2-19b-ic-lora-depth-control.safetensors", 0.65,
              "IC-LoRA: a video's depth steers the video (depth2v)"),
    ModelFile("diffusion_models", "lotus-depth-d-v1-1.safetensors",
              "https://huggingface.co/Comfy-Org/lotus/resolve/main/lotus-depth-d-v1-1.safetensors",
              1.74, "Lotus depth estimator: a control video's depth (depth2v)"),
    ModelFile("vae", "vae-ft-mse-840000-ema-pruned.safetensors",
              "https://huggingface.co/stabilityai/sd-vae-ft-mse-original/resolve/main/"
              "vae-ft-mse-840000-ema-pruned.safetensors", 0.33,
              "Stable Diffusion VAE, for the Lotus depth estimator (depth2v)"),
    ModelFile("loras", "gemma-3-12b-it-abliterated_lora_rank64_bf16.safetensors",
              f"{_COMFY_LTX2}/loras/gemma-3-12b-it-abliterated_lora_rank64_bf16.safetensors",
              0.63, "Gemma 3 LoRA of the LTX-2.3 templates' prompt enhancer", model="ltx-2.3"),
    # LTX-2.3's union control (video_ltx2_3_ic_lora; URLs from its model metadata, sizes from
    # its note's MB)
    ModelFile("loras", "ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors",
              "https://huggingface.co/Lightricks/LTX-2.3-22b-IC-LoRA-Union-Control/resolve/main/"
              "ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors", 0.62,
              "LTX-2.3 union-control IC-LoRA: a video's depth, pose or edges steer the video "
              "(depth2v)", model="ltx-2.3"),
    ModelFile("geometry_estimation", "moge_2_vitl_normal_fp16.safetensors",
              "https://huggingface.co/Comfy-Org/MoGe/resolve/main/geometry_estimation/"
              "moge_2_vitl_normal_fp16.safetensors", 0.63,
              "MoGe-2 geometry estimator: a control video's depth (LTX-2.3 depth2v)",
              model="ltx-2.3"),
    ModelFile("checkpoints", "ltx-2.3-22b-dev-fp8.safetensors",
              f"{_LTX2_3_FP8}/ltx-2.3-22b-dev-fp8.safetensors", 29.1,
              "LTX-2.3 22B dev, fp8 (with the distilled LoRA: fast)", model="ltx-2.3"),
    ModelFile("checkpoints", "ltx-2.3-22b-distilled-fp8.safetensors",
              f"{_LTX2_3_FP8}/ltx-2.3-22b-distilled-fp8.safetensors", 29.5,
              "LTX-2.3 22B distilled, fp8 (first and last frame, union control)", model="ltx-2.3"),
    ModelFile("loras",
              "ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors",
              f"{_COMFY_LTX2_3}/loras/"
              "ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors", 2.74,
              "LTX-2.3 distilled LoRA 1.1 (fast, strength 0.5)", model="ltx-2.3"),
    # the IC-LoRA of template_ltx2_3_ic_lora_ingredients (URL from its model metadata, size
    # from its note)
    ModelFile("loras", "ltx-2.3-22b-ic-lora-ingredients-0.9.safetensors",
              f"{_COMFY_LTX2_3}/loras/ltx-2.3-22b-ic-lora-ingredients-0.9.safetensors", 1.22,
              "LTX-2.3 ingredients IC-LoRA: a reference sheet steers the video (ref2v)",
              model="ltx-2.3"),
    # the ID-LoRA of video_ltx2_3_id_lora (URL from its model metadata, size from its note)
    ModelFile("loras", "ltx-2.3-id-lora-talkvid-3k.safetensors",
              f"{_COMFY_LTX2_3}/loras/ltx-2.3-id-lora-talkvid-3k.safetensors", 1.08,
              "LTX-2.3 ID-LoRA: keeps the voice of a recording (id2v)", model="ltx-2.3"),
    ModelFile("latent_upscale_models", "ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
              f"{_LTX2_3}/ltx-2.3-spatial-upscaler-x2-1.1.safetensors", 1.0,
              "LTX-2.3 2x spatial upscaler", model="ltx-2.3"),
    ModelFile("diffusion_models",
              "ltx-2.5-22b-distilled-transformer-comfy-int8-convrot.safetensors",
              f"{_LTX2_5}/diffusion_models/"
              "ltx-2.5-22b-distilled-transformer-comfy-int8-convrot.safetensors", 21.5,
              "LTX-2.5 22B distilled transformer, int8", model="ltx-2.5"),
    ModelFile("vae", "ltx-2.5-video-vae-bf16.safetensors",
              f"{_LTX2_5}/vae/ltx-2.5-video-vae-bf16.safetensors", 1.47, "LTX-2.5 video VAE",
              model="ltx-2.5"),
    ModelFile("vae", "ltx-2.5-audio-vae-bf16.safetensors",
              f"{_LTX2_5}/vae/ltx-2.5-audio-vae-bf16.safetensors", 0.36, "LTX-2.5 audio VAE",
              model="ltx-2.5"),
    ModelFile("text_encoders", "gemma4-12b-with-proj-ltx-2.5-comfy-int8-convrot.safetensors",
              f"{_LTX2_5}/text_encoders/"
              "gemma4-12b-with-proj-ltx-2.5-comfy-int8-convrot.safetensors", 15.4,
              "Gemma 4 12B with LTX-2.5's projection, int8", model="ltx-2.5"),
    ModelFile("latent_upscale_models", "ltx-2.5-latent-spatial-upscaler-x2-bf16-1.0.safetensors",
              f"{_LTX2_5}/latent_upscale_models/"
              "ltx-2.5-latent-spatial-upscaler-x2-bf16-1.0.safetensors", 1.0,
              "LTX-2.5 2x spatial upscaler", model="ltx-2.5"),
    ModelFile("text_encoders", "gemma4_e2b_it_int8_convrot.safetensors",
              f"{_COMFY_GEMMA4}/gemma4_e2b_it_int8_convrot.safetensors", 5.2,
              "Gemma 4 E2B, int8: LTX-2.5's prompt enhancer", model="ltx-2.5"),
)

_BY_NAME = {(f.folder, f.name): f for f in CATALOG}


def known_files(folder: str) -> tuple[str, ...]:
    """Names of the catalog's files in ``models/<folder>``."""
    return tuple(f.name for f in CATALOG if f.folder == folder)


def lookup(folder: str, name: str) -> ModelFile | None:
    """The catalog entry for ``models/<folder>/<name>``, if the SDK knows it."""
    return _BY_NAME.get((folder, name))


def camera_lora(motion: str) -> str | None:
    """The LoRA file of a camera motion (``None`` for ``"none"``)."""
    if motion not in CAMERA_MOTIONS:
        raise ValueError(f"unknown camera motion {motion!r}; choose one of {CAMERA_MOTIONS}")
    if motion == "none":
        return None
    return f"ltx-2-19b-lora-camera-control-{motion.replace('_', '-')}.safetensors"


# Defaults per mode, as in Comfy-Org's official templates.
DEFAULT_CHECKPOINT: dict[str, str] = {
    "fast": "ltx-2-19b-distilled.safetensors",
    "pro": "ltx-2-19b-dev-fp8.safetensors",
    "lora": "ltx-2-19b-dev.safetensors",  # video_ltx2_i2v_lora: the bf16 dev model
}
DEFAULT_TEXT_ENCODER = "gemma_3_12B_it_fp4_mixed.safetensors"
MODE_TEXT_ENCODER: dict[str, str] = {"lora": "gemma_3_12B_it.safetensors"}
"""A mode's text encoder where it is not :data:`DEFAULT_TEXT_ENCODER` (the bf16 Gemma of
``video_ltx2_i2v_lora``)."""
DEFAULT_UPSCALER = "ltx-2-spatial-upscaler-x2-1.0.safetensors"
DEFAULT_DISTILLED_LORA = "ltx-2-19b-distilled-lora-384.safetensors"


def files_for(mode: str, checkpoint: str | None = None, text_encoder: str | None = None,
              upscaler: str | None = None, distilled_lora: str | None = None,
              camera: str = "none") -> list[ModelFile]:
    """Every catalog file a pipeline of ``mode`` with these choices loads."""
    wanted = [
        ("checkpoints", checkpoint or DEFAULT_CHECKPOINT[mode]),
        ("text_encoders", text_encoder or MODE_TEXT_ENCODER.get(mode, DEFAULT_TEXT_ENCODER)),
        ("latent_upscale_models", upscaler or DEFAULT_UPSCALER),
    ]
    if mode != "fast":  # the dev model's refine stage (and every stage of lora)
        wanted.append(("loras", distilled_lora or DEFAULT_DISTILLED_LORA))
    lora = camera_lora(camera)
    if lora:
        wanted.append(("loras", lora))
    return [f for folder, name in wanted if (f := lookup(folder, name)) is not None]
