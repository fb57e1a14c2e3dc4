"""Is the offline critic's verdict true? Leave-one-set-out on the shared reference sets.

For every set (its references extracted as the person would upload them):
- members: each reference held out, judged against a profile of the others (should pass 8.0, or
  at least reach the gate);
- other sets: every reference of every other set judged against this set's profile (should stay
  below the gate);
- degenerate pictures, made from this set so they share its colours: flat fields, noise (uniform,
  1/f "pink" noise in the set's colours, and the set's own pixels shuffled), bands and stripes, a smeared reference, a blank sheet with a
  few marks, the style network's texture with no layout, the generator's own style pass over an
  empty layout, shuffled tiles (should stay below the gate);
- the subject: the offline engine's own pictures for four drawable intents and one it cannot
  draw, judged under their own intent and under every other one, both as the product does it
  (the picture with the sketch it was painted from) and with the other intent's sketch claimed
  for it (the swapped intent should fail the subject verdict either way);
- the loop: one run per intent (threshold 8.0, gate from 6.0, the gate continuing, at most 5
  iterations): how many converge and after how many iterations, and whether the result sits
  nearer the references than the first picture by measures the critic never computes
  (bench/independent.py).

Nothing here is fitted: the critic's constants are chosen a priori; the figures are reported
per held-out set. `python -m bench.truthfulness [--json out.json]`
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from bench.independent import ReferenceDistances, members_spread
from bench.layout_check import shuffled_tiles
from tasteloop.domain.engine import Brief, GeneratedImage, GenerationInputs
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.run_settings import DEFAULT_GATE_LOW, DEFAULT_THRESHOLD, LoopSettings
from tasteloop.domain.style import style_target
from tasteloop.images import decode_image, encode
from tasteloop.loop import LoopState, run_loop
from tasteloop.measure.bare_style import bare_texture
from tasteloop.offline.critic import OfflineCritic
from tasteloop.offline.extractor import OfflineExtractor
from tasteloop.offline.generator import OfflineGenerator
from tasteloop.offline.generator.paint import paint_in_style
from tests.support.refsets import load_sets

SIDE = 512
INTENTS = ("a harbour at dusk", "a portrait of an old fisherman", "a city street in the rain")
# drawable intents with no motif in common, and one the sketch engine cannot draw
SUBJECT_INTENTS = (
    "a harbour at dusk",
    "a city street in the rain",
    "flowers in a garden under the moon",
    "a portrait of a fisherman",
    "a cat sleeping on a veranda",
)


def _png(image: Image.Image) -> bytes:
    return encode(image, "PNG")


def _rgb(data: bytes) -> np.ndarray:
    return np.asarray(decode_image(data, max_side=SIDE).resize((SIDE, SIDE)), dtype=np.float64)


def degenerate_pictures(
    references: list[bytes], style: tuple[float, ...] | None
) -> dict[str, bytes]:
    """Non-pictures made from a set's own pixels and colours (so palette evidence alone cannot
    reject them)."""
    rng = np.random.default_rng(7)
    first = _rgb(references[0])
    pixels = np.concatenate([_rgb(r).reshape(-1, 3) for r in references])
    mean = pixels.mean(axis=0)
    palette = pixels[rng.choice(len(pixels), 6, replace=False)]
    out: dict[str, bytes] = {}
    out["flat grey"] = _png(Image.new("RGB", (SIDE, SIDE), (128, 128, 128)))
    out["flat mean colour"] = _png(Image.new("RGB", (SIDE, SIDE), tuple(int(c) for c in mean)))
    out["uniform noise"] = _png(
        Image.fromarray((rng.random((SIDE, SIDE, 3)) * 255).astype(np.uint8))
    )
    fy, fx = np.fft.fftfreq(SIDE)[:, None], np.fft.fftfreq(SIDE)[None, :]
    falloff = np.hypot(fy, fx)
    falloff[0, 0] = 1.0
    pink = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(SIDE, SIDE))) / falloff))
    pink = (pink - pink.mean()) / pink.std()
    out["1/f (pink) noise in the set's colours"] = _png(
        Image.fromarray(
            np.clip(mean + pixels.std(axis=0) * pink[..., None], 0, 255).astype(np.uint8)
        )
    )
    shuffled = pixels[rng.choice(len(pixels), SIDE * SIDE)].reshape(SIDE, SIDE, 3)
    out["the set's pixels shuffled"] = _png(Image.fromarray(shuffled.astype(np.uint8)))
    smear = Image.fromarray(first.astype(np.uint8)).filter(ImageFilter.GaussianBlur(10))
    out["a reference smeared"] = _png(smear)
    bands = np.zeros((SIDE, SIDE, 3))
    for k in range(SIDE):
        bands[k] = palette[(k // 48) % len(palette)]
    out["bands"] = _png(Image.fromarray(bands.astype(np.uint8)))
    stripes = np.transpose(bands, (1, 0, 2)).copy()
    out["stripes"] = _png(Image.fromarray(stripes.astype(np.uint8)))
    paper = Image.new("RGB", (SIDE, SIDE), tuple(int(c) for c in pixels.max(axis=0) * 0.95))
    draw = ImageDraw.Draw(paper)
    dark = tuple(int(c) for c in pixels.min(axis=0) + 10)
    for k in range(5):
        x = 60 + k * 85
        draw.line([(x, 120 + 13 * k), (x + 40, 330 - 9 * k)], fill=dark, width=4)
    out["a blank sheet with a few marks"] = _png(paper)
    out["the reference's tiles shuffled"] = shuffled_tiles(references[0], 8, rng)
    if style is not None:
        texture = bare_texture(style, tuple(mean / 255.0), rng)
        out["the style's texture with no layout"] = _png(texture.resize((SIDE, SIDE)))
        layout = np.clip(mean + rng.normal(0, 6, (1024, 1024, 3)), 0, 255).astype(np.uint8)
        own = paint_in_style(Image.fromarray(layout), np.asarray(style, np.float32), 1.0)
        out["the generator's style pass over an empty layout"] = _png(own)
    return out


@dataclass
class SetFigures:
    name: str
    members: list[float] = field(default_factory=list)
    others: list[float] = field(default_factory=list)
    degenerate: dict[str, float] = field(default_factory=dict)
    # subject verdicts: (own intent shown, swapped as painted shown, swapped sketch shown)
    own_shown: list[bool] = field(default_factory=list)
    undrawable_shown: list[bool] = field(default_factory=list)
    swapped_shown: list[bool] = field(default_factory=list)
    swapped_sketch_shown: list[bool] = field(default_factory=list)
    runs: list[dict[str, object]] = field(default_factory=list)
    spread: tuple[float, float] = (0.0, 0.0)


def _score(critic: OfflineCritic, image: bytes, profile, intent: str = "a picture") -> float:
    return critic.critique(image, "a picture", Brief(profile, intent)).result.score


def evaluate(sets: dict[str, list[bytes]], critic: OfflineCritic | None = None) -> list[SetFigures]:
    critic = critic or OfflineCritic()
    extractor = OfflineExtractor()
    profiles = {name: extractor.extract(refs).profile for name, refs in sets.items()}
    figures = []
    for name, refs in sets.items():
        found = SetFigures(name)
        for k in range(len(refs)):
            others = refs[:k] + refs[k + 1 :]
            found.members.append(_score(critic, refs[k], extractor.extract(others).profile))
        for other, other_refs in sets.items():
            if other != name:
                found.others += [_score(critic, r, profiles[name]) for r in other_refs]
        style = profiles[name].measurements.style
        for label, data in degenerate_pictures(refs, tuple(style.mean) if style else None).items():
            found.degenerate[label] = _score(critic, data, profiles[name])
        subject_figures(found, critic, profiles[name])
        loop_figures(found, critic, profiles[name], refs)
        figures.append(found)
    return figures


def _shown(critic: OfflineCritic, picture: GeneratedImage, intent: str, profile) -> bool:
    prompt = initial_prompt(intent, profile)
    verdict = critic.critique(picture, prompt, Brief(profile, intent)).result.subject
    return verdict is not None and verdict.present


def subject_figures(found: SetFigures, critic: OfflineCritic, profile) -> None:
    generator = OfflineGenerator()
    inputs = GenerationInputs(style=style_target(profile))
    pictures = {}
    for intent in SUBJECT_INTENTS:
        pictures[intent] = generator.generate(initial_prompt(intent, profile), inputs=inputs)
    for intent, picture in pictures.items():
        drawable = intent != SUBJECT_INTENTS[-1]
        (found.own_shown if drawable else found.undrawable_shown).append(
            _shown(critic, picture, intent, profile)
        )
        for other, other_picture in pictures.items():
            if other == intent or other == SUBJECT_INTENTS[-1]:
                continue
            found.swapped_shown.append(_shown(critic, picture, other, profile))
            claimed = GeneratedImage(data=picture.data, sketch=other_picture.sketch)
            found.swapped_sketch_shown.append(_shown(critic, claimed, other, profile))


def loop_figures(found: SetFigures, critic: OfflineCritic, profile, refs: list[bytes]) -> None:
    generator = OfflineGenerator()
    distances = ReferenceDistances(refs)
    found.spread = members_spread(refs)
    for intent in SUBJECT_INTENTS:
        result = run_loop(
            intent,
            profile,
            generator,
            critic,
            LoopSettings(max_iterations=5),
            state=LoopState(0, initial_prompt(intent, profile)),
            references=tuple(refs),
        )
        first = result.iterations[0].image
        final = result.final_image or result.state.best_image or first
        found.runs.append(
            {
                "intent": intent,
                "converged": result.converged,
                "iterations": len(result.iterations),
                "scores": [round(r.score, 2) for r in result.iterations],
                "reached the gate": any(r.score >= DEFAULT_GATE_LOW for r in result.iterations),
                "colour first": distances.colour(first),
                "colour result": distances.colour(final),
                "texture first": distances.texture(first),
                "texture result": distances.texture(final),
                "colour spread": found.spread[0],
                "texture spread": found.spread[1],
            }
        )


def _share(values: list[float], low: float, high: float = 11) -> str:
    hits = sum(low <= v < high for v in values)
    return f"{hits}/{len(values)}"


def _count(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)}"


def _first_score(run: dict[str, object]) -> float:
    scores = run["scores"]
    assert isinstance(scores, list)
    return float(scores[0])


def _improvement(runs: list[dict[str, object]], measure: str) -> dict[str, object]:
    """Of the runs whose first picture the critic sent back (below 8.0): how many results sit
    nearer the references than their first picture, the median relative change, and how many
    first pictures and results sit as near a reference as the set's members sit to each other
    (the measure's own noise: nearer or farther within it says little)."""
    revised = [r for r in runs if _first_score(r) < DEFAULT_THRESHOLD]

    def within(key: str) -> str:
        return _count(
            [float(r[f"{measure} {key}"]) <= float(r[f"{measure} spread"]) for r in revised]
        )

    changes = [
        (float(r[f"{measure} result"]) - float(r[f"{measure} first"]))
        / float(r[f"{measure} first"])
        for r in revised
        if float(r[f"{measure} first"]) > 0
    ]
    return {
        f"{measure}: results nearer than the first picture": _count([c < 0 for c in changes]),
        f"{measure}: median change": f"{100 * statistics.median(changes or [0.0]):+.1f} %",
        f"{measure}: first pictures within the members' own distance": within("first"),
        f"{measure}: results within the members' own distance": within("result"),
    }


def report(figures: list[SetFigures]) -> dict[str, object]:
    gate, threshold = DEFAULT_GATE_LOW, DEFAULT_THRESHOLD
    rows = []
    for f in figures:
        degenerate = list(f.degenerate.values())
        rows.append(
            {
                "held-out set": f.name,
                "members passing 8.0": _share(f.members, threshold),
                "members at the gate or above": _share(f.members, gate),
                "member median": round(statistics.median(f.members), 2),
                "other sets below the gate": f"{sum(v < gate for v in f.others)}/{len(f.others)}",
                "other sets median": round(statistics.median(f.others), 2),
                "degenerate below the gate": f"{sum(v < gate for v in degenerate)}/{len(degenerate)}",
                "worst degenerate": max(f.degenerate.items(), key=lambda kv: kv[1]),
                "own intent shown": _count(f.own_shown),
                "swapped intent shown": _count(f.swapped_shown),
                "swapped sketch shown": _count(f.swapped_sketch_shown),
                "converged": _count([bool(r["converged"]) for r in f.runs]),
                "iterations": [r["iterations"] for r in f.runs],
                "members' own distance (colour, texture)": [round(v, 2) for v in f.spread],
            }
        )
    members = [v for f in figures for v in f.members]
    others = [v for f in figures for v in f.others]
    degenerate = [v for f in figures for v in f.degenerate.values()]
    runs = [r for f in figures for r in f.runs]
    converged = [int(r["iterations"]) for r in runs if r["converged"]]
    return {
        "rows": rows,
        "loop": {
            "runs": len(runs),
            "converged": len(converged),
            "median iterations when converged": statistics.median(converged or [0]),
            "runs of more than one iteration": sum(int(r["iterations"]) > 1 for r in runs),
            "first picture sent back (below 8.0)": sum(
                _first_score(r) < DEFAULT_THRESHOLD for r in runs
            ),
            "reached the gate": sum(bool(r["reached the gate"]) for r in runs),
            **_improvement(runs, "colour"),
            **_improvement(runs, "texture"),
            "members' own spread (colour, texture), median over sets": [
                round(statistics.median(f.spread[i] for f in figures), 2) for i in (0, 1)
            ],
        },
        "runs": {f.name: f.runs for f in figures},
        "all": {
            "own intent shown": _count([v for f in figures for v in f.own_shown]),
            "undrawable intent shown": _count([v for f in figures for v in f.undrawable_shown]),
            "swapped intent shown": _count([v for f in figures for v in f.swapped_shown]),
            "swapped sketch shown": _count([v for f in figures for v in f.swapped_sketch_shown]),
            "members passing 8.0": _share(members, threshold),
            "members at the gate or above": _share(members, gate),
            "other sets below the gate": f"{sum(v < gate for v in others)}/{len(others)}",
            "degenerate below the gate": f"{sum(v < gate for v in degenerate)}/{len(degenerate)}",
        },
        "degenerate": {f.name: f.degenerate for f in figures},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--as-uploaded", action="store_true")
    args = parser.parse_args()
    result = report(evaluate(load_sets(as_uploaded=args.as_uploaded)))
    for row in result["rows"]:
        print(json.dumps(row))
    print(json.dumps(result["all"]))
    print(json.dumps(result["loop"]))
    for name, runs in result["runs"].items():
        for run in runs:
            print(name, json.dumps(run))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=1)


if __name__ == "__main__":
    main()
