"""Native weights in and out, on every layout difference: a torch / Keras / Flax model written
natively (a CNN whose flatten follows convolutions, one with batch norm, an LSTM, an attention
block), its own weight file imported and run on every backend, and exported back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import polyframe as pf
from tests.porting.native_zoo import SUFFIX, native

CASES = [(fw, kind) for fw in ("torch", "keras", "flax") for kind in ("cnn", "bn", "lstm", "attn")]
IDS = [f"{fw}-{kind}" for fw, kind in CASES]


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def saved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """(framework, kind, Native, native net, its weight file, input batch, native output)."""
    fw, kind = request.param
    pytest.importorskip({"torch": "torch", "keras": "keras", "flax": "flax"}[fw])
    nat = native(fw, kind)
    net = nat.make(1)
    path = tmp_path_factory.mktemp(f"{fw}_{kind}") / f"net{SUFFIX[fw]}"
    nat.save(net, path)
    x = np.random.default_rng(0).normal(size=(3, *nat.shape)).astype(np.float32)
    return fw, kind, nat, net, path, x, nat.forward(net, x)


def test_native_file_runs_alike_on_every_backend(saved: tuple, backend: str) -> None:
    fw, kind, nat, _, path, x, expected = saved
    model = pf.interop.import_weights(nat.spec, path, run_on=backend)
    diff = float(np.abs(model(x) - expected).max())
    print(f"{fw} {kind} -> {backend}: max |diff| {diff:.2e}")
    assert model.backend == backend
    assert diff <= 1e-5


def test_export_back_reproduces_the_native_model(saved: tuple, tmp_path: Path) -> None:
    fw, kind, nat, _, path, x, expected = saved
    model = pf.interop.import_weights(nat.spec, path, run_on="jax" if fw == "torch" else "torch")
    out = pf.interop.export_weights(model, tmp_path / f"back{SUFFIX[fw]}", like=path)
    fresh = nat.make(7)
    assert np.abs(nat.forward(fresh, x) - expected).max() > 1e-3  # other weights before loading
    nat.load(fresh, out)
    diff = float(np.abs(nat.forward(fresh, x) - expected).max())
    print(f"{fw} {kind}: exported back, native max |diff| {diff:.2e}")
    assert diff <= 1e-5


def test_torch_flatten_is_permuted_not_matched_by_shape(tmp_path: Path) -> None:
    """The issue's case: without the CHW -> HWC permutation the shapes fit but outputs differ;
    with it they agree, and the imported kernel is the torch one with rows reordered."""
    nat = native("torch", "cnn")
    net = nat.make(3)
    nat.save(net, tmp_path / "net.pt")
    params = pf.interop.read_native(nat.spec, tmp_path / "net.pt")
    torch_rows = net[7].weight.detach().numpy().T  # [C*H*W, 16], channels-first order
    chw = torch_rows.reshape(6, 2, 2, 16)
    assert np.array_equal(params["dense_0.kernel"], chw.transpose(1, 2, 0, 3).reshape(24, 16))
    wrong = pf.interop.read_native(nat.spec, tmp_path / "net.pt", flatten_order="hwc")
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype(np.float32)
    off = np.abs(pf.reference.forward(nat.spec, wrong, x) - nat.forward(net, x)).max()
    assert off > 1e-2


def test_ambiguous_flatten_is_refused(tmp_path: Path) -> None:
    import torch

    L = pf.layers
    spec = pf.Sequential([L.Input((2, 2, 3)), L.Flatten(), L.Dense(4)])
    torch.save(torch.nn.Linear(12, 4).state_dict(), tmp_path / "net.pt")
    with pytest.raises(pf.BackendError) as err:
        pf.interop.read_native(spec, tmp_path / "net.pt")
    assert str(err.value) == (
        "'dense_0' (Dense) reads a Flatten of (2, 2, 3) made by the model input: a torch model "
        "could have flattened it channels-first (C, ...) or channels-last, and the shapes "
        "cannot tell; pass flatten_order='chw' or 'hwc' (polyframe convert: --flatten-order)"
    )
    params = pf.interop.read_native(spec, tmp_path / "net.pt", flatten_order="chw")
    assert params["dense_0.kernel"].shape == (12, 4)


def test_layers_out_of_order_with_two_candidates_are_refused(tmp_path: Path) -> None:
    import torch

    L = pf.layers
    spec = pf.Sequential([L.Input((4,)), L.Dense(4), L.Dense(4), L.Dense(2)])
    sd = {
        "c.weight": torch.zeros(2, 4), "c.bias": torch.zeros(2),
        "a.weight": torch.zeros(4, 4), "a.bias": torch.zeros(4),
        "b.weight": torch.zeros(4, 4), "b.bias": torch.zeros(4),
    }  # fmt: skip
    torch.save(sd, tmp_path / "net.pt")
    with pytest.raises(pf.BackendError, match="'dense_0' could take the weights of a or b"):
        pf.interop.read_native(spec, tmp_path / "net.pt")


def _gru_models(framework: str, path: Path) -> Any:
    """A native GRU -> Dense model saved at ``path``; returns its forward."""
    if framework == "torch":
        import torch

        class Gru(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.gru = torch.nn.GRU(4, 6, batch_first=True)
                self.fc = torch.nn.Linear(6, 3)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.fc(self.gru(x)[0][:, -1])

        torch.manual_seed(0)
        net = Gru().eval()
        torch.save(net.state_dict(), path)
        return lambda x: net(torch.from_numpy(x)).detach().numpy()
    if framework == "keras":
        import keras

        net = keras.Sequential([keras.Input((5, 4)), keras.layers.GRU(6), keras.layers.Dense(3)])
        rng = np.random.default_rng(1)
        for v in net.weights:
            v.assign(rng.normal(0, 0.3, v.shape).astype("float32"))
        net.save_weights(str(path))
        return lambda x: np.asarray(net(x))
    import jax
    from flax import nnx, serialization

    class FlaxGru(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.rnn = nnx.RNN(nnx.GRUCell(4, 6, rngs=rngs))
            self.out = nnx.Linear(6, 3, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.out(self.rnn(x)[:, -1])

    net = FlaxGru(nnx.Rngs(0))
    net.rnn.cell.dense_i.bias[...] = jax.numpy.linspace(-1, 1, 18)
    pure = nnx.to_pure_dict(nnx.state(net, nnx.Not(nnx.RngState)))
    path.write_bytes(serialization.msgpack_serialize(jax.tree.map(np.asarray, pure)))
    return lambda x: np.asarray(net(x))


@pytest.mark.parametrize("framework", ["torch", "keras", "flax"])
def test_gru_gate_order_and_biases(framework: str, tmp_path: Path) -> None:
    """GRU rules (torch r,z,n with two biases; Keras z,r,h and bias [2, 3H]; Flax GRUCell
    without a recurrent bias) against the numpy reference."""
    pytest.importorskip({"torch": "torch", "keras": "keras", "flax": "flax"}[framework])
    spec = pf.Sequential([pf.layers.Input((5, 4)), pf.layers.GRU(6), pf.layers.Dense(3)])
    path = tmp_path / f"gru{SUFFIX[framework]}"
    forward = _gru_models(framework, path)
    params = pf.interop.read_native(spec, path)
    x = np.random.default_rng(2).normal(size=(2, 5, 4)).astype(np.float32)
    assert np.abs(pf.reference.forward(spec, params, x) - forward(x)).max() <= 1e-5


PAIRS = [(a, b) for a in ("torch", "keras", "flax") for b in ("torch", "keras", "flax") if a != b]


@pytest.mark.parametrize(("source", "dest"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_cnn_weights_cross_to_another_framework(source: str, dest: str, tmp_path: Path) -> None:
    """A native CNN's weights written in another framework's format load into that
    framework's own CNN of the same architecture, which then predicts what the source does."""
    for fw in (source, dest):
        pytest.importorskip({"torch": "torch", "keras": "keras", "flax": "flax"}[fw])
    src, dst = native(source, "cnn"), native(dest, "cnn")
    net = src.make(1)
    src.save(net, tmp_path / f"src{SUFFIX[source]}")
    target = dst.make(2)
    dst.save(target, tmp_path / f"like{SUFFIX[dest]}")
    model = pf.interop.import_weights(src.spec, tmp_path / f"src{SUFFIX[source]}")
    out = pf.interop.export_weights(
        model, tmp_path / f"dst{SUFFIX[dest]}", like=tmp_path / f"like{SUFFIX[dest]}"
    )
    dst.load(target, out)
    x = np.random.default_rng(5).normal(size=(2, 8, 8, 3)).astype(np.float32)
    diff = float(np.abs(dst.forward(target, x) - src.forward(net, x)).max())
    print(f"cnn {source} -> {dest}: max |diff| {diff:.2e}")
    assert diff <= 1e-5
