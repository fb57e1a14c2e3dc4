"""Distances from a picture to a reference set by measures the offline critic never computes,
so a loop that improves only what its critic reads cannot improve these by construction.

- colour transport: the sliced Wasserstein-1 distance between the picture's CIELAB pixels and
  a reference's (64 fixed directions; the critic reads a 6 x 6 a*b* histogram, a lightness
  histogram and palette swatches, never the joint distribution moved as mass);
- texture energy: the mean absolute difference of log Gabor energies (3 scales x 4
  orientations) between the picture and a reference (the critic reads gradient and
  local-binary-pattern histograms and the spectral slope, never a filter bank).

Each is the distance to the nearest reference, as "could stand beside one of them" asks.
"""

from __future__ import annotations

import numpy as np

from tasteloop.images import decode_image
from tasteloop.measure.colour import srgb_to_lab

SIDE = 256
_DIRECTIONS = np.random.default_rng(11).normal(size=(64, 3))
_DIRECTIONS /= np.linalg.norm(_DIRECTIONS, axis=1, keepdims=True)
_QUANTILES = np.linspace(0.005, 0.995, 200)


def _rgb(data: bytes) -> np.ndarray:
    image = decode_image(data, max_side=SIDE).convert("RGB").resize((SIDE, SIDE))
    return np.asarray(image, dtype=np.float64) / 255.0


def _lab_pixels(data: bytes) -> np.ndarray:
    return srgb_to_lab(_rgb(data)).reshape(-1, 3)


def _projected_quantiles(lab: np.ndarray) -> np.ndarray:
    return np.quantile(lab @ _DIRECTIONS.T, _QUANTILES, axis=0)


def _gabor_bank() -> list[np.ndarray]:
    kernels = []
    for wavelength in (4.0, 8.0, 16.0):
        sigma = 0.56 * wavelength
        half = int(3 * sigma)
        y, x = np.mgrid[-half : half + 1, -half : half + 1]
        for theta in np.arange(4) * np.pi / 4:
            xr = x * np.cos(theta) + y * np.sin(theta)
            envelope = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
            kernel = envelope * np.exp(2j * np.pi * xr / wavelength)
            kernel -= envelope * kernel.sum() / envelope.sum()  # zero mean: no response to flat
            kernels.append(kernel)
    return kernels


_BANK = _gabor_bank()


def _texture_energy(data: bytes) -> np.ndarray:
    lum = _rgb(data) @ np.array([0.2126, 0.7152, 0.0722])
    spectrum = np.fft.fft2(lum)
    energies = []
    for kernel in _BANK:
        padded = np.zeros((SIDE, SIDE), dtype=complex)
        k = kernel.shape[0]
        padded[:k, :k] = kernel
        response = np.fft.ifft2(spectrum * np.fft.fft2(padded))
        energies.append(float(np.mean(np.abs(response))))
    return np.log(np.asarray(energies) + 1e-6)


class ReferenceDistances:
    """The references measured once; `colour` and `texture` of any picture against them."""

    def __init__(self, references: list[bytes]) -> None:
        self._colour = [_projected_quantiles(_lab_pixels(r)) for r in references]
        self._texture = [_texture_energy(r) for r in references]

    def colour(self, picture: bytes) -> float:
        quantiles = _projected_quantiles(_lab_pixels(picture))
        return min(float(np.mean(np.abs(quantiles - q))) for q in self._colour)

    def texture(self, picture: bytes) -> float:
        energy = _texture_energy(picture)
        return min(float(np.mean(np.abs(energy - e))) for e in self._texture)


def members_spread(references: list[bytes]) -> tuple[float, float]:
    """How far the set's own members sit from the nearest other (median colour, texture)."""
    colour, texture = [], []
    for k, member in enumerate(references):
        rest = ReferenceDistances(references[:k] + references[k + 1 :])
        colour.append(rest.colour(member))
        texture.append(rest.texture(member))
    return float(np.median(colour)), float(np.median(texture))
