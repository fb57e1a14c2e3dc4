"""One contact sheet per shared set: its references, then the offline engine's final image for
each of three intents (seed 0, at most 5 iterations). Written to docs/contact-sheets/.

`python -m bench.contact_sheets [--out docs/contact-sheets]`
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image, ImageDraw

from bench.offline_convergence import INTENTS, offline_run
from tasteloop.offline.engine import offline_engine
from tests.support.refsets import ROOT, load_sets

WIDTH = 960
LABEL = 22


def _fit(data: bytes, side: int) -> Image.Image:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def sheet(name: str, references: list[bytes]) -> Image.Image:
    engine = offline_engine()
    profile = engine.extractor.extract(references).profile
    finals = []
    for intent in INTENTS:
        result = offline_run(engine, profile, intent, references=tuple(references))
        best = result.final_image or result.state.best_image
        score = result.final_score if result.final_score is not None else result.state.best_score
        finals.append((intent, score, best))
    ref_side = WIDTH // len(references)
    out_side = WIDTH // len(finals)
    canvas = Image.new("RGB", (WIDTH, LABEL * 2 + ref_side + out_side), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((6, 5), f"{name}: references", fill="black")
    for k, data in enumerate(references):
        thumb = _fit(data, ref_side - 6)
        canvas.paste(thumb, (k * ref_side + (ref_side - thumb.width) // 2, LABEL))
    top = LABEL + ref_side
    draw.text((6, top + 5), "offline engine, final images (score)", fill="black")
    for k, (intent, score, data) in enumerate(finals):
        thumb = _fit(data, out_side - 6)
        x = k * out_side + 3
        canvas.paste(thumb, (x, top + LABEL))
        draw.rectangle((x, top + LABEL, x + 230, top + LABEL + 16), fill="white")
        draw.text((x + 3, top + LABEL + 2), f"{intent} ({score:.1f})", fill="black")
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "contact-sheets")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, references in load_sets().items():
        path = args.out / f"{name}.jpg"
        sheet(name, references).save(path, "JPEG", quality=82, optimize=True)
        print(path)


if __name__ == "__main__":
    main()
