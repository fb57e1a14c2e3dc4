"""The offline generator: a procedural layout of the prompt's words (layout.py, motifs.py),
painted by the style network in the references' learned style (paint.py). Same prompt and seed,
same picture."""

from __future__ import annotations

import hashlib
import io
import time
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tasteloop.domain.engine import (
    NO_INPUTS,
    CallUsage,
    GeneratedImage,
    GenerationInputs,
    Sketch,
    StyleTarget,
)
from tasteloop.domain.shape import SQUARE, PictureShape
from tasteloop.images import EXTRACTION_SIDE, decode_image
from tasteloop.measure.generic_style import lean_from_generic
from tasteloop.measure.style_network import style_network, weighted_mean
from tasteloop.offline import OFFLINE_MODELS
from tasteloop.offline.generator.layout import Canvas, Rng, background
from tasteloop.offline.generator.motifs import MOTIFS
from tasteloop.offline.generator.paint import (
    DISTINCTIVE_LEAN,
    MAX_STRENGTH,
    brushwork,
    finish,
    ink_tint,
    paint_in_style,
    toned,
)
from tasteloop.offline.generator.sketch import draw_sketch
from tasteloop.offline.layout_spec import parse_prompt, strip_adjustments


def _rng(prompt: str, seed: int) -> Rng:
    # The layout ignores the Adjustments clause, so a critic's adjustment changes the
    # qualities it names and not the whole picture.
    layout_text = strip_adjustments(prompt.strip())
    digest = hashlib.sha256(f"{seed}\x00{layout_text}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _style_of(inputs: GenerationInputs) -> StyleTarget | None:
    """A profile without learned style (made before the network): the references' own."""
    if not inputs.references:
        return None
    network = style_network()
    vectors = [
        network.style_vector(decode_image(data, max_side=EXTRACTION_SIDE)).tolist()
        for data in inputs.references
    ]
    return StyleTarget(tuple(weighted_mean(vectors, [1.0] * len(vectors))))


class OfflineGenerator:
    """Lays out the prompt's words and paints them in the learned style."""

    model = OFFLINE_MODELS["generate"]

    def __init__(self, size: int = 1024) -> None:
        self.size = size  # the long side, whatever the shape (the sketch engine paints 1K)

    def _sides(self, shape: PictureShape) -> tuple[int, int]:
        return shape.pixels(long_side=self.size)

    def generate(
        self, prompt: str, *, seed: int = 0, inputs: GenerationInputs = NO_INPUTS
    ) -> GeneratedImage:
        """The prompt's layout painted in the learned style (the references' own when the
        profile carries none), with the sketch of what it drew; an image to edit is not used."""
        started = time.perf_counter()
        style = inputs.style or _style_of(inputs)
        data = self.render_png(prompt, seed=seed, style=style, shape=inputs.shape)
        usage = CallUsage("generate", self.model, time.perf_counter() - started)
        sketch = self.sketch(prompt, seed=seed, shape=inputs.shape)
        return GeneratedImage(data=data, mime_type="image/png", usage=(usage,), sketch=sketch)

    def sketch(self, prompt: str, *, seed: int = 0, shape: PictureShape = SQUARE) -> Sketch:
        """What the picture for this prompt and seed lays out, and where each motif is."""
        spec = parse_prompt(prompt)
        streams = self._streams(prompt, seed)
        colours = sorted(spec.colours, key=lambda cw: -cw[1])
        tint = ink_tint(colours) if spec.monochrome else None
        if tint is not None:
            colours = [(toned(c, tint), w) for c, w in colours]
        names = ["background", *spec.motifs]
        return draw_sketch(
            Canvas(*self._sides(shape), spec, colours, tint),
            {name: (lambda n=name: streams(n)) for name in names},
        )

    @staticmethod
    def _streams(prompt: str, seed: int) -> Callable[[str], Rng]:
        root = int(_rng(prompt, seed).integers(2**62))

        def stream(name: str) -> Rng:
            # One random stream per layer: more marks in one layer (a detail adjustment)
            # adds to it without reshuffling every other layer.
            return np.random.default_rng([root, zlib.crc32(name.encode())])

        return stream

    def render_png(
        self,
        prompt: str,
        *,
        seed: int = 0,
        style: StyleTarget | None = None,
        shape: PictureShape = SQUARE,
    ) -> bytes:
        out = io.BytesIO()
        self.render(prompt, seed=seed, style=style, shape=shape).save(out, "PNG", compress_level=1)
        return out.getvalue()

    def layout(
        self, prompt: str, *, seed: int = 0, shape: PictureShape = SQUARE
    ) -> tuple[Image.Image, Canvas, Rng]:
        """The unpainted layout (before brushwork), its canvas, and the finish's random stream."""
        spec = parse_prompt(prompt)
        stream = self._streams(prompt, seed)
        colours = sorted(spec.colours, key=lambda cw: -cw[1])
        tint = ink_tint(colours) if spec.monochrome else None
        if tint is not None:
            colours = [(toned(c, tint), w) for c, w in colours]
        canvas = Canvas(*self._sides(shape), spec, colours, tint)
        image = background(canvas, stream("background"))
        draw = ImageDraw.Draw(image)
        for motif in spec.motifs:
            MOTIFS[motif](draw, canvas, stream(motif))
        if spec.brushwork > 0.02:
            image = brushwork(image, spec, stream("brushwork"))
        return image, canvas, stream("grain")

    def render(
        self,
        prompt: str,
        *,
        seed: int = 0,
        style: StyleTarget | None = None,
        shape: PictureShape = SQUARE,
    ) -> Image.Image:
        image, canvas, grain = self.layout(prompt, seed=seed, shape=shape)
        spec = canvas.spec
        soften = spec.softness * canvas.scale / 150 if spec.softness > 0.02 else 0.0
        strength = 0.0
        if style is not None and style.strength > 0:
            strength = float(np.clip(style.strength + spec.style_shift, 0.0, MAX_STRENGTH))
        if style is not None and strength > 0:
            vector = lean_from_generic(np.asarray(style.vector, np.float32), DISTINCTIVE_LEAN)
            image = paint_in_style(image, vector, strength, soften=soften)
        elif soften:
            image = image.filter(ImageFilter.GaussianBlur(radius=soften))
        return Image.fromarray(
            finish(np.asarray(image, dtype=np.float32), spec, grain, canvas.tint)
        )
