"""Binding uploaded input files at submission (:mod:`ltx2sdk.backends.uploads`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.uploads import bind_uploads, content_stem
from tests.comfyserver import ComfyTestServer

PROMPT = {"1": {"class_type": "LoadImage", "inputs": {"image": "a.png", "upload": "image"}},
          "2": {"class_type": "LoadAudio", "inputs": {"audio": "v.wav"}},
          "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0],
                                                      "filename_prefix": "a.png"}}}


def test_each_literal_naming_an_upload_becomes_what_it_stands_for() -> None:
    reference = {"type": "core/ASSET", "id": "x"}
    bound = bind_uploads(PROMPT, {"a.png": "a (1).png", "v.wav": reference})
    assert bound["1"]["inputs"] == {"image": "a (1).png", "upload": "image"}
    assert bound["2"]["inputs"]["audio"] == reference
    assert bound["2"]["inputs"]["audio"] is not reference  # no object shared between prompts
    assert bound["3"]["inputs"]["filename_prefix"] == "a (1).png"  # any literal input
    assert bound["3"]["inputs"]["images"] == ["1", 0]  # links are not names


def test_the_prompt_given_is_left_as_it_is() -> None:
    bind_uploads(PROMPT, {"a.png": "b.png"})
    assert PROMPT["1"]["inputs"]["image"] == "a.png"
    assert bind_uploads(PROMPT, {}) == PROMPT


def test_an_input_file_is_named_by_its_content() -> None:
    stem = content_stem(b"\x89PNG one")
    assert stem == "ltx2sdk_" + hashlib.sha256(b"\x89PNG one").hexdigest()[:32]
    assert content_stem(b"\x89PNG one") == stem != content_stem(b"\x89PNG two")


def test_a_file_the_server_has_under_its_content_name_is_not_sent_again(tmp_path: Path) -> None:
    with ComfyTestServer(input_dir=tmp_path / "in", output_dir=tmp_path / "out") as srv:
        client = ComfyClient(srv.url)
        name = content_stem(b"\x89PNG one") + ".png"
        assert client.upload_file(b"\x89PNG one", name, reuse=True) == name
        assert client.upload_file(b"\x89PNG one", name, reuse=True) == name  # there already
        assert [u.name for u in srv.received.uploads] == [name]
        assert client.bound({"1": {"inputs": {"image": name}}})["1"]["inputs"]["image"] == name
        # without reuse, an upload is sent as before (and ComfyUI keeps identical bytes once)
        assert client.upload_file(b"\x89PNG one", name) == name
        assert [u.name for u in srv.received.uploads] == [name, name]
        assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [name]


def test_only_a_name_the_servers_listing_has_is_asked_about(tmp_path: Path) -> None:
    """The input files /object_info listed: a name it lacks is uploaded without a /view probe;
    one it has is asked about (a file deleted since is uploaded again)."""
    with ComfyTestServer(input_dir=tmp_path / "in", output_dir=tmp_path / "out") as srv:
        data = b"\x89PNG one"
        name = content_stem(data) + ".png"

        def views() -> int:
            return sum(path == "/view" for _method, path in srv.received.requests)

        first = ComfyClient(srv.url)
        first.object_info()  # listed before the upload: not there
        first.upload_file(data, name, reuse=True)
        assert (len(srv.received.uploads), views()) == (1, 0)
        again = ComfyClient(srv.url)
        again.object_info()  # lists it now
        again.upload_file(data, name, reuse=True)
        assert (len(srv.received.uploads), views()) == (1, 1)
        (tmp_path / "in" / name).unlink()  # gone since the listing
        again.upload_file(data, name, reuse=True)
        assert (len(srv.received.uploads), views()) == (2, 2)
        assert (tmp_path / "in" / name).read_bytes() == data
        # a name this client uploaded itself is asked about too (a batch's next job)
        first.upload_file(data, name, reuse=True)
        assert (len(srv.received.uploads), views()) == (2, 3)
