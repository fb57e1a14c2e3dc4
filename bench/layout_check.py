"""How the layout check's constants were chosen: leaving each shared set out in turn.

A picture has a layout when its regions hold together (coherence, Moran's I) and its structure
reaches across it (the aggregated-variance slope). The offline critic asks a picture for at
least COHERENCE_SHARE of the least coherent reference's coherence, and a reach no shorter than
the references' least by REACH_SPREADS times their own spread of reach (at least
REACH_SPREAD_FLOOR). For each held-out set, the constants are chosen on the other four (the most
non-pictures caught while no member judged against the rest of its set, and no picture the
offline generator paints whose layout survived the painting, loses more than 15 % to the
check), then applied to the held-out set; the shipped constants are the folds' medians. Non-pictures: the style network's texture over a flat field (ten base colours and
grain levels), the generator's own style pass over a flat layout (four), each reference cut into
8 x 8 and 16 x 16 shuffled tiles.

Then, beside the shipped layout check, the direction-variety check's two constants the same way
(VARIETY_SHARE of the least varied reference's variety, VARIETY_SCALE as a share of it): a
texture's marks run the same ways all over, a picture's parts differ. And beside both, the
bare-style check's two (BARE_RATIO times the variety of the set's style laid over nothing,
BARE_SCALE as a share of it; a held-out member is judged against the style of the rest).

`python -m bench.layout_check` (about 2 minutes); figures in BENCHMARKS.md.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tasteloop.domain.engine import GenerationInputs
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.style import style_target
from tasteloop.images import decode_image, encode
from tasteloop.measure.bare_style import bare_variety
from tasteloop.measure.learned_style import measure_candidate
from tasteloop.measure.picture_check import (
    BARE_RATIO,
    BARE_SCALE,
    COHERENCE_SCALE,
    COHERENCE_SHARE,
    REACH_SCALE,
    REACH_SPREAD_FLOOR,
    REACH_SPREADS,
    VARIETY_SCALE,
    VARIETY_SHARE,
    bare_shortfall,
    variety_shortfall,
)
from tasteloop.measure.schema import PictureStats
from tasteloop.measure.style_network import TRANSFORM_SIDE, style_network
from tasteloop.offline.critic.subject import motif_visibility
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.generator.paint import paint_in_style
from tests.support.refsets import load_sets

INTENTS = (
    "a harbour at dusk",
    "a city street in the rain",
    "flowers in a garden under the moon",
    "a portrait of a fisherman",
    "a lighthouse on a rocky shore",
    "mountains above a lake",
)
NON_PICTURES = ("texture", "own pass", "tiles")
SHARES = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
SPREADS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
FLOORS = (0.05, 0.1, 0.15)
VARIETY_SHARES = (0.4, 0.5, 0.6, 0.7, 0.8)
VARIETY_SCALES = (0.05, 0.1, 0.2)
BARE_RATIOS = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)
BARE_SCALES = (0.05, 0.1, 0.2)
KEEP = 0.85  # the least a member or a painted picture may keep of its score
CAUGHT = 0.6  # a non-picture is caught when it keeps at most this much (9.9 falls below 6)


def _stats(data: bytes) -> PictureStats:
    found = measure_candidate(data).picture
    assert found is not None
    return found


def shuffled_tiles(reference: bytes, pieces: int, rng: np.random.Generator) -> bytes:
    """The reference at 512 x 512 cut into pieces x pieces tiles, put back in a random order."""
    side = 512 // pieces
    pixels = np.asarray(decode_image(reference, max_side=512).convert("RGB").resize((512, 512)))
    tiles = pixels.reshape(pieces, side, pieces, side, 3).transpose(0, 2, 1, 3, 4)
    tiles = tiles.reshape(pieces * pieces, side, side, 3)[rng.permutation(pieces * pieces)]
    whole = tiles.reshape(pieces, pieces, side, side, 3).transpose(0, 2, 1, 3, 4)
    return encode(Image.fromarray(whole.reshape(512, 512, 3)), "PNG")


@dataclass(frozen=True)
class Against:
    """What a picture is judged against: the references' stats and the variety of their style
    laid over nothing."""

    refs: list[PictureStats]
    bare: float | None


@dataclass(frozen=True)
class SetRows:
    pictures: dict[str, list[PictureStats]]  # "ref", "painted" and each of NON_PICTURES
    bare: float | None  # of the whole set's style
    bare_without: list[float | None]  # of the style of the rest, each reference held out

    def against(self) -> Against:
        return Against(self.pictures["ref"], self.bare)

    def without(self, k: int) -> Against:
        refs = self.pictures["ref"]
        return Against(refs[:k] + refs[k + 1 :], self.bare_without[k])


def measured_sets() -> dict[str, SetRows]:
    rng = np.random.default_rng(23)
    network, generator, extractor = style_network(), OfflineGenerator(), OfflineExtractor()
    found: dict[str, SetRows] = {}
    for name, refs in load_sets(as_uploaded=True).items():
        profile = extractor.extract(refs).profile
        assert profile.measurements and profile.measurements.style
        vector = np.asarray(profile.measurements.style.mean, np.float32)
        rows: dict[str, list[PictureStats]] = {
            "ref": [r.picture for r in profile.measurements.references if r.picture],
            "texture": [],
            "own pass": [],
            "tiles": [],
            "painted": [],
        }
        pixels = np.concatenate(
            [np.asarray(decode_image(r, max_side=128).convert("RGB")).reshape(-1, 3) for r in refs]
        )
        for k in range(10):
            base = pixels[rng.integers(len(pixels))] / 255.0
            grain = (0.01, 0.03, 0.08, 0.15, 0.3)[k % 5]
            flat = np.full((TRANSFORM_SIDE, TRANSFORM_SIDE, 3), base)
            flat = np.clip(flat + rng.normal(0, grain, flat.shape), 0, 1).astype(np.float32)
            painted = np.clip(network.paint(flat, vector), 0, 1) * 255
            rows["texture"].append(_stats(encode(Image.fromarray(painted.astype(np.uint8)), "PNG")))
        for grain in (3, 8, 15, 30):
            base = pixels[rng.integers(len(pixels))].astype(float)
            layout = np.clip(base + rng.normal(0, grain, (1024, 1024, 3)), 0, 255)
            own = paint_in_style(Image.fromarray(layout.astype(np.uint8)), vector, 1.0)
            rows["own pass"].append(_stats(encode(own, "PNG")))
        for reference in refs:
            for pieces in (8, 16):
                rows["tiles"].append(_stats(shuffled_tiles(reference, pieces, rng)))
        inputs = GenerationInputs(style=style_target(profile))
        for intent, seed in itertools.product(INTENTS, (0, 1)):
            picture = generator.generate(initial_prompt(intent, profile), seed=seed, inputs=inputs)
            assert picture.sketch is not None
            # only pictures whose layout survived the painting (every motif still visible)
            # must pass: one the style washed out to a texture is what the check is for
            if all(shown for shown, _ in motif_visibility(picture.data, picture.sketch).values()):
                rows["painted"].append(_stats(picture.data))
        held_out = [extractor.extract(refs[:k] + refs[k + 1 :]).profile for k in range(len(refs))]
        found[name] = SetRows(
            rows,
            bare_variety(profile.measurements),
            [bare_variety(p.measurements) if p.measurements else None for p in held_out],
        )
    return found


def _gaussian(off: float, scale: float) -> float:
    return math.exp(-0.5 * (off / scale) ** 2)


def kept(picture: PictureStats, against: Against, constants: tuple[float, float, float]) -> float:
    """What share of its score the layout check leaves a picture, under these constants."""
    share, spreads, floor = constants
    coherence = [r.coherence or 0.0 for r in against.refs]
    reach = [r.reach or 0.0 for r in against.refs]
    tolerance = spreads * max(max(reach) - min(reach), floor)
    return _gaussian(
        max(share * min(coherence) - (picture.coherence or 0.0), 0.0), COHERENCE_SCALE
    ) * _gaussian(max(min(reach) - tolerance - (picture.reach or 0.0), 0.0), REACH_SCALE)


def variety_kept(picture: PictureStats, against: Against, constants: tuple[float, float]) -> float:
    """What share of its score the direction-variety check leaves a picture, under these
    constants (share of the least varied reference's variety, scale as a share of it)."""
    share, scale = constants
    return _gaussian(variety_shortfall(picture, against.refs, share), scale)


def bare_kept(picture: PictureStats, against: Against, constants: tuple[float, float]) -> float:
    """What share of its score the bare-style check leaves a picture, under these constants
    (times the bare style's variety, scale as a share of it)."""
    ratio, scale = constants
    return _gaussian(bare_shortfall(picture, against.bare, against.refs, ratio), scale)


Keep = Callable[[PictureStats, Against], float]
SHIPPED_LAYOUT = (COHERENCE_SHARE, REACH_SPREADS, REACH_SPREAD_FLOOR)
SHIPPED_VARIETY = (VARIETY_SHARE, VARIETY_SCALE)


def layout(constants: tuple[float, float, float]) -> Keep:
    """The layout check under these constants."""
    return lambda p, a: kept(p, a, constants)


def with_variety(constants: tuple[float, float]) -> Keep:
    """The shipped layout check and the direction-variety check under these constants."""
    return lambda p, a: kept(p, a, SHIPPED_LAYOUT) * variety_kept(p, a, constants)


def with_bare(constants: tuple[float, float]) -> Keep:
    """The shipped layout and direction-variety checks and the bare-style check under these
    constants."""
    shipped = with_variety(SHIPPED_VARIETY)
    return lambda p, a: shipped(p, a) * bare_kept(p, a, constants)


def figures(sets: dict[str, SetRows], names: list[str], keep: Keep) -> dict[str, object]:
    members, painted, caught, total = [], [], dict.fromkeys(NON_PICTURES, 0), 0
    for name in names:
        rows, against = sets[name].pictures, sets[name].against()
        members += [keep(r, sets[name].without(k)) for k, r in enumerate(rows["ref"])]
        painted += [keep(p, against) for p in rows["painted"]]
        for kind in NON_PICTURES:
            caught[kind] += sum(keep(p, against) <= CAUGHT for p in rows[kind])
            total += len(rows[kind])
    return {
        "members' least share kept": round(min(members), 2),
        "painted pictures' least share kept": round(min(painted), 2),
        "non-pictures caught": caught,
        "caught": sum(caught.values()),
        "of": total,
    }


def chosen_by_folds(
    sets: dict[str, SetRows],
    grid: list[tuple[float, ...]],
    keep_of: Callable[[tuple[float, ...]], Keep],
) -> list[dict[str, object]]:
    """For each held-out set, the constants chosen on the other four: the most non-pictures
    caught while no member and no painted picture keeps less than KEEP; ties to the lower first
    constant (a share) and the higher others (a wider tolerance or scale)."""
    folds = []
    for held in sets:
        training = [name for name in sets if name != held]
        best: tuple[tuple[float, ...], tuple[float, ...]] | None = None
        for constants in grid:
            trained = figures(sets, training, keep_of(constants))
            if (
                float(trained["members' least share kept"]) < KEEP  # type: ignore[arg-type]
                or float(trained["painted pictures' least share kept"]) < KEEP  # type: ignore[arg-type]
            ):
                continue
            key = (float(trained["caught"]), -constants[0], *constants[1:])  # type: ignore[arg-type]
            if best is None or key > best[0]:
                best = (key, constants)
        if best is None:
            folds.append({"held-out set": held, "chosen": None})
            continue
        chosen = best[1]
        folds.append(
            {"held-out set": held, "chosen": chosen, **figures(sets, [held], keep_of(chosen))}
        )
    return folds


def leave_one_set_out(sets: dict[str, SetRows]) -> list[dict[str, object]]:
    """The layout check's three constants."""
    grid = list(itertools.product(SHARES, SPREADS, FLOORS))
    return chosen_by_folds(sets, grid, layout)  # type: ignore[arg-type]


def variety_leave_one_set_out(
    sets: dict[str, SetRows],
) -> list[dict[str, object]]:
    """The direction-variety check's two constants, beside the shipped layout check."""
    grid = list(itertools.product(VARIETY_SHARES, VARIETY_SCALES))
    return chosen_by_folds(sets, grid, with_variety)  # type: ignore[arg-type]


def bare_leave_one_set_out(sets: dict[str, SetRows]) -> list[dict[str, object]]:
    """The bare-style check's two constants, beside the shipped layout and variety checks."""
    grid = list(itertools.product(BARE_RATIOS, BARE_SCALES))
    return chosen_by_folds(sets, grid, with_bare)  # type: ignore[arg-type]


def main() -> None:
    sets = measured_sets()
    for fold in leave_one_set_out(sets):
        print(json.dumps(fold))
    print(
        json.dumps({"shipped": SHIPPED_LAYOUT, **figures(sets, list(sets), layout(SHIPPED_LAYOUT))})
    )
    for name in sets:
        print(json.dumps({"set": name, **figures(sets, [name], layout(SHIPPED_LAYOUT))}))
    for label, folds, keep, shipped in (
        ("direction variety", variety_leave_one_set_out(sets), with_variety, SHIPPED_VARIETY),
        ("bare style", bare_leave_one_set_out(sets), with_bare, (BARE_RATIO, BARE_SCALE)),
    ):
        for fold in folds:
            print(json.dumps({label: True, **fold}))
        print(
            json.dumps(
                {f"shipped with {label}": shipped, **figures(sets, list(sets), keep(shipped))}
            )
        )
        for name in sets:
            print(
                json.dumps(
                    {"set": name, f"with {label}": True, **figures(sets, [name], keep(shipped))}
                )
            )


if __name__ == "__main__":
    main()
