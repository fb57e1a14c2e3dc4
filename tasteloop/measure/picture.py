"""What pictures have and non-pictures lack: measured structure, not taste.

Natural images and paintings have amplitude spectra that fall roughly as 1/f (a power spectrum
slope near -2; Field 1987, Graham & Field 2007 and Redies et al. 2007 for art): white noise is
flat (slope near 0), a smear falls far faster (below -4). Their edges run in many directions;
bands and stripes put all their energy on one axis. They have contrast, and where their
references are composed in large masses (a sky over a field), so are they. And their edges are
sparse: most neighbouring pixels are alike and a few differ sharply, so the differences between
neighbours are heavy-tailed (Field 1987; Simoncelli & Olshausen 2001). Noise of any spectrum,
1/f "pink" noise included, has Gaussian differences: an excess kurtosis of 0. And they are laid
out: their regions hold together, a region resembling its neighbours more than the picture's
far side (sky beside sky, a dark figure's parts beside each other), where a texture with no
layout under it, or a picture cut up and shuffled, has regions that ignore their neighbours
(spatial autocorrelation, Moran 1950). And their parts differ in which way their edges run (a
horizon, a standing figure, the folds of a cloth), where a texture's marks run the same ways
everywhere: it is stationary, as a picture is not.
"""

from __future__ import annotations

import numpy as np

from tasteloop.measure.schema import PictureStats

# The spectrum's slope is read between these frequencies (cycles per image at the analysis size):
# above the composition's own scale, below the pixel grid.
SLOPE_BAND = (8.0, 64.0)
ANGLE_BINS = 12
STRUCTURE_BLOCKS = 4
COHERENCE_BLOCKS = 8  # regions across each side, for how they hold together
VARIETY_BLOCKS = 4  # regions across each side, for how their edge directions differ
VARIETY_BINS = 8  # edge directions over 180 degrees


def _power_spectrum(lum: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The windowed power spectrum, each coefficient's radius (cycles per image) and angle."""
    h, w = lum.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fftshift(np.fft.fft2((lum - lum.mean()) * window))) ** 2
    yy, xx = np.mgrid[0:h, 0:w]
    fy, fx = yy - h // 2, (xx - w // 2) * h / w
    return power, np.hypot(fx, fy), np.arctan2(fy, fx) % np.pi


def spectral_slope(power: np.ndarray, radius: np.ndarray) -> float:
    """The log-log slope of the radially averaged power spectrum over SLOPE_BAND; 0 when flat."""
    low, high = SLOPE_BAND
    edges = np.logspace(np.log10(low), np.log10(high), 9)
    xs, ys = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        ring = (radius >= a) & (radius < b)
        if ring.any():
            xs.append(np.log(np.sqrt(a * b)))
            ys.append(np.log(power[ring].mean() + 1e-12))
    if len(xs) < 3 or np.ptp(ys) < 1e-9:
        return 0.0
    return float(np.polyfit(xs, ys, 1)[0])


def orientation_spread(power: np.ndarray, radius: np.ndarray, angle: np.ndarray) -> float:
    """How evenly the spectrum's energy is spread over directions: 1 all directions alike, 0 one
    direction only (bands, stripes, a few parallel marks)."""
    low, high = SLOPE_BAND
    band = (radius >= low / 2) & (radius < high)
    bins = (angle[band] / np.pi * ANGLE_BINS).astype(int) % ANGLE_BINS
    energy = np.bincount(bins, weights=power[band], minlength=ANGLE_BINS)
    if energy.sum() <= 0:
        return 1.0
    share = energy / energy.sum()
    nonzero = share[share > 0]
    return float(-(nonzero * np.log(nonzero)).sum() / np.log(ANGLE_BINS))


SPARSENESS_POOLING = (1, 2, 4)  # the scales read: a fine grain can hide the edges at one


def _difference_kurtosis(lum: np.ndarray) -> float:
    values = []
    for difference in (np.diff(lum, axis=0), np.diff(lum, axis=1)):
        centred = difference - difference.mean()
        variance = float((centred**2).mean())
        if variance > 1e-12:
            values.append(float((centred**4).mean()) / variance**2 - 3.0)
    return float(np.mean(values)) if values else 0.0


def edge_sparseness(lum: np.ndarray) -> float:
    """The excess kurtosis of the differences between neighbouring pixels (both directions), at
    the scale where it is highest: about 0 for noise of any spectrum at every scale, well above
    it for pictures with edges and flat areas (film grain over a picture lowers it at the finest
    scale only)."""
    found = []
    for k in SPARSENESS_POOLING:
        h, w = lum.shape[0] // k * k, lum.shape[1] // k * k
        if min(h, w) // k >= 16:
            pooled = lum[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))
            found.append(_difference_kurtosis(pooled))
    return max(found, default=0.0)


def large_scale_structure(lum: np.ndarray) -> float:
    """The share of the picture's lightness variance that lies between a 4 x 4 grid of masses
    (a composed picture) rather than inside them (a texture, noise): 0-1."""
    blocks = _block_means(lum, STRUCTURE_BLOCKS)
    variance = float(lum.var())
    return float(blocks.var() / variance) if variance > 1e-9 else 0.0


def _block_means(values: np.ndarray, blocks: int) -> np.ndarray:
    h, w = values.shape[0] // blocks * blocks, values.shape[1] // blocks * blocks
    return values[:h, :w].reshape(blocks, h // blocks, blocks, w // blocks).mean(axis=(1, 3))


def region_means(values: np.ndarray, side: int) -> np.ndarray:
    """The means of square regions `side` pixels across (the edges that do not fill one left
    out)."""
    h, w = values.shape[0] // side * side, values.shape[1] // side * side
    return values[:h, :w].reshape(h // side, side, w // side, side).mean(axis=(1, 3))


def morans_i(grid: np.ndarray) -> float:
    """Moran's I of a grid of values, each region's neighbours the four beside it: about 0 when
    neighbours are no more alike than any two regions, towards 1 when they are alike."""
    centred = grid - grid.mean()
    spread = float((centred**2).sum())
    if spread < 1e-12:
        return 0.0
    pairs = float((centred[1:] * centred[:-1]).sum() + (centred[:, 1:] * centred[:, :-1]).sum())
    links = centred[1:].size + centred[:, 1:].size
    return centred.size / links * pairs / spread


def spatial_coherence(lab: np.ndarray, magnitude: np.ndarray) -> float | None:
    """How well the picture's regions hold together: Moran's I over an 8 x 8 grid of regions of
    their lightness, their colour (a*, b*) and how much fine detail they hold (the log of their
    mean gradient), whichever holds together best. A picture is laid out when any of them is."""
    b = COHERENCE_BLOCKS
    if min(lab.shape[:2]) < 4 * b:
        return None  # regions of a few pixels say nothing of a layout
    planes = [lab[..., 0], lab[..., 1], lab[..., 2], magnitude]
    grids = [_block_means(plane, b) for plane in planes]
    grids[3] = np.log(grids[3] + 1e-3)
    return max(morans_i(grid) for grid in grids)


REACH_SIZES = (8, 16, 32, 64)  # region sides (px at the analysis size) the variance is read at


def structural_reach(lab: np.ndarray, magnitude: np.ndarray) -> float | None:
    """How far the picture's structure reaches: the slope of the variance of region means
    against region size on log-log axes (the aggregated-variance method), for lightness, colour
    and fine detail, whichever reaches furthest. A texture varies only within its own marks, so
    beyond them its regions' means settle like averages of independent draws (slope -2); a
    picture with structure at every scale keeps varying (slope near 0 for a 1/f spectrum)."""
    # the region sizes that leave at least two regions across the short side; a small picture
    # with fewer than three of them is not read
    usable = [side for side in REACH_SIZES if min(lab.shape[:2]) >= 2 * side]
    if len(usable) < 3:
        return None
    sizes = np.array(usable, dtype=float)
    # fine detail is read as 4 px regions' mean gradient, so its regions are 4 times fewer
    detail = np.log(region_means(magnitude, 4) + 1e-3)
    found = []
    for plane, sides in (
        (lab[..., 0], usable),
        (lab[..., 1], usable),
        (lab[..., 2], usable),
        (detail, [side // 4 for side in usable]),
    ):
        variances = [float(region_means(plane, side).var()) for side in sides]
        if min(variances) > 1e-9:
            found.append(float(np.polyfit(np.log(sizes), np.log(variances), 1)[0]))
    return max(found, default=-2.0)


def direction_variety(gx: np.ndarray, gy: np.ndarray, magnitude: np.ndarray) -> float | None:
    """How much the picture's parts differ in which way their edges run: over a 4 x 4 grid of
    regions, each region's edge directions (weighted by edge strength) against the regions'
    average, as their mean total-variation distance: 0 when every part's marks run the same ways,
    as a texture's do, towards 1 when each part has its own. Regions with no edges at all are
    left out; fewer than two with edges say nothing."""
    b, n = VARIETY_BLOCKS, VARIETY_BINS
    h, w = gx.shape[0] // b * b, gx.shape[1] // b * b
    gx, gy, magnitude = gx[:h, :w], gy[:h, :w], magnitude[:h, :w]
    direction = (np.mod(np.arctan2(gy, gx), np.pi) * (n / np.pi)).astype(np.intp) % n
    rows = np.arange(h)[:, None] // (h // b)
    cols = np.arange(w)[None, :] // (w // b)
    index = (rows * b + cols) * n + direction
    found = np.bincount(index.ravel(), weights=magnitude.ravel(), minlength=b * b * n)
    found = found.reshape(b * b, n)
    totals = found.sum(axis=1)
    shares = found[totals > 1e-9] / totals[totals > 1e-9, None]
    if len(shares) < 2:
        return None
    return float(0.5 * np.abs(shares - shares.mean(axis=0)).sum(axis=1).mean())


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def picture_stats(
    lab: np.ndarray, magnitude: np.ndarray, gx: np.ndarray, gy: np.ndarray
) -> PictureStats:
    """`lab`: CIELAB at the analysis size; `gx`, `gy`: its lightness gradient (0-1 units) and
    `magnitude` its length."""
    lum = lab[..., 0] / 100.0
    power, radius, angle = _power_spectrum(lum)
    return PictureStats(
        contrast=round(float(lum.std()), 5),
        slope=round(spectral_slope(power, radius), 4),
        orientation_spread=round(orientation_spread(power, radius, angle), 4),
        structure=round(large_scale_structure(lum), 4),
        sparseness=round(edge_sparseness(lum), 3),
        coherence=_rounded(spatial_coherence(lab, magnitude)),
        reach=_rounded(structural_reach(lab, magnitude)),
        variety=_rounded(direction_variety(gx, gy, magnitude)),
    )
