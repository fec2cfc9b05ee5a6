"""The suites' models in plain flax.nnx, loaded with polyframe's canonical initial weights
(Flax's layouts are the canonical ones: Dense kernel [in, out], Conv kernel [kh, kw, in, out];
``nnx.OptimizedLSTMCell`` holds the canonical LSTM kernels, gates i, f, g, o, and its single
bias; ``nnx.MultiHeadAttention`` kernels ``[E, heads, E/heads]`` / ``[heads, E/heads, E]`` are
reshapes of the canonical ``[E, E]`` ones).

The models are put in training mode (``model.train()``): BatchNorm normalizes with the batch
statistics and updates its running ones (``nnx.BatchStat``, carried by ``nnx.split``). One
difference from polyframe's canonical rule that no training loss sees: ``nnx.BatchNorm``
updates ``var`` with the biased batch variance, the canonical rule with the unbiased one."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx


def _load(layer: nnx.Module, kernel: np.ndarray, bias: np.ndarray) -> None:
    layer.kernel[...] = jnp.asarray(kernel)
    layer.bias[...] = jnp.asarray(bias)


class MLP(nnx.Module):
    """Dense layers ``l0, l1, ...`` with ReLU between them (784-512-512-10 for the mlp
    suite, smaller for the overhead curve)."""

    def __init__(self, widths: list[int], rngs: nnx.Rngs) -> None:
        self.depth = len(widths) - 1
        for i in range(self.depth):
            setattr(self, f"l{i}", nnx.Linear(widths[i], widths[i + 1], rngs=rngs))

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        for i in range(self.depth):
            x = getattr(self, f"l{i}")(x)
            x = nnx.relu(x) if i < self.depth - 1 else x
        return x


class CNN(nnx.Module):
    """conv32-pool-conv64-pool-fc120-fc84-fc10 on NHWC (32, 32, 3) images."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.c0 = nnx.Conv(3, 32, (3, 3), padding="SAME", rngs=rngs)
        self.c1 = nnx.Conv(32, 64, (3, 3), padding="SAME", rngs=rngs)
        self.d0 = nnx.Linear(64 * 8 * 8, 120, rngs=rngs)
        self.d1 = nnx.Linear(120, 84, rngs=rngs)
        self.d2 = nnx.Linear(84, 10, rngs=rngs)

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        x = nnx.max_pool(nnx.relu(self.c0(x)), (2, 2), strides=(2, 2))
        x = nnx.max_pool(nnx.relu(self.c1(x)), (2, 2), strides=(2, 2))
        x = x.reshape(x.shape[0], -1)
        return self.d2(nnx.relu(self.d1(nnx.relu(self.d0(x)))))


def mlp(p: dict[str, np.ndarray]) -> MLP:
    names = [f"dense_{i}" for i in range(len(p)) if f"dense_{i}.kernel" in p]
    widths = [p[f"{names[0]}.kernel"].shape[0], *(p[f"{n}.kernel"].shape[1] for n in names)]
    model = MLP(widths, nnx.Rngs(0))
    for i, name in enumerate(names):
        _load(getattr(model, f"l{i}"), p[f"{name}.kernel"], p[f"{name}.bias"])
    return model


def cnn(p: dict[str, np.ndarray]) -> CNN:
    model = CNN(nnx.Rngs(0))
    _load(model.c0, p["conv2d_0.kernel"], p["conv2d_0.bias"])
    _load(model.c1, p["conv2d_1.kernel"], p["conv2d_1.bias"])
    for i, layer in enumerate((model.d0, model.d1, model.d2)):
        _load(layer, p[f"dense_{i}.kernel"], p[f"dense_{i}.bias"])
    return model


class ConvBN(nnx.Module):
    """Conv (no bias, SAME padding) -> BatchNorm (momentum 0.9, epsilon 1e-5)."""

    def __init__(self, cin: int, cout: int, kernel: int, strides: int, rngs: nnx.Rngs) -> None:
        self.conv = nnx.Conv(
            cin, cout, (kernel, kernel), strides, padding="SAME", use_bias=False, rngs=rngs
        )
        self.bn = nnx.BatchNorm(cout, momentum=0.9, epsilon=1e-5, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.bn(self.conv(x))


class BasicBlock(nnx.Module):
    """conv3x3-BN-relu-conv3x3-BN plus the shortcut (identity, or 1x1 conv-BN where the shape
    changes), then relu."""

    def __init__(self, cin: int, cout: int, strides: int, rngs: nnx.Rngs) -> None:
        self.a = ConvBN(cin, cout, 3, strides, rngs)
        self.b = ConvBN(cout, cout, 3, 1, rngs)
        self.proj = ConvBN(cin, cout, 1, strides, rngs) if strides != 1 or cin != cout else None

    def __call__(self, x: jax.Array) -> jax.Array:
        h = self.b(nnx.relu(self.a(x)))
        return nnx.relu(h + (x if self.proj is None else self.proj(x)))


class ResNet20(nnx.Module):
    """CIFAR ResNet-20 on NHWC (32, 32, 3) images: conv-BN-relu stem, three stages of three
    basic blocks (16, 32, 64 filters; stages 2 and 3 start with stride 2), global average
    pooling, Dense logits."""

    def __init__(self, rngs: nnx.Rngs, width: int = 16, classes: int = 10) -> None:
        self.stem = ConvBN(3, width, 3, 1, rngs)
        blocks, cin = [], width
        for stage, cout in enumerate((width, 2 * width, 4 * width)):
            for block in range(3):
                strides = 2 if stage > 0 and block == 0 else 1
                blocks.append(BasicBlock(cin, cout, strides, rngs))
                cin = cout
        self.blocks = nnx.List(blocks)
        self.logits = nnx.Linear(cin, classes, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = nnx.relu(self.stem(x))
        for block in self.blocks:
            x = block(x)
        return self.logits(x.mean(axis=(1, 2)))


class LSTMClassifier(nnx.Module):
    """One LSTM(128) over (50, 40) frames (zero initial state); its last hidden state feeds a
    Dense(10)."""

    def __init__(self, rngs: nnx.Rngs, features: int = 40, units: int = 128) -> None:
        self.lstm = nnx.RNN(nnx.OptimizedLSTMCell(features, units, rngs=rngs), return_carry=True)
        self.logits = nnx.Linear(units, 10, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        (_, h), _ = self.lstm(x)
        return self.logits(h)


class EncoderBlock(nnx.Module):
    """Pre-norm Transformer encoder block: ``x + mha(norm1(x))``, then
    ``x + ffn2(gelu(ffn1(norm2(x))))`` (exact gelu; LayerNorm epsilon 1e-5)."""

    def __init__(self, dim: int, heads: int, ff_dim: int, rngs: nnx.Rngs) -> None:
        self.norm1 = nnx.LayerNorm(dim, epsilon=1e-5, use_fast_variance=False, rngs=rngs)
        self.mha = nnx.MultiHeadAttention(heads, dim, decode=False, rngs=rngs)
        self.norm2 = nnx.LayerNorm(dim, epsilon=1e-5, use_fast_variance=False, rngs=rngs)
        self.ffn1 = nnx.Linear(dim, ff_dim, rngs=rngs)
        self.ffn2 = nnx.Linear(ff_dim, dim, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = x + self.mha(self.norm1(x))
        return x + self.ffn2(nnx.gelu(self.ffn1(self.norm2(x)), approximate=False))


class TransformerClassifier(nnx.Module):
    """Token ids (64,) -> token + learned position embeddings, two pre-norm encoder blocks
    (d 128, 4 heads, ff 256), a final LayerNorm, mean over time, Dense logits."""

    def __init__(
        self,
        rngs: nnx.Rngs,
        seq_len: int = 64,
        vocab: int = 1000,
        dim: int = 128,
        heads: int = 4,
        ff_dim: int = 256,
        depth: int = 2,
        classes: int = 10,
    ) -> None:
        self.tokens = nnx.Embed(vocab, dim, rngs=rngs)
        self.positions = nnx.Param(jnp.zeros((seq_len, dim)))
        self.blocks = nnx.List([EncoderBlock(dim, heads, ff_dim, rngs) for _ in range(depth)])
        self.final_norm = nnx.LayerNorm(dim, epsilon=1e-5, use_fast_variance=False, rngs=rngs)
        self.logits = nnx.Linear(dim, classes, rngs=rngs)

    def __call__(self, ids: jax.Array) -> jax.Array:
        x = self.tokens(ids) + self.positions[...]
        for block in self.blocks:
            x = block(x)
        return self.logits(self.final_norm(x).mean(axis=1))


def _load_conv_bn(layer: ConvBN, p: dict[str, np.ndarray], name: str) -> None:
    """``<name>_conv.kernel`` and ``<name>_bn.*`` (Flax: scale, bias, mean, var)."""
    layer.conv.kernel[...] = jnp.asarray(p[f"{name}_conv.kernel"])
    bn = layer.bn
    for var, canon in (
        (bn.scale, "gamma"),
        (bn.bias, "beta"),
        (bn.mean, "moving_mean"),
        (bn.var, "moving_var"),
    ):
        var[...] = jnp.asarray(p[f"{name}_bn.{canon}"])


def _load_norm(layer: nnx.LayerNorm, p: dict[str, np.ndarray], name: str) -> None:
    """``<name>.gamma/beta`` into Flax's ``scale``/``bias``."""
    layer.scale[...] = jnp.asarray(p[f"{name}.gamma"])
    layer.bias[...] = jnp.asarray(p[f"{name}.beta"])


def resnet(p: dict[str, np.ndarray]) -> ResNet20:
    """ResNet-20 in training mode (BatchNorm on batch statistics)."""
    model = ResNet20(nnx.Rngs(0))
    _load_conv_bn(model.stem, p, "stem")
    for i, block in enumerate(model.blocks):
        name = f"stage{i // 3 + 1}_block{i % 3 + 1}"
        _load_conv_bn(block.a, p, f"{name}_a")
        _load_conv_bn(block.b, p, f"{name}_b")
        if block.proj is not None:
            _load_conv_bn(block.proj, p, f"{name}_proj")
    _load(model.logits, p["logits.kernel"], p["logits.bias"])
    model.train()
    return model


def lstm(p: dict[str, np.ndarray]) -> LSTMClassifier:
    """The cell's ``dense_i`` is the canonical ``kernel``, ``dense_h`` the
    ``recurrent_kernel`` and the single ``bias``."""
    model = LSTMClassifier(nnx.Rngs(0))
    cell = model.lstm.cell
    cell.dense_i.kernel[...] = jnp.asarray(p["lstm_0.kernel"])
    _load(cell.dense_h, p["lstm_0.recurrent_kernel"], p["lstm_0.bias"])
    _load(model.logits, p["dense_0.kernel"], p["dense_0.bias"])
    return model


def transformer(p: dict[str, np.ndarray]) -> TransformerClassifier:
    """Attention kernels reshaped from the canonical ``[E, E]``: query/key/value to
    ``[E, heads, E/heads]`` (head ``h`` owns columns ``h*E/heads:(h+1)*E/heads``), output to
    ``[heads, E/heads, E]``."""
    model = TransformerClassifier(nnx.Rngs(0))
    model.tokens.embedding[...] = jnp.asarray(p["tokens.embedding"])
    model.positions[...] = jnp.asarray(p["positions.embedding"])
    for i, block in enumerate(model.blocks):
        name = f"block{i + 1}"
        for flax_name, canon in (
            ("query", "query"),
            ("key", "key"),
            ("value", "value"),
            ("out", "output"),
        ):
            dense = getattr(block.mha, flax_name)
            kernel = p[f"{name}.mha.{canon}_kernel"].reshape(dense.kernel.shape)
            _load(dense, kernel, p[f"{name}.mha.{canon}_bias"].reshape(dense.bias.shape))
        for norm in ("norm1", "norm2"):
            _load_norm(getattr(block, norm), p, f"{name}.{norm}")
        _load(block.ffn1, p[f"{name}.ffn1.kernel"], p[f"{name}.ffn1.bias"])
        _load(block.ffn2, p[f"{name}.ffn2.kernel"], p[f"{name}.ffn2.bias"])
    _load_norm(model.final_norm, p, "final_norm")
    _load(model.logits, p["logits.kernel"], p["logits.bias"])
    return model


MODELS = {"mlp": mlp, "cnn": cnn, "resnet": resnet, "lstm": lstm, "transformer": transformer}
