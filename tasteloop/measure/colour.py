"""Colour: sRGB ↔ CIELAB, hex codes, and an image's dominant colours."""

from __future__ import annotations

import re

import numpy as np

from tasteloop.measure.schema import Colour

# A hex colour as people and models write it, optionally weighted: "#8a5a44" or "#8a5a44 (40%)".
HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{6})\b(?:\s*\((\d{1,3})\s*%\))?")


def parse_hex(code: str) -> tuple[int, int, int]:
    """RGB 0-255 from six hex digits (without the '#')."""
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def named_hexes(text: str) -> list[str]:
    """Every hex colour a text names, as '#rrggbb', first mention first, no repeats."""
    return list(dict.fromkeys(f"#{code.lower()}" for code, _ in HEX_COLOUR.findall(text or "")))


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """rgb: (..., 3) floats 0-1 → CIELAB (D65)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = linear @ matrix.T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    eps = 216 / 24389
    kappa = 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def lab_to_hex(lab: np.ndarray | tuple[float, float, float]) -> str:
    L, a, b = (float(v) for v in lab)
    fy = (L + 16) / 116
    fx = fy + a / 500
    fz = fy - b / 200
    eps = 216 / 24389
    kappa = 24389 / 27

    def inv(t: float) -> float:
        return t**3 if t**3 > eps else (116 * t - 16) / kappa

    xyz = np.array(
        [inv(fx) * 0.95047, (fy**3 if L > kappa * eps else L / kappa), inv(fz) * 1.08883]
    )
    matrix = np.array(
        [
            [3.2404542, -1.5371385, -0.4985314],
            [-0.9692660, 1.8760108, 0.0415560],
            [0.0556434, -0.2040259, 1.0572252],
        ]
    )
    linear = np.clip(matrix @ xyz, 0, 1)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    r, g, b_ = (int(round(float(c) * 255)) for c in np.clip(srgb, 0, 1))
    return f"#{r:02x}{g:02x}{b_:02x}"


def hex_to_lab(code: str) -> np.ndarray:
    return srgb_to_lab(np.array(parse_hex(code.lstrip("#")), dtype=float) / 255.0)


def _kmeans(points: np.ndarray, k: int, iterations: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic k-means (k-means++ with a fixed seed) → centres, weights."""
    rng = np.random.default_rng(7)
    if len(points) > 4000:
        points = points[rng.choice(len(points), 4000, replace=False)]
    centres = [points[0]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        if d2.sum() <= 1e-9:
            break
        centres.append(points[rng.choice(len(points), p=d2 / d2.sum())])
    c = np.array(centres)
    for _ in range(iterations):
        labels = np.argmin(((points[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        for j in range(len(c)):
            members = points[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
    labels = np.argmin(((points[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
    weights = np.bincount(labels, minlength=len(c)) / len(points)
    order = np.argsort(-weights)
    return c[order], weights[order]


def lab_triple(lab: np.ndarray) -> tuple[float, float, float]:
    """A CIELAB colour as stored: three numbers, two decimals."""
    L, a, b = (round(float(v), 2) for v in lab)
    return L, a, b


def dominant_colours(lab: np.ndarray, count: int = 5, least: float = 0.02) -> list[Colour]:
    """The image's `count` main colours (k-means in CIELAB), heaviest first, each ≥ `least`."""
    centres, weights = _kmeans(lab.reshape(-1, 3), count)
    return [
        Colour(
            hex=lab_to_hex(c),
            weight=round(float(w), 4),
            lab=lab_triple(c),
        )
        for c, w in zip(centres, weights, strict=True)
        if w >= least
    ]
