"""The request flags shared by ``ltx2 build`` and ``ltx2 generate``, and their errors."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .models import CAMERA_MOTIONS
from .request import GenerationRequest, describe_validation_error

EXAMPLE_REQUEST: dict[str, Any] = {
    "prompt": ("A red fox trots through fresh snow at dawn, its breath fogging in the cold air. "
               "The camera holds steady at ground level. Soft wind and the crunch of snow."),
    "mode": "fast",
    "type": "t2v",
    "duration": 5,
    "seed": 42,
}


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --- request flags shared by build and generate ------------------------------------------------

_FLAG_FIELDS = {  # flag dest -> request field
    "prompt": "prompt", "negative_prompt": "negative_prompt", "type": "type", "mode": "mode",
    "width": "width", "height": "height", "duration": "duration", "frames": "frames",
    "fps": "fps", "seed": "seed", "camera": "camera_lora", "camera_strength": "camera_strength",
    "image_strength": "image_strength", "image_url": "image_url",
    "enhance_prompt": "enhance_prompt",
    "filename_prefix": "filename_prefix",
}


def add_request_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("request (any field of the request model)")
    group.add_argument("--request", type=Path, metavar="FILE.json",
                       help="read the request from a JSON file (the RunPod handler's input); "
                            "flags given as well override its fields")
    group.add_argument("--prompt", help="what happens in the video, sounds included")
    group.add_argument("--negative-prompt", help="what to avoid (pro mode only)")
    group.add_argument("--type", choices=["t2v", "i2v"],
                       help="text or image to video (default t2v; i2v when --image is given)")
    group.add_argument("--mode", choices=["fast", "pro"], help="fast: distilled (default); "
                       "pro: dev model, CFG 4")
    group.add_argument("--width", type=int, help="pixels, snapped to a multiple of 64 "
                       "(default 1280)")
    group.add_argument("--height", type=int, help="pixels, snapped to a multiple of 64 "
                       "(default 720)")
    group.add_argument("--duration", type=float, help="seconds, at most 20 (default 10)")
    group.add_argument("--frames", type=int, help="length in frames (8n+1) instead of --duration")
    group.add_argument("--fps", type=int, help="frames per second (default 24)")
    group.add_argument("--seed", type=int, help="noise seed (random when absent; always printed)")
    group.add_argument("--camera", choices=CAMERA_MOTIONS, help="camera LoRA (default static)")
    group.add_argument("--camera-strength", type=float, help="camera LoRA strength (default 1)")
    group.add_argument("--enhance-prompt", action="store_true", default=None,
                       help="let the text encoder rewrite the prompt in LTX-2's style first")
    group.add_argument("--image", type=Path, metavar="FILE", help="first frame for i2v")
    group.add_argument("--image-url", help="first frame for i2v, by URL")
    group.add_argument("--image-strength", type=float, help="how strongly the first frame is "
                       "kept (0..1, default 1)")
    group.add_argument("--filename-prefix", help="SaveVideo prefix (default video/ltx2sdk)")
    group.add_argument("--example", action="store_true",
                       help="use the built-in example request (a 5 s fox, fast mode)")


def request_from_args(args: argparse.Namespace, *, image_as_data: bool) -> GenerationRequest:
    """Merge ``--example``/``--request`` with the flags given and validate the result.

    ``image_as_data``: send ``--image`` as base64 (generate uploads it); otherwise
    only its file name is used (an offline build references it by name).
    """
    fields: dict[str, Any] = dict(EXAMPLE_REQUEST) if args.example else {}
    if args.request is not None:
        try:
            loaded = json.loads(args.request.read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read request file {args.request}: {exc}", 2) from exc
        if isinstance(loaded, dict) and isinstance(loaded.get("input"), dict):
            loaded = loaded["input"]  # a RunPod test_input.json works as it is
        if not isinstance(loaded, dict):
            raise CliError(f"request file {args.request} must hold a JSON object", 2)
        fields.update(loaded)
    for dest, field in _FLAG_FIELDS.items():
        value = getattr(args, dest, None)
        if value is not None:
            fields[field] = value
    if args.image is not None:
        fields.setdefault("type", "i2v")
        if image_as_data:
            try:
                fields["image_base64"] = base64.b64encode(args.image.read_bytes()).decode()
            except OSError as exc:
                raise CliError(f"cannot read image {args.image}: {exc.strerror}", 2) from exc
        else:
            fields["image"] = args.image.name
    if "prompt" not in fields:
        raise CliError("a prompt is needed: --prompt TEXT, --request FILE.json or --example", 2)
    try:
        return GenerationRequest.model_validate(fields)
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc), 2) from exc
