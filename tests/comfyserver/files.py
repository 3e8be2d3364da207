"""The server's input/output/temp directories: save naming, uploads, and /view path rules."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .catalog import FIXTURES_DIR

CAPTURED_MP4 = FIXTURES_DIR / "protocol" / "success_video" / "files" / "ltx2sdk_00001_.mp4"
CAPTURED_PNG = FIXTURES_DIR / "protocol" / "upload_image" / "upload_a.png"

DIR_TYPES = ("input", "output", "temp")
_CHUNK = 1024 * 1024
# ComfyUI accepts "name.png [output]" wherever an input file name is expected.
_ANNOTATION = re.compile(r"^(?P<name>.*) \[(?P<kind>input|output|temp)\]$")


class UploadRejected(Exception):
    """An upload ComfyUI answers with an empty 400."""


@dataclass(frozen=True)
class SavedFile:
    path: Path
    filename: str
    subfolder: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sized_file(path: Path, template: bytes, size: int | None) -> None:
    """Write ``template``, or exactly ``size`` bytes (template first, zero padding after).

    Written in 1 MiB chunks so that benchmark outputs of hundreds of MB never sit in memory.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        if size is None:
            handle.write(template)
            return
        head = template[:size]
        handle.write(head)
        remaining = size - len(head)
        zeros = bytes(_CHUNK)
        while remaining > 0:
            step = min(remaining, _CHUNK)
            handle.write(zeros[:step])
            remaining -= step


def write_placeholder_video(path: Path, frames: int, fps: float) -> None:
    """A real mp4 of ``frames`` tiny grey frames (64x36, MPEG-4 Part 2) at ``fps``: as long
    as the graph's video would be, decodable, and cheap to make (milliseconds per second of
    video)."""
    from fractions import Fraction

    import av  # only a stand-in asked for videos of the graph's length encodes them

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for index in range(max(1, frames)):
            frame = av.VideoFrame(64, 36, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(index * 3) % 256]) * plane.buffer_size)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))


class Storage:
    """Directories standing in for ComfyUI's ``input/``, ``output/`` and ``temp/``."""

    def __init__(self, output_dir: Path, input_dir: Path, temp_dir: Path) -> None:
        self.dirs = {"output": output_dir, "input": input_dir, "temp": temp_dir}
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)

    @property
    def output_dir(self) -> Path:
        return self.dirs["output"]

    @property
    def input_dir(self) -> Path:
        return self.dirs["input"]

    @property
    def temp_dir(self) -> Path:
        return self.dirs["temp"]

    # -- saving node outputs ----------------------------------------------------------------

    def next_save_path(
        self, filename_prefix: str, extension: str, kind: str = "output"
    ) -> SavedFile:
        """``<subfolder>/<name>_<counter:05>_.<ext>`` with the counter one past the highest
        already on disk for that prefix (ComfyUI derives it from the directory, not memory)."""
        base = self.dirs[kind]
        normalized = os.path.normpath(filename_prefix)
        subfolder = os.path.dirname(normalized)
        name = os.path.basename(normalized)
        folder = (base / subfolder).resolve()
        if os.path.commonpath((base.resolve(), folder)) != str(base.resolve()):
            raise ValueError("Saving image outside the output folder is not allowed.")
        folder.mkdir(parents=True, exist_ok=True)
        pattern = re.compile(re.escape(name) + r"_(\d+)_")
        counters = [int(m.group(1)) for f in os.listdir(folder) if (m := pattern.match(f))]
        counter = max(counters, default=0) + 1
        filename = f"{name}_{counter:05}_.{extension}"
        return SavedFile(folder / filename, filename, subfolder)

    # -- input files --------------------------------------------------------------------------

    def annotated_path(self, name: str, default_kind: str = "input") -> Path:
        match = _ANNOTATION.match(name)
        kind = match.group("kind") if match else default_kind
        plain = match.group("name") if match else name
        return self.dirs[kind] / plain

    def input_exists(self, name: str) -> bool:
        """``folder_paths.exists_annotated_filepath``: LoadImage & co. accept these names.

        Like ComfyUI: a trailing ``[output]``/``[input]``/``[temp]`` tag is cut off together
        with the one character before it (normally a space), the rest is joined to that
        directory (default: input) and anything that exists passes, a directory too.
        """
        for kind, cut in (("output", 9), ("input", 8), ("temp", 7)):
            if name.endswith(f"[{kind}]"):
                return os.path.exists(os.path.join(self.dirs[kind], name[:-cut]))
        return os.path.exists(os.path.join(self.dirs["input"], name))

    def input_listing(self, kinds: Sequence[str]) -> list[str]:
        """Top-level input files of the given media kinds (image/audio/video), sorted."""
        names = []
        for entry in os.scandir(self.input_dir):
            mime = mimetypes.guess_type(entry.name)[0] or ""
            if entry.is_file() and mime.split("/")[0] in kinds:
                names.append(entry.name)
        return sorted(names)

    # -- uploads ------------------------------------------------------------------------------

    def place_upload(
        self, staged: Path, filename: str, subfolder: str, kind: str, overwrite: bool
    ) -> str:
        """Move an uploaded file into place; returns the name the client must use.

        Without ``overwrite`` an existing name is kept when the bytes are identical, otherwise
        ``"name (1).ext"``, ``"name (2).ext"``, ... is used.
        """
        if kind not in self.dirs:
            raise UploadRejected(f"unknown type {kind!r}")
        base = self.dirs[kind].resolve()
        folder = (base / os.path.normpath(subfolder)).resolve()
        if os.path.commonpath((str(base), str(folder))) != str(base):
            raise UploadRejected("subfolder escapes the upload directory")
        if not filename:
            raise UploadRejected("empty file name")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / filename
        if not overwrite:
            stem, ext = os.path.splitext(filename)
            digest = sha256_of(staged)
            index = 1
            while target.exists():
                if sha256_of(target) == digest:
                    staged.unlink()
                    return target.name
                target = folder / f"{stem} ({index}){ext}"
                index += 1
        shutil.move(str(staged), target)
        return target.name

    # -- /view --------------------------------------------------------------------------------

    def resolve_view(self, filename: str, subfolder: str | None, kind: str) -> Path | int:
        """The file ``GET /view`` serves, or the HTTP status ComfyUI answers instead."""
        match = _ANNOTATION.match(filename)
        if match:
            filename, kind = match.group("name"), match.group("kind")
        if not filename:
            return 400
        if filename[0] == "/" or ".." in filename:
            return 400
        if kind not in self.dirs:
            return 400
        base = str(self.dirs[kind].resolve())
        folder = base
        if subfolder is not None:
            folder = os.path.join(base, subfolder)
            if os.path.commonpath((os.path.abspath(folder), base)) != base:
                return 403
        path = Path(folder) / os.path.basename(filename)
        return path if path.is_file() else 404
