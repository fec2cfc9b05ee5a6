"""Errors from the data libraries become one line that keeps the cause (regression: an offline
``torchvision:MNIST --download`` ended its message with a colon, the cause was dropped)."""

from __future__ import annotations

from polyframe.data.sources_tfds import one_line


def test_torchvision_download_error_keeps_the_cause() -> None:
    exc = RuntimeError(
        "Error downloading train-images-idx3-ubyte.gz:\n"
        "Tried https://ossci-datasets.s3.amazonaws.com/mnist/, got:\n"
        "<urlopen error [Errno -2] Name or service not known>\n"
    )
    line = one_line(exc)
    assert "\n" not in line and not line.endswith(":")
    assert line.startswith("RuntimeError: Error downloading train-images-idx3-ubyte.gz")
    assert line.endswith("<urlopen error [Errno -2] Name or service not known>")


def test_long_message_keeps_start_and_end() -> None:
    exc = OSError("first line:\n" + "x" * 1000 + "\nthe cause")
    line = one_line(exc)
    assert len(line) < 330 and line.startswith("OSError: first line:") and line.endswith("the cause")


def test_empty_message_is_the_type() -> None:
    assert one_line(KeyError()) == "KeyError"
