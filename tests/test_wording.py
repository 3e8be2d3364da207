"""The SDK's wording: one line for a text or an exception, sizes in honest units."""

from __future__ import annotations

import pytest

from ltx2sdk.errors import FetchError
from ltx2sdk.wording import byte_size, exception_line, one_line


@pytest.mark.parametrize(("size", "said"), [
    (0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1024, "1 KiB"), (1536, "1.5 KiB"),
    (10_000, "9.77 KiB"), (20 * 1024 * 1024, "20 MiB"), (1000 * 1024 * 1024, "1000 MiB"),
    (1023 * 1024 * 1024, "1023 MiB"), (int(2.5 * 1024**3), "2.5 GiB"), (5 * 1024**5, "5120 TiB"),
])
def test_sizes_are_binary_and_say_so(size: int, said: str) -> None:
    assert byte_size(size) == said


def test_a_multi_line_message_is_one_line_of_its_lines() -> None:
    message = "ComfyUI rejected the prompt: bad [x]\n  - node 3: no\n  - node 4:  no   way\n\n"
    assert one_line(message) == "ComfyUI rejected the prompt: bad [x]; node 3: no; node 4: no way"


def test_what_does_not_print_is_escaped_and_long_text_cut() -> None:
    assert one_line("red \x1b[31m bell\x07") == "red \\x1b[31m bell\\x07"
    assert one_line("abcdefghij", limit=8) == "abcde..."
    assert one_line("abcdefgh", limit=8) == "abcdefgh"


def test_an_exception_says_its_message_or_its_name() -> None:
    assert exception_line(ValueError("one\ntwo")) == "one; two"
    assert exception_line(KeyError()) == "KeyError"


def test_a_fetch_error_is_one_printable_bounded_line() -> None:
    message = str(FetchError("server said: " + "<html>\n" * 200))
    assert "\n" not in message and len(message) == 400 and message.endswith("...")
