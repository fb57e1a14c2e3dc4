"""Measured image features: palette, composition, texture and emotional register.

Every image is measured at the same analysis size so texture numbers are comparable between
a 300 px etching and a 1024 px render. All features are plain floats so they can be stored as
JSON with a profile and compared by the critic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

ANALYSIS_SIDE = 256

PALETTE_FEATURES = (
    "lightness",
    "lightness_spread",
    "dark_fraction",
    "light_fraction",
    "chroma",
    "chroma_p90",
    "colourfulness",
    "warmth",
    "grey_fraction",
)
COMPOSITION_FEATURES = (
    "mass_x",
    "mass_y",
    "symmetry",
    "negative_space",
    "edge_density",
    "detail_centre",
)
TEXTURE_FEATURES = (
    "hf_energy",
    "grain",
    "sharpness",
    "flat_fraction",
    "straightness",
    "orientation_entropy",
)
EMOTION_FEATURES = ("pleasure", "arousal", "dominance", "contrast")
ALL_FEATURES = PALETTE_FEATURES + COMPOSITION_FEATURES + TEXTURE_FEATURES + EMOTION_FEATURES
# The normalised histograms every measurement carries, and their bin counts.
HISTOGRAM_BINS: dict[str, int] = {
    "ab": 36,
    "chroma": 8,
    "lightness": 10,
    "gradient": 10,
    "lbp1": 10,
    "lbp2": 10,
    "orientation": 8,
}
HUE_BINS = 12

# Scales below which a difference is not worth noticing: the critic never divides by a
# spread smaller than these, so a set that agrees perfectly is not impossibly strict.
FEATURE_FLOORS: dict[str, float] = {
    "lightness": 6.0,
    "lightness_spread": 4.0,
    "dark_fraction": 0.08,
    "light_fraction": 0.08,
    "chroma": 5.0,
    "chroma_p90": 8.0,
    "colourfulness": 8.0,
    "warmth": 0.15,
    "grey_fraction": 0.1,
    "mass_x": 0.05,
    "mass_y": 0.05,
    "symmetry": 0.05,
    "negative_space": 0.1,
    "edge_density": 0.06,
    "detail_centre": 0.15,
    "hf_energy": 0.012,
    "grain": 0.008,
    "sharpness": 0.05,
    "flat_fraction": 0.08,
    "straightness": 0.05,
    "orientation_entropy": 0.08,
    "pleasure": 0.04,
    "arousal": 0.04,
    "dominance": 0.04,
    "contrast": 4.0,
}


@dataclass
class Measurement:
    features: dict[str, float]
    palette: list[dict[str, object]]  # [{"hex": "#aabbcc", "weight": 0.3, "lab": [L, a, b]}]
    hue_histogram: list[float]  # 12 bins, chroma-weighted, sums to 1 (or all 0 when grey)
    # Normalised histograms (each sums to 1): the critic's evidence of colour and mark-making.
    histograms: dict[str, list[float]]
    # the learned style vector (tasteloop.measure.style_network), when the network measured the image
    style: list[float] | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "features": {k: round(v, 5) for k, v in self.features.items()},
            "palette": self.palette,
            "hue_histogram": [round(v, 5) for v in self.hue_histogram],
            "histograms": {k: [round(v, 5) for v in h] for k, h in self.histograms.items()},
        }
        if self.style is not None:
            data["style"] = [round(v, 5) for v in self.style]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Measurement:
        return cls(
            features={k: float(v) for k, v in dict(data["features"]).items()},  # type: ignore[arg-type]
            palette=list(data["palette"]),  # type: ignore[arg-type]
            hue_histogram=[float(v) for v in data["hue_histogram"]],  # type: ignore[union-attr]
            histograms={
                k: [float(v) for v in h]
                for k, h in dict(data["histograms"]).items()  # type: ignore[arg-type]
            },
            style=[float(v) for v in data["style"]] if data.get("style") else None,  # type: ignore[union-attr]
        )


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


def lab_to_hex(lab: np.ndarray) -> str:
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


def _box_mean(values: np.ndarray, block: int) -> np.ndarray:
    h, w = values.shape[0] // block * block, values.shape[1] // block * block
    trimmed = values[:h, :w]
    return trimmed.reshape(h // block, block, w // block, block).mean(axis=(1, 3))


def analysis_image(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    scale = ANALYSIS_SIDE / max(image.size)
    if scale < 1:
        size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    return image


def measure(image: Image.Image) -> Measurement:
    rgb = np.asarray(analysis_image(image), dtype=np.float64) / 255.0
    lab = srgb_to_lab(rgb)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    features: dict[str, float] = {}

    # palette
    features["lightness"] = float(L.mean())
    features["lightness_spread"] = float(L.std())
    features["dark_fraction"] = float((L < 25).mean())
    features["light_fraction"] = float((L > 80).mean())
    features["chroma"] = float(chroma.mean())
    features["chroma_p90"] = float(np.percentile(chroma, 90))
    r, g, bl = rgb[..., 0] * 255, rgb[..., 1] * 255, rgb[..., 2] * 255
    rg, yb = r - g, 0.5 * (r + g) - bl
    features["colourfulness"] = float(
        np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    )  # Hasler & Süsstrunk 2003
    chromatic = chroma > 8
    hue = np.degrees(np.arctan2(b, a)) % 360
    warm = chromatic & ((hue < 100) | (hue > 330))
    cool = chromatic & (hue > 150) & (hue < 300)
    features["warmth"] = float((warm.sum() - cool.sum()) / max(1, chromatic.sum()))
    features["grey_fraction"] = float((chroma < 8).mean())
    bins = (hue // 30).astype(int) % 12
    hist = np.bincount(bins[chromatic], weights=chroma[chromatic], minlength=12)
    hue_histogram = (hist / hist.sum()).tolist() if hist.sum() > 0 else [0.0] * 12

    centres, weights = _kmeans(lab.reshape(-1, 3), 5)
    palette = [
        {"hex": lab_to_hex(c), "weight": round(float(w), 4), "lab": [round(float(v), 2) for v in c]}
        for c, w in zip(centres, weights, strict=True)
        if w >= 0.02
    ]

    # gradients and detail
    lum = L / 100.0
    gy, gx = np.gradient(lum)
    magnitude = np.hypot(gx, gy)
    edges = magnitude > 0.04
    features["edge_density"] = float(edges.mean())
    block = max(4, min(lum.shape) // 16)
    local_var = _box_mean(lum**2, block) - _box_mean(lum, block) ** 2
    features["negative_space"] = float((local_var < 0.0015).mean())
    h, w = lum.shape
    centre = edges[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].mean()
    features["detail_centre"] = float(centre / max(1e-6, edges.mean()) / 2.0)

    # visual mass: detail plus departure from the mean colour
    departure = np.sqrt(((lab - lab.reshape(-1, 3).mean(0)) ** 2).sum(-1)) / 100
    mass = magnitude * 4 + departure + 1e-6
    ys, xs = np.mgrid[0:h, 0:w]
    features["mass_x"] = float((mass * xs).sum() / mass.sum() / max(1, w - 1))
    features["mass_y"] = float((mass * ys).sum() / mass.sum() / max(1, h - 1))
    features["symmetry"] = float(1 - np.abs(lum - lum[:, ::-1]).mean() * 2)

    # texture
    lap = -4 * lum[1:-1, 1:-1] + lum[:-2, 1:-1] + lum[2:, 1:-1] + lum[1:-1, :-2] + lum[1:-1, 2:]
    features["hf_energy"] = float(np.abs(lap).mean())
    # Immerkaer 1996 noise estimate, measured in the flattest half so edges are not "grain"
    immerkaer = (
        lum[:-2, :-2]
        - 2 * lum[:-2, 1:-1]
        + lum[:-2, 2:]
        - 2 * lum[1:-1, :-2]
        + 4 * lum[1:-1, 1:-1]
        - 2 * lum[1:-1, 2:]
        + lum[2:, :-2]
        - 2 * lum[2:, 1:-1]
        + lum[2:, 2:]
    )
    inner = magnitude[1:-1, 1:-1]
    calm = inner <= np.median(inner)
    features["grain"] = float(np.sqrt(np.pi / 2) * np.abs(immerkaer[calm]).mean() / 6)
    total = magnitude.sum() + 1e-9
    strong = magnitude > np.percentile(magnitude, 90)
    features["sharpness"] = float(magnitude[strong].sum() / total)
    features["flat_fraction"] = float((magnitude < 0.01).mean())
    angle = np.arctan2(gy, gx) % np.pi
    weight = magnitude * edges
    orientation_bins = (angle / np.pi * 16).astype(int) % 16
    ohist = np.bincount(orientation_bins.ravel(), weights=weight.ravel(), minlength=16)
    if ohist.sum() > 0:
        p = ohist / ohist.sum()
        features["straightness"] = float(p[0] + p[15] + p[7] + p[8])
        nz = p[p > 0]
        features["orientation_entropy"] = float(-(nz * np.log(nz)).sum() / np.log(16))
    else:
        features["straightness"] = 0.25
        features["orientation_entropy"] = 0.0

    # emotional register (Valdez & Mehrabian 1994), brightness and saturation on 0-1
    brightness = float(lum.mean())
    maxc, minc = rgb.max(-1), rgb.min(-1)
    saturation = float(np.where(maxc > 0, (maxc - minc) / np.maximum(maxc, 1e-6), 0).mean())
    features["pleasure"] = 0.69 * brightness + 0.22 * saturation
    features["arousal"] = -0.31 * brightness + 0.60 * saturation
    features["dominance"] = -0.76 * brightness + 0.32 * saturation
    features["contrast"] = float(np.percentile(L, 95) - np.percentile(L, 5)) / 2
    histograms = {
        "ab": _normalised(
            np.histogram2d(
                np.clip(a, -60, 59.9).ravel(),
                np.clip(b, -60, 59.9).ravel(),
                bins=6,
                range=[[-60, 60], [-60, 60]],
            )[0].ravel()
        ),
        "chroma": _normalised(np.histogram(np.clip(chroma, 0, 79.9), bins=8, range=(0, 80))[0]),
        "lightness": _normalised(np.histogram(lum, bins=10, range=(0, 1))[0]),
        "gradient": _normalised(
            np.histogram(np.log10(magnitude + 1e-4), bins=10, range=(-4, 0))[0]
        ),
        "lbp1": local_binary_pattern_histogram(lum, 1),
        "lbp2": local_binary_pattern_histogram(lum, 2),
        "orientation": _normalised(
            np.bincount(
                ((angle / np.pi * 8).astype(int) % 8).ravel(), weights=weight.ravel(), minlength=8
            )
        ),
    }
    return Measurement(
        features=features, palette=palette, hue_histogram=hue_histogram, histograms=histograms
    )


def _normalised(counts: np.ndarray) -> list[float]:
    total = float(np.sum(counts))
    if total <= 0:
        return [1.0 / len(counts)] * len(counts)
    return (np.asarray(counts, dtype=np.float64) / total).tolist()


def local_binary_pattern_histogram(lum: np.ndarray, radius: int) -> list[float]:
    """Rotation-invariant uniform LBP (Ojala et al. 2002), 8 neighbours: 10 bins.

    Bins 0-8 count uniform patterns by their number of brighter neighbours; bin 9 holds the
    non-uniform ones. It separates hatching, impasto, flat fields and grain well.
    """
    r = radius
    centre = lum[r:-r, r:-r]
    offsets = [(-r, -r), (-r, 0), (-r, r), (0, r), (r, r), (r, 0), (r, -r), (0, -r)]
    h, w = lum.shape
    bits = np.array(
        [(lum[r + dy : h - r + dy, r + dx : w - r + dx] >= centre + 0.02) for dy, dx in offsets],
        dtype=np.int8,
    )
    ones = bits.sum(0)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[:1]]), axis=0)).sum(0)
    codes = np.where(transitions <= 2, ones, 9)
    return _normalised(np.bincount(codes.ravel(), minlength=10))


def histogram_distance(p: list[float], q: list[float]) -> float:
    """Total-variation distance between two normalised histograms: 0 same, 1 disjoint."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def ordinal_histogram_distance(p: list[float], q: list[float]) -> float:
    """Earth mover's distance between two normalised histograms over ordered bins, as a share
    of the whole range: 0 same, 1 all the mass at opposite ends.

    For ordered quantities (chroma, lightness) it counts how far the mass moved: a uniformly
    tinted sheet is a step away from an untinted one, while a picture that is partly in full
    colour is far from a colourless set even when most of it is grey. Total variation scores
    the first as far and the second as near."""
    moved = np.cumsum(np.asarray(p, dtype=np.float64) - np.asarray(q, dtype=np.float64))
    return float(np.abs(moved[:-1]).sum() / (len(moved) - 1))
