"""Measured image features: palette, composition, texture and emotional register.

Every image is measured at the same analysis size so texture numbers are comparable between
a 300 px etching and a 1024 px render. Features are plain floats, stored with a profile as JSON
and compared by the critic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tasteloop.measure.colour import dominant_colours, srgb_to_lab
from tasteloop.measure.histograms import local_binary_pattern_histogram, normalised
from tasteloop.measure.picture import picture_stats, region_means
from tasteloop.measure.schema import HUE_BINS, ImageMeasurement
from tasteloop.measure.traits import trait_stats

ANALYSIS_SIDE = 256

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
EDGE_MAGNITUDE = 0.04  # a luma gradient above this is an edge


@dataclass(frozen=True)
class Planes:
    """One image at analysis size, in the forms every feature is computed from."""

    rgb: np.ndarray  # H x W x 3, 0-1
    lab: np.ndarray  # CIELAB
    chroma: np.ndarray
    lum: np.ndarray  # lightness 0-1
    gx: np.ndarray
    gy: np.ndarray

    @functools.cached_property
    def magnitude(self) -> np.ndarray:
        return np.hypot(self.gx, self.gy)

    @functools.cached_property
    def edges(self) -> np.ndarray:
        return self.magnitude > EDGE_MAGNITUDE

    @classmethod
    def of(cls, image: Image.Image) -> Planes:
        rgb = np.asarray(analysis_image(image), dtype=np.float64) / 255.0
        lab = srgb_to_lab(rgb)
        lum = lab[..., 0] / 100.0
        gy, gx = np.gradient(lum)
        return cls(rgb, lab, np.hypot(lab[..., 1], lab[..., 2]), lum, gx, gy)


def analysis_image(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    scale = ANALYSIS_SIDE / max(image.size)
    if scale < 1:
        size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    return image


def _hue(p: Planes) -> tuple[np.ndarray, np.ndarray]:
    """Hue in degrees, and which pixels have enough colour for a hue to mean anything."""
    return np.degrees(np.arctan2(p.lab[..., 2], p.lab[..., 1])) % 360, p.chroma > 8


def palette_features(p: Planes) -> dict[str, float]:
    L = p.lab[..., 0]
    r, g, b = (p.rgb[..., k] * 255 for k in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    hue, chromatic = _hue(p)
    warm = chromatic & ((hue < 100) | (hue > 330))
    cool = chromatic & (hue > 150) & (hue < 300)
    return {
        "lightness": float(L.mean()),
        "lightness_spread": float(L.std()),
        "dark_fraction": float((L < 25).mean()),
        "light_fraction": float((L > 80).mean()),
        "chroma": float(p.chroma.mean()),
        "chroma_p90": float(np.percentile(p.chroma, 90)),
        # Hasler & Süsstrunk 2003
        "colourfulness": float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())),
        "warmth": float((warm.sum() - cool.sum()) / max(1, chromatic.sum())),
        "grey_fraction": float((p.chroma < 8).mean()),
    }


def hue_histogram(p: Planes) -> list[float]:
    hue, chromatic = _hue(p)
    bins = (hue // (360 / HUE_BINS)).astype(int) % HUE_BINS
    counts = np.bincount(bins[chromatic], weights=p.chroma[chromatic], minlength=HUE_BINS)
    return (counts / counts.sum()).tolist() if counts.sum() > 0 else [0.0] * HUE_BINS


def composition_features(p: Planes) -> dict[str, float]:
    lum, edges, magnitude = p.lum, p.edges, p.magnitude
    block = max(4, min(lum.shape) // 16)
    local_var = region_means(lum**2, block) - region_means(lum, block) ** 2
    h, w = lum.shape
    centre = edges[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].mean()
    # visual mass: detail plus departure from the mean colour
    departure = np.sqrt(((p.lab - p.lab.reshape(-1, 3).mean(0)) ** 2).sum(-1)) / 100
    mass = magnitude * 4 + departure + 1e-6
    ys, xs = np.mgrid[0:h, 0:w]
    return {
        "mass_x": float((mass * xs).sum() / mass.sum() / max(1, w - 1)),
        "mass_y": float((mass * ys).sum() / mass.sum() / max(1, h - 1)),
        "symmetry": float(1 - np.abs(lum - lum[:, ::-1]).mean() * 2),
        "negative_space": float((local_var < 0.0015).mean()),
        "edge_density": float(edges.mean()),
        "detail_centre": float(centre / max(1e-6, edges.mean()) / 2.0),
    }


def _orientation_weights(p: Planes) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's edge direction (0-π) and its weight (gradient magnitude on edges)."""
    return np.arctan2(p.gy, p.gx) % np.pi, p.magnitude * p.edges


def texture_features(p: Planes) -> dict[str, float]:
    lum, magnitude = p.lum, p.magnitude
    lap = -4 * lum[1:-1, 1:-1] + lum[:-2, 1:-1] + lum[2:, 1:-1] + lum[1:-1, :-2] + lum[1:-1, 2:]
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
    strong = magnitude > np.percentile(magnitude, 90)
    angle, weight = _orientation_weights(p)
    counts = np.bincount(
        ((angle / np.pi * 16).astype(int) % 16).ravel(), weights=weight.ravel(), minlength=16
    )
    straightness, entropy = 0.25, 0.0
    if counts.sum() > 0:
        share = counts / counts.sum()
        straightness = float(share[0] + share[15] + share[7] + share[8])
        nonzero = share[share > 0]
        entropy = float(-(nonzero * np.log(nonzero)).sum() / np.log(16))
    return {
        "hf_energy": float(np.abs(lap).mean()),
        "grain": float(np.sqrt(np.pi / 2) * np.abs(immerkaer[calm]).mean() / 6),
        "sharpness": float(magnitude[strong].sum() / (magnitude.sum() + 1e-9)),
        "flat_fraction": float((magnitude < 0.01).mean()),
        "straightness": straightness,
        "orientation_entropy": entropy,
    }


def emotion_features(p: Planes) -> dict[str, float]:
    """Valdez & Mehrabian 1994 from brightness and saturation (0-1), and the value contrast."""
    brightness = float(p.lum.mean())
    maxc, minc = p.rgb.max(-1), p.rgb.min(-1)
    saturation = float(np.where(maxc > 0, (maxc - minc) / np.maximum(maxc, 1e-6), 0).mean())
    L = p.lab[..., 0]
    return {
        "pleasure": 0.69 * brightness + 0.22 * saturation,
        "arousal": -0.31 * brightness + 0.60 * saturation,
        "dominance": -0.76 * brightness + 0.32 * saturation,
        "contrast": float(np.percentile(L, 95) - np.percentile(L, 5)) / 2,
    }


def histograms(p: Planes) -> dict[str, list[float]]:
    a, b = p.lab[..., 1], p.lab[..., 2]
    angle, weight = _orientation_weights(p)
    ab = np.histogram2d(
        np.clip(a, -60, 59.9).ravel(),
        np.clip(b, -60, 59.9).ravel(),
        bins=6,
        range=[[-60, 60], [-60, 60]],
    )[0]
    return {
        "ab": normalised(ab.ravel()),
        "chroma": normalised(np.histogram(np.clip(p.chroma, 0, 79.9), bins=8, range=(0, 80))[0]),
        "lightness": normalised(np.histogram(p.lum, bins=10, range=(0, 1))[0]),
        "gradient": normalised(
            np.histogram(np.log10(p.magnitude + 1e-4), bins=10, range=(-4, 0))[0]
        ),
        "lbp1": local_binary_pattern_histogram(p.lum, 1),
        "lbp2": local_binary_pattern_histogram(p.lum, 2),
        "orientation": normalised(
            np.bincount(
                ((angle / np.pi * 8).astype(int) % 8).ravel(), weights=weight.ravel(), minlength=8
            )
        ),
    }


def measure(image: Image.Image) -> ImageMeasurement:
    p = Planes.of(image)
    return ImageMeasurement(
        features={
            **palette_features(p),
            **composition_features(p),
            **texture_features(p),
            **emotion_features(p),
        },
        palette=dominant_colours(p.lab),
        hue_histogram=hue_histogram(p),
        histograms=histograms(p),
        picture=picture_stats(p.lab, p.magnitude, p.gx, p.gy),
        traits=trait_stats(p.lab, p.chroma),
    )
