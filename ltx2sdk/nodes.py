"""Typed constructors for the LTX-2 node set.

``Nodes(graph)`` offers one method per ComfyUI node type, named exactly like the
node's ``class_type`` so that ComfyUI users recognise them. Each takes typed
handles and literals and returns typed handles, so a type checker catches a VAE
passed where an IMAGE goes, and the graph checks it again at run time::

    g = Graph()
    n = Nodes(g)
    model, _, vae = n.CheckpointLoaderSimple("ltx-2-19b-distilled.safetensors")
"""

from __future__ import annotations

from typing import Any, Literal

from .graph import Graph, Node
from .handles import (
    Audio,
    Clip,
    Conditioning,
    Guider,
    Image,
    Latent,
    LatentUpscaleModel,
    Mask,
    Model,
    Noise,
    Output,
    Sampler,
    Sigmas,
    StringValue,
    Vae,
    Video,
)


class Nodes:
    """Typed node constructors bound to one :class:`Graph`. ``title`` sets ``_meta.title``."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def _add(self, class_type: str, title: str | None, inputs: dict[str, Any]) -> Node:
        # optional inputs passed as None are simply left out
        return self.graph.add(class_type, {k: v for k, v in inputs.items() if v is not None},
                              title=title)

    # --- loaders -----------------------------------------------------------------------------

    def CheckpointLoaderSimple(self, ckpt_name: str, *, title: str | None = None
                               ) -> tuple[Model, Output, Vae]:
        """Load a checkpoint: MODEL, CLIP (unused by LTX-2) and the video VAE."""
        node = self._add("CheckpointLoaderSimple", title, {"ckpt_name": ckpt_name})
        return node.out(0, Model), node[1], node.out(2, Vae)

    def LTXAVTextEncoderLoader(self, text_encoder: str, ckpt_name: str,
                               device: Literal["default", "cpu"] = "default", *,
                               title: str | None = None) -> Clip:
        """Load the Gemma text encoder together with the checkpoint's text projection."""
        node = self._add("LTXAVTextEncoderLoader", title, {
            "text_encoder": text_encoder, "ckpt_name": ckpt_name, "device": device})
        return node.out(0, Clip)

    def LTXVAudioVAELoader(self, ckpt_name: str, *, title: str | None = None) -> Vae:
        """Load the audio VAE stored in the LTX-2 checkpoint."""
        return self._add("LTXVAudioVAELoader", title, {"ckpt_name": ckpt_name}).out(0, Vae)

    def LatentUpscaleModelLoader(self, model_name: str, *, title: str | None = None
                                 ) -> LatentUpscaleModel:
        """Load a latent upscaler (the 2x spatial upscaler between the two stages)."""
        node = self._add("LatentUpscaleModelLoader", title, {"model_name": model_name})
        return node.out(0, LatentUpscaleModel)

    def LoraLoaderModelOnly(self, model: Model, lora_name: str, strength_model: float = 1.0, *,
                            title: str | None = None) -> Model:
        """Apply a LoRA to a diffusion model."""
        node = self._add("LoraLoaderModelOnly", title, {
            "model": model, "lora_name": lora_name, "strength_model": strength_model})
        return node.out(0, Model)

    def LoadImage(self, image: str, *, title: str | None = None) -> tuple[Image, Mask]:
        """Load an image from ComfyUI's input folder (for example, an uploaded one)."""
        node = self._add("LoadImage", title, {"image": image})
        return node.out(0, Image), node.out(1, Mask)

    # --- text --------------------------------------------------------------------------------

    def TextGenerateLTX2Prompt(self, clip: Clip, prompt: str, max_length: int = 512,
                               sampling_mode: Literal["on", "off"] = "on",
                               image: Image | None = None, *, title: str | None = None,
                               **sampling: Any) -> StringValue:
        """Let the Gemma text encoder rewrite ``prompt`` in LTX-2's detailed style
        (described from ``image`` for i2v). ``sampling`` sets the "on" mode's options
        (temperature, top_k, top_p, min_p, repetition_penalty, seed, presence_penalty)."""
        inputs: dict[str, Any] = {"clip": clip, "prompt": prompt, "max_length": max_length,
                                  "sampling_mode": sampling_mode, "image": image}
        inputs.update({f"sampling_mode.{key}": value for key, value in sampling.items()})
        return self._add("TextGenerateLTX2Prompt", title, inputs).out(0, StringValue)

    def CLIPTextEncode(self, text: str | StringValue, clip: Clip, *, title: str | None = None
                       ) -> Conditioning:
        """Encode a prompt (a literal, or text another node generated)."""
        node = self._add("CLIPTextEncode", title, {"text": text, "clip": clip})
        return node.out(0, Conditioning)

    def LTXVConditioning(self, positive: Conditioning, negative: Conditioning, frame_rate: float,
                         *, title: str | None = None) -> tuple[Conditioning, Conditioning]:
        """Attach the frame rate to both conditionings."""
        node = self._add("LTXVConditioning", title, {
            "positive": positive, "negative": negative, "frame_rate": float(frame_rate)})
        return node.out(0, Conditioning), node.out(1, Conditioning)

    def ConditioningZeroOut(self, conditioning: Conditioning, *, title: str | None = None
                            ) -> Conditioning:
        """A conditioning of zeros shaped like the input (an empty negative)."""
        node = self._add("ConditioningZeroOut", title, {"conditioning": conditioning})
        return node.out(0, Conditioning)

    # --- latents -----------------------------------------------------------------------------

    def EmptyLTXVLatentVideo(self, width: int, height: int, length: int, batch_size: int = 1, *,
                             title: str | None = None) -> Latent:
        """An empty video latent of ``length`` frames at ``width`` x ``height`` pixels."""
        node = self._add("EmptyLTXVLatentVideo", title, {
            "width": width, "height": height, "length": length, "batch_size": batch_size})
        return node.out(0, Latent)

    def LTXVEmptyLatentAudio(self, audio_vae: Vae, frames_number: int, frame_rate: int,
                             batch_size: int = 1, *, title: str | None = None) -> Latent:
        """An empty audio latent as long as ``frames_number`` video frames at ``frame_rate``."""
        node = self._add("LTXVEmptyLatentAudio", title, {
            "frames_number": frames_number, "frame_rate": frame_rate, "batch_size": batch_size,
            "audio_vae": audio_vae})
        return node.out(0, Latent)

    def LTXVConcatAVLatent(self, video_latent: Latent, audio_latent: Latent, *,
                           title: str | None = None) -> Latent:
        """Join video and audio latents for joint sampling."""
        node = self._add("LTXVConcatAVLatent", title, {
            "video_latent": video_latent, "audio_latent": audio_latent})
        return node.out(0, Latent)

    def LTXVSeparateAVLatent(self, av_latent: Latent, *, title: str | None = None
                             ) -> tuple[Latent, Latent]:
        """Split a joint latent into (video, audio)."""
        node = self._add("LTXVSeparateAVLatent", title, {"av_latent": av_latent})
        return node.out(0, Latent), node.out(1, Latent)

    def LTXVImgToVideoInplace(self, vae: Vae, image: Image, latent: Latent,
                              strength: float = 1.0, bypass: bool = False, *,
                              title: str | None = None) -> Latent:
        """Encode ``image`` into the first frame of ``latent`` (image to video)."""
        node = self._add("LTXVImgToVideoInplace", title, {
            "vae": vae, "image": image, "latent": latent, "strength": float(strength),
            "bypass": bypass})
        return node.out(0, Latent)

    def LTXVAddGuide(self, positive: Conditioning, negative: Conditioning, vae: Vae,
                     latent: Latent, image: Image, frame_idx: int = 0, strength: float = 1.0, *,
                     title: str | None = None) -> tuple[Conditioning, Conditioning, Latent]:
        """Guide frame ``frame_idx`` towards ``image`` (keyframes, last frame)."""
        node = self._add("LTXVAddGuide", title, {
            "positive": positive, "negative": negative, "vae": vae, "latent": latent,
            "image": image, "frame_idx": frame_idx, "strength": float(strength)})
        return node.out(0, Conditioning), node.out(1, Conditioning), node.out(2, Latent)

    def LTXVCropGuides(self, positive: Conditioning, negative: Conditioning, latent: Latent, *,
                       title: str | None = None) -> tuple[Conditioning, Conditioning, Latent]:
        """Remove guide frames added by LTXVAddGuide (a no-op when there are none)."""
        node = self._add("LTXVCropGuides", title, {
            "positive": positive, "negative": negative, "latent": latent})
        return node.out(0, Conditioning), node.out(1, Conditioning), node.out(2, Latent)

    def LTXVLatentUpsampler(self, samples: Latent, upscale_model: LatentUpscaleModel, vae: Vae,
                            *, title: str | None = None) -> Latent:
        """Upscale a video latent with a latent upscale model."""
        node = self._add("LTXVLatentUpsampler", title, {
            "samples": samples, "upscale_model": upscale_model, "vae": vae})
        return node.out(0, Latent)

    # --- sampling ----------------------------------------------------------------------------

    def RandomNoise(self, noise_seed: int, *, title: str | None = None) -> Noise:
        """Noise from ``noise_seed``."""
        return self._add("RandomNoise", title, {"noise_seed": noise_seed}).out(0, Noise)

    def KSamplerSelect(self, sampler_name: str, *, title: str | None = None) -> Sampler:
        """Pick a sampler by name (euler, euler_ancestral, gradient_estimation, ...)."""
        return self._add("KSamplerSelect", title, {"sampler_name": sampler_name}).out(0, Sampler)

    def LTXVScheduler(self, steps: int, max_shift: float, base_shift: float, stretch: bool,
                      terminal: float, latent: Latent | None = None, *,
                      title: str | None = None) -> Sigmas:
        """LTX-V's shifted schedule; the shift depends on the latent's size when given."""
        node = self._add("LTXVScheduler", title, {
            "steps": steps, "max_shift": float(max_shift), "base_shift": float(base_shift),
            "stretch": stretch, "terminal": float(terminal), "latent": latent})
        return node.out(0, Sigmas)

    def ManualSigmas(self, sigmas: str, *, title: str | None = None) -> Sigmas:
        """An explicit, comma-separated list of sigmas."""
        return self._add("ManualSigmas", title, {"sigmas": sigmas}).out(0, Sigmas)

    def CFGGuider(self, model: Model, positive: Conditioning, negative: Conditioning, cfg: float,
                  *, title: str | None = None) -> Guider:
        """Classifier-free guidance at scale ``cfg`` (1 disables the negative)."""
        node = self._add("CFGGuider", title, {
            "model": model, "positive": positive, "negative": negative, "cfg": float(cfg)})
        return node.out(0, Guider)

    def SamplerCustomAdvanced(self, noise: Noise, guider: Guider, sampler: Sampler,
                              sigmas: Sigmas, latent_image: Latent, *,
                              title: str | None = None) -> tuple[Latent, Latent]:
        """Sample; returns (output, denoised_output)."""
        node = self._add("SamplerCustomAdvanced", title, {
            "noise": noise, "guider": guider, "sampler": sampler, "sigmas": sigmas,
            "latent_image": latent_image})
        return node.out(0, Latent), node.out(1, Latent)

    # --- images ------------------------------------------------------------------------------

    def ResizeImageMaskNode(self, input: Image, resize_type: str, scale_method: str = "area", *,
                            title: str | None = None, **options: Any) -> Image:
        """Resize an image; ``options`` are the chosen ``resize_type``'s settings, e.g.
        ``resize_type="scale dimensions", width=1280, height=704, crop="center"``."""
        inputs = {"input": input, "resize_type": resize_type, "scale_method": scale_method}
        inputs.update({f"resize_type.{key}": value for key, value in options.items()})
        return self._add("ResizeImageMaskNode", title, inputs).out(0, Image)

    def LTXVPreprocess(self, image: Image, img_compression: int = 35, *,
                       title: str | None = None) -> Image:
        """Apply H.264 compression to a still so it looks like a video frame."""
        node = self._add("LTXVPreprocess", title, {
            "image": image, "img_compression": img_compression})
        return node.out(0, Image)

    def EmptyImage(self, width: int, height: int, batch_size: int = 1, color: int = 0, *,
                   title: str | None = None) -> Image:
        """A batch of solid-colour images (``color`` is 0xRRGGBB)."""
        node = self._add("EmptyImage", title, {
            "width": width, "height": height, "batch_size": batch_size, "color": color})
        return node.out(0, Image)

    # --- decoding and output -----------------------------------------------------------------

    def VAEDecode(self, samples: Latent, vae: Vae, *, title: str | None = None) -> Image:
        """Decode a latent to images."""
        return self._add("VAEDecode", title, {"samples": samples, "vae": vae}).out(0, Image)

    def VAEDecodeTiled(self, samples: Latent, vae: Vae, tile_size: int = 512, overlap: int = 64,
                       temporal_size: int = 64, temporal_overlap: int = 8, *,
                       title: str | None = None) -> Image:
        """Decode a latent in spatial and temporal tiles (less memory)."""
        node = self._add("VAEDecodeTiled", title, {
            "samples": samples, "vae": vae, "tile_size": tile_size, "overlap": overlap,
            "temporal_size": temporal_size, "temporal_overlap": temporal_overlap})
        return node.out(0, Image)

    def LTXVAudioVAEDecode(self, samples: Latent, audio_vae: Vae, *, title: str | None = None
                           ) -> Audio:
        """Decode an audio latent to a waveform."""
        node = self._add("LTXVAudioVAEDecode", title, {"samples": samples, "audio_vae": audio_vae})
        return node.out(0, Audio)

    def CreateVideo(self, images: Image, fps: float, audio: Audio | None = None,
                    bit_depth: int | None = None, *, title: str | None = None) -> Video:
        """Combine frames (and audio) into a VIDEO at ``fps`` (``bit_depth`` 8 or 10)."""
        node = self._add("CreateVideo", title, {
            "images": images, "fps": float(fps), "audio": audio, "bit_depth": bit_depth})
        return node.out(0, Video)

    def SaveVideo(self, video: Video, filename_prefix: str = "video/ltx2sdk",
                  format: Literal["auto", "mp4"] = "auto", codec: Literal["auto", "h264"] = "auto",
                  *, title: str | None = None) -> Node:
        """Write the video to ComfyUI's output folder: the graph's output node."""
        return self._add("SaveVideo", title, {
            "video": video, "filename_prefix": filename_prefix, "format": format, "codec": codec})
