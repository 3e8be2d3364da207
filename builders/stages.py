"""The stages every LTX-2 pipeline is made of, as functions over typed handles.

The four pipelines (T2V/I2V x fast/pro) are compositions of these functions with
different settings (:mod:`builders.pipelines`); nothing here knows which one it
is part of. Titles name each node's role, so tests and users can find them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ltx2sdk.handles import (
    Audio,
    Clip,
    Conditioning,
    Image,
    Latent,
    LatentUpscaleModel,
    Model,
    StringValue,
    Vae,
)
from ltx2sdk.nodes import Nodes

from .plan import ResolvedModels

# Official sigma schedules (Comfy-Org templates; Lightricks' distilled schedule).
DISTILLED_SIGMAS = "1., 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0"
REFINE_SIGMAS = "0.909375, 0.725, 0.421875, 0.0"
# LTXVScheduler settings of the dev model's first stage: steps, max/base shift, stretch, terminal.
DEV_SCHEDULE = (20, 2.05, 0.95, True, 0.1)
I2V_LONGER_EDGE = 1536  # the still is brought to this size before LTXVPreprocess
I2V_IMG_COMPRESSION = 33  # ltx-pipelines' and the templates' value (the node's default is 35)


@dataclass(frozen=True)
class Loaded:
    """Everything the loaders produce."""

    model: Model
    vae: Vae
    audio_vae: Vae
    clip: Clip
    upscaler: LatentUpscaleModel


def load_models(n: Nodes, files: ResolvedModels) -> Loaded:
    """Checkpoint (MODEL + video VAE), Gemma text encoder, audio VAE and upscaler."""
    model, _, vae = n.CheckpointLoaderSimple(files.checkpoint, title="Checkpoint")
    clip = n.LTXAVTextEncoderLoader(files.text_encoder, files.checkpoint, title="Text encoder")
    audio_vae = n.LTXVAudioVAELoader(files.checkpoint, title="Audio VAE")
    upscaler = n.LatentUpscaleModelLoader(files.upscaler, title="Spatial upscaler x2")
    return Loaded(model=model, vae=vae, audio_vae=audio_vae, clip=clip, upscaler=upscaler)


def apply_lora(n: Nodes, model: Model, lora: str | None, strength: float, title: str) -> Model:
    """``model`` with ``lora`` applied, or ``model`` itself when there is none."""
    if lora is None:
        return model
    return n.LoraLoaderModelOnly(model, lora, strength, title=title)


def encode_prompts(n: Nodes, clip: Clip, prompt: str, negative: str | None, fps: int, *,
                   zero_negative: bool, enhance_seed: int | None = None,
                   image: Image | None = None) -> tuple[Conditioning, Conditioning]:
    """Positive and negative conditioning with the frame rate attached.

    With no negative prompt (CFG 1 pipelines) only the prompt is encoded: the
    negative is either the positive itself or, with ``zero_negative``, its zeroed copy.
    With ``enhance_seed`` the text encoder first rewrites the prompt (looking at
    ``image`` if given), sampling with that seed so a build stays reproducible.
    """
    text: str | StringValue = prompt
    if enhance_seed is not None:
        n.require("TextGenerateLTX2Prompt", "prompt enhancement")
        text = n.TextGenerateLTX2Prompt(clip, prompt, image=image, seed=enhance_seed,
                                        title="Enhance prompt")
    positive = n.CLIPTextEncode(text, clip, title="Prompt")
    if negative is not None:
        negative_cond = n.CLIPTextEncode(negative, clip, title="Negative prompt")
    elif zero_negative:
        negative_cond = n.ConditioningZeroOut(positive, title="Empty negative")
    else:
        negative_cond = positive
    return n.LTXVConditioning(positive, negative_cond, fps, title="Frame rate conditioning")


def empty_latents(n: Nodes, audio_vae: Vae, width: int, height: int, frames: int, fps: int
                  ) -> tuple[Latent, Latent]:
    """Empty video latent at (width, height) and an audio latent of the same length."""
    video = n.EmptyLTXVLatentVideo(width, height, frames, title="Stage 1 video latent")
    audio = n.LTXVEmptyLatentAudio(audio_vae, frames, fps, title="Audio latent")
    return video, audio


def prepare_image(n: Nodes, image_name: str, width: int, height: int, scale_method: str
                  ) -> Image:
    """Load the first frame, centre-crop it to the output size, then make it look like
    a video frame (longer edge 1536, H.264-style compression)."""
    image, _ = n.LoadImage(image_name, title="First frame")
    fitted = n.ResizeImageMaskNode(image, "scale dimensions", "lanczos", width=width,
                                   height=height, crop="center", title="Fit to output size")
    bounded = n.ResizeImageMaskNode(fitted, "scale longer dimension", scale_method,
                                    longer_size=I2V_LONGER_EDGE, title="Longer edge 1536")
    return n.LTXVPreprocess(bounded, I2V_IMG_COMPRESSION, title="Preprocess first frame")


def sample(n: Nodes, stage: int, *, model: Model, positive: Conditioning,
           negative: Conditioning, cfg: float, sampler_name: str, latent: Latent, seed: int,
           schedule: str | tuple[int, float, float, bool, float]) -> tuple[Latent, Latent]:
    """One sampling stage over a joint audio-video latent: (output, denoised_output).

    ``schedule`` is a ManualSigmas string or LTXVScheduler settings (fed the latent).
    """
    noise = n.RandomNoise(seed, title=f"Stage {stage} noise")
    sampler = n.KSamplerSelect(sampler_name, title=f"Stage {stage} sampler")
    if isinstance(schedule, str):
        sigmas = n.ManualSigmas(schedule, title=f"Stage {stage} sigmas")
    else:
        sigmas = n.LTXVScheduler(*schedule, latent=latent, title=f"Stage {stage} sigmas")
    guider = n.CFGGuider(model, positive, negative, cfg, title=f"Stage {stage} guider")
    return n.SamplerCustomAdvanced(noise, guider, sampler, sigmas, latent,
                                   title=f"Stage {stage} sampling")


def decode_and_save(n: Nodes, video: Latent, audio: Latent, vae: Vae, audio_vae: Vae, fps: int,
                    filename_prefix: str, *, tiled: bool) -> None:
    """Decode both latents, mux them at ``fps`` and save the mp4 (the output node)."""
    if tiled:
        images = n.VAEDecodeTiled(video, vae, 512, 64, 4096, 8, title="Decode video")
    else:
        images = n.VAEDecode(video, vae, title="Decode video")
    sound: Audio = n.LTXVAudioVAEDecode(audio, audio_vae, title="Decode audio")
    clip = n.CreateVideo(images, fps, sound, bit_depth=8, title="Create video")
    n.SaveVideo(clip, filename_prefix, title="Save video")
