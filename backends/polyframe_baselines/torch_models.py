"""The suites' models in plain torch.nn (NCHW, as torch users write them), loaded with
polyframe's canonical initial weights converted to torch's layout here.

Where a torch default differs from the canonical semantics (docs/canonical-layout.md) the model
says so explicitly: "same" padding of a strided conv is asymmetric (``nn.ZeroPad2d``), and the
LSTM's second bias is held at zero and frozen (the canonical LSTM has one bias)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _linear(layer: nn.Linear, kernel: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))  # [in,out]->[out,in]
        layer.bias.copy_(torch.from_numpy(bias))


def _conv(layer: nn.Conv2d, kernel: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():  # [kh, kw, in, out] -> [out, in, kh, kw]
        layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
        layer.bias.copy_(torch.from_numpy(bias))


def _dense_kernels(p: dict[str, np.ndarray]) -> list[str]:
    """The Dense layers' names (``dense_0``, ``dense_1``, ...) of a canonical MLP."""
    return [f"dense_{i}" for i in range(len(p)) if f"dense_{i}.kernel" in p]


def mlp(p: dict[str, np.ndarray]) -> nn.Module:
    """Dense layers with ReLU between them, widths from the kernels (784-512-512-10 for the
    mlp suite, smaller for the overhead curve)."""
    names = _dense_kernels(p)
    layers: list[nn.Module] = []
    for i, name in enumerate(names):
        n_in, n_out = p[f"{name}.kernel"].shape
        layers += [nn.Linear(n_in, n_out)] + ([nn.ReLU()] if i < len(names) - 1 else [])
    model = nn.Sequential(*layers)
    for layer, name in zip(model[::2], names, strict=True):
        _linear(layer, p[f"{name}.kernel"], p[f"{name}.bias"])
    return model


def cnn(p: dict[str, np.ndarray]) -> nn.Module:
    """conv32-pool-conv64-pool-fc120-fc84-fc10 on NCHW (3, 32, 32) images."""
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    _conv(model[0], p["conv2d_0.kernel"], p["conv2d_0.bias"])
    _conv(model[3], p["conv2d_1.kernel"], p["conv2d_1.bias"])
    # canonical rows are in (h, w, c) order; torch flattens NCHW as (c, h, w)
    k0 = p["dense_0.kernel"].reshape(8, 8, 64, 120).transpose(2, 0, 1, 3).reshape(4096, 120)
    _linear(model[7], k0, p["dense_0.bias"])
    _linear(model[9], p["dense_1.kernel"], p["dense_1.bias"])
    _linear(model[11], p["dense_2.kernel"], p["dense_2.bias"])
    return model


def _set(tensor: torch.Tensor, value: np.ndarray) -> None:
    with torch.no_grad():
        tensor.copy_(torch.from_numpy(np.ascontiguousarray(value)))


class ConvBN(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d with TF/XLA "same" padding: a stride-2 3x3 conv pads
    (0, 1) rows/columns, not torch's symmetric ``padding=1``."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        total = max(kernel - stride, 0)  # "same" padding (every size here divides by stride)
        before, after = total // 2, total - total // 2
        layers: list[nn.Module] = []
        if before != after:  # 3x3 stride 2: padding=1 would shift every window up-left a pixel
            layers.append(nn.ZeroPad2d((before, after, before, after)))
            before = 0
        layers.append(nn.Conv2d(cin, cout, kernel, stride=stride, padding=before, bias=False))
        # canonical momentum 0.9 keeps 90% of the running statistics: torch's momentum is 0.1
        super().__init__(*layers, nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1))

    def load(self, p: dict[str, np.ndarray], name: str) -> None:
        """Canonical ``<name>_conv.kernel`` and ``<name>_bn.*`` into this block."""
        conv, bn = self[-2], self[-1]
        _set(conv.weight, p[f"{name}_conv.kernel"].transpose(3, 2, 0, 1))
        _set(bn.weight, p[f"{name}_bn.gamma"])
        _set(bn.bias, p[f"{name}_bn.beta"])
        _set(bn.running_mean, p[f"{name}_bn.moving_mean"])
        _set(bn.running_var, p[f"{name}_bn.moving_var"])


class BasicBlock(nn.Module):
    """conv3x3-BN-relu-conv3x3-BN plus the shortcut (identity, or 1x1 conv + BN), then relu."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.a = ConvBN(cin, cout, 3, stride)
        self.b = ConvBN(cout, cout, 3, 1)
        self.proj = ConvBN(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.b(torch.relu(self.a(x)))
        return torch.relu(h + (self.proj(x) if self.proj is not None else x))


class ResNet20(nn.Module):
    """CIFAR ResNet-20 on NCHW (3, 32, 32): stem conv, 3 stages x 3 basic blocks (16, 32, 64
    filters), global average pooling, linear logits."""

    def __init__(self, classes: int = 10, width: int = 16) -> None:
        super().__init__()
        self.stem = ConvBN(3, width, 3, 1)
        blocks: list[nn.Module] = []
        cin = width
        for stage, filters in enumerate((width, 2 * width, 4 * width), start=1):
            for block in range(1, 4):
                blocks.append(BasicBlock(cin, filters, 2 if stage > 1 and block == 1 else 1))
                cin = filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(torch.relu(self.stem(x)))
        return self.fc(h.mean(dim=(2, 3)))


def resnet(p: dict[str, np.ndarray]) -> nn.Module:
    """CIFAR ResNet-20 (polyframe.models.resnet20((32, 32, 3), classes=10))."""
    model = ResNet20(classes=10)
    model.stem.load(p, "stem")
    for i, block in enumerate(model.blocks):
        name = f"stage{i // 3 + 1}_block{i % 3 + 1}"
        block.a.load(p, f"{name}_a")
        block.b.load(p, f"{name}_b")
        if block.proj is not None:
            block.proj.load(p, f"{name}_proj")
    _linear(model.fc, p["logits.kernel"], p["logits.bias"])
    return model


class LSTMClassifier(nn.Module):
    """nn.LSTM(batch_first) over (N, T, features); the last hidden state feeds a linear layer."""

    def __init__(self, features: int = 40, units: int = 128, classes: int = 10) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, units, batch_first=True)
        self.fc = nn.Linear(units, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def lstm(p: dict[str, np.ndarray]) -> nn.Module:
    """LSTM(128) over (50, 40) frames -> Dense(10). Gate order i, f, g, o is torch's too; the
    canonical single bias goes to ``bias_ih_l0`` and ``bias_hh_l0`` stays zero and frozen."""
    model = LSTMClassifier(40, 128, 10)
    _set(model.lstm.weight_ih_l0, p["lstm_0.kernel"].T)  # [I, 4H] -> [4H, I]
    _set(model.lstm.weight_hh_l0, p["lstm_0.recurrent_kernel"].T)  # [H, 4H] -> [4H, H]
    _set(model.lstm.bias_ih_l0, p["lstm_0.bias"])
    _set(model.lstm.bias_hh_l0, np.zeros_like(p["lstm_0.bias"]))
    model.lstm.bias_hh_l0.requires_grad_(False)
    _linear(model.fc, p["dense_0.kernel"], p["dense_0.bias"])
    return model


class TransformerClassifier(nn.Module):
    """Token ids (N, T) -> token + learned position embeddings -> pre-norm
    nn.TransformerEncoder (GELU, no dropout) with a final LayerNorm -> mean over time ->
    linear logits."""

    def __init__(
        self, seq_len: int, vocab: int, classes: int, dim: int, heads: int, ff_dim: int, depth: int
    ) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Parameter(torch.zeros(seq_len, dim))
        layer = nn.TransformerEncoderLayer(
            dim,
            heads,
            ff_dim,
            dropout=0.0,
            activation="gelu",
            layer_norm_eps=1e-5,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, depth, norm=nn.LayerNorm(dim, eps=1e-5), enable_nested_tensor=False
        )
        self.fc = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tokens(x) + self.positions[: x.shape[1]]
        return self.fc(self.encoder(h).mean(dim=1))


def _layer_norm(norm: nn.LayerNorm, gamma: np.ndarray, beta: np.ndarray) -> None:
    _set(norm.weight, gamma)
    _set(norm.bias, beta)


def transformer(p: dict[str, np.ndarray]) -> nn.Module:
    """transformer_classifier(seq_len=64, vocab_size=1000, classes=10, dim=128, heads=4,
    ff_dim=256, depth=2). Canonical q/k/v kernels [E, E] are the transposed row blocks of
    ``in_proj_weight`` [3E, E] (q, k, v order)."""
    model = TransformerClassifier(64, 1000, 10, 128, 4, 256, 2)
    _set(model.tokens.weight, p["tokens.embedding"])
    _set(model.positions, p["positions.embedding"])
    for i, layer in enumerate(model.encoder.layers):
        b = f"block{i + 1}."
        attn = layer.self_attn
        qkv = [p[f"{b}mha.{n}_kernel"].T for n in ("query", "key", "value")]
        _set(attn.in_proj_weight, np.concatenate(qkv, axis=0))
        bias = [p[f"{b}mha.{n}_bias"] for n in ("query", "key", "value")]
        _set(attn.in_proj_bias, np.concatenate(bias))
        _linear(attn.out_proj, p[f"{b}mha.output_kernel"], p[f"{b}mha.output_bias"])
        _layer_norm(layer.norm1, p[f"{b}norm1.gamma"], p[f"{b}norm1.beta"])
        _linear(layer.linear1, p[f"{b}ffn1.kernel"], p[f"{b}ffn1.bias"])
        _linear(layer.linear2, p[f"{b}ffn2.kernel"], p[f"{b}ffn2.bias"])
        _layer_norm(layer.norm2, p[f"{b}norm2.gamma"], p[f"{b}norm2.beta"])
    _layer_norm(model.encoder.norm, p["final_norm.gamma"], p["final_norm.beta"])
    _linear(model.fc, p["logits.kernel"], p["logits.bias"])
    return model


MODELS = {"mlp": mlp, "cnn": cnn, "resnet": resnet, "lstm": lstm, "transformer": transformer}
