"""Fuzzing the data-source name parser (``NAME[:ARG][:SPLIT]``, ``pf.data.load``): only
polyframe's own errors may escape. Names are drawn around the framework-free sources (digits,
npz) and unknown prefixes; an npz path may point at a file of random bytes. tfds and
torchvision names import their frameworks and are left to tests/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import polyframe as pf

PIECES = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("npz")
    rng = np.random.default_rng(0)
    (root / "junk.npz").write_bytes(rng.bytes(200))
    np.savez(root / "wrong.npz", a=np.zeros(3))
    np.save(root / "array.npy", np.zeros(3))
    np.savez(root / "ragged.npz", x=np.zeros((4, 2)), y=np.zeros(3))
    np.savez(root / "strings.npz", x=np.array(["a", "b"]), y=np.array([0, 1]))
    np.savez(root / "nan.npz", x=np.full((2, 2), np.nan), y=np.array([0, 1]))
    np.savez(root / "labels.npz", x=np.zeros((2, 2)), y=np.array([0.5, -1.0]))
    np.savez(root / "empty.npz", x=np.zeros((0, 2)), y=np.zeros(0, np.int64))
    return root


NAMES = st.one_of(
    PIECES,
    st.builds(lambda a, b: f"digits:{a}{b}", PIECES, PIECES),
    st.builds(lambda a: f"npz:{a}", PIECES),
    st.builds(lambda a, s: f"npz:@/{a}{s}", st.sampled_from(
        ["junk.npz", "array.npy", "wrong.npz", "ragged.npz", "strings.npz", "nan.npz", "labels.npz",
         "empty.npz", "missing.npz", ""]), st.sampled_from(["", ":train", ":test", ":x", "::"])),
)  # fmt: skip


@given(NAMES)
def test_source_names(files: Path, name: str) -> None:
    name = name.replace("@", str(files))
    try:
        pf.data.load(name)
    except pf.PolyframeError:
        pass


def test_found_by_fuzzing_random_bytes_are_a_data_error(files: Path) -> None:
    with pytest.raises(pf.DataError, match="is not a readable .npz file"):
        pf.data.load(f"npz:{files / 'junk.npz'}")
    with pytest.raises(pf.DataError, match="single .npy array"):
        pf.data.load(f"npz:{files / 'array.npy'}")


@pytest.mark.parametrize("name", ["npz", "tfds", "torchvision"])
def test_found_by_the_soak_a_bare_prefix_is_a_data_error(name: str) -> None:
    with pytest.raises(pf.DataError, match=f"expected {name}:"):
        pf.data.load(name)
