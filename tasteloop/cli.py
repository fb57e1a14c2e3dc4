"""The `tasteloop` command: extract a profile, run the loop headless, probe a gateway."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import click
from PIL import Image
from pydantic import ValidationError

from tasteloop.config import ConfigError, EngineSettings, load_env
from tasteloop.domain.critique import format_critique
from tasteloop.domain.engine import Engine, NoteRevision
from tasteloop.domain.outcomes import GateDecision
from tasteloop.domain.profile import TasteProfile, parse_style_controls
from tasteloop.domain.profile_file import ProfileFileError, read_profile_file
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.references import (
    MAX_REFERENCES,
    MIN_REFERENCES,
    count_problem,
    heaviest_first,
)
from tasteloop.domain.run_settings import MAX_CANDIDATES, MAX_GATE_NOTE, LoopSettings
from tasteloop.domain.shape import (
    AS_REFERENCES,
    ASPECTS,
    SIZES,
    SQUARE,
    PictureShape,
    ShapeError,
    parse_shape,
)
from tasteloop.domain.text import clean_text
from tasteloop.engines import build_engine, shape_problem
from tasteloop.images import ImageError, reencode_upload
from tasteloop.iteration import IterationRecord
from tasteloop.loop import GateAnswer, LoopState, run_loop
from tasteloop.run_record import RunRecord

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
DEFAULTS = LoopSettings()


def _engine() -> Engine:
    try:
        return build_engine(EngineSettings.from_env())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def reference_files(paths: list[Path]) -> list[Path]:
    """The 3-5 reference files named by `paths` (files, or a folder's images in name order)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists():
            files.append(path)
        else:
            raise click.ClickException(f"{path} does not exist.")
    if count_problem(len(files)):
        raise click.ClickException(
            f"tasteloop needs {MIN_REFERENCES} to {MAX_REFERENCES} reference images; found "
            f"{len(files)}" + (f" in {', '.join(str(p) for p in paths)}." if paths else ".")
        )
    return files


def read_references(files: list[Path]) -> list[bytes]:
    """Validate and re-encode each reference; every file is read once."""
    cleaned = []
    for file in files:
        try:
            cleaned.append(reencode_upload(file.read_bytes(), name=file.name)[0])
        except ImageError as exc:
            raise click.ClickException(str(exc)) from None
    return cleaned


@click.group()
def main() -> None:
    """tasteloop: learn a visual taste from 3-5 images and make art that matches it."""
    load_env()


@main.command()
@click.argument("refs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="write the profile JSON here")
def extract(refs: tuple[Path, ...], out: Path | None) -> None:
    """Extract a taste profile from 3-5 reference images (files or one folder)."""
    images = read_references(reference_files(list(refs)))
    engine = _engine()
    profile = engine.extractor.extract(images).profile
    _print_profile(profile)
    if out:
        out.write_text(profile.model_dump_json(indent=2))
        click.echo(f"\nwrote {out}")


def _print_profile(profile: TasteProfile) -> None:
    click.echo("Principles:")
    for principle in profile.principles:
        click.echo(f"  - {principle}")
    click.echo(f"Palette: {profile.palette_tendency}")
    click.echo(f"Composition: {profile.compositional_style}")
    click.echo(f"Emotional register: {profile.emotional_register}")
    click.echo(f"Texture: {profile.texture_feel}")
    click.echo(f"Avoid: {'; '.join(profile.avoid_list)}")


GATE_ANSWERS = {
    "approve": GateDecision.APPROVE,
    "continue": GateDecision.CONTINUE,
    "stop": None,  # the run ends waiting at the gate
}


def _loop_settings(
    max_iterations: int, threshold: float, gate_low: float, candidates: int
) -> LoopSettings:
    try:
        return LoopSettings(max_iterations, threshold, gate_low, candidates)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _gate_note(gate_note: str, gate_policy: str) -> str:
    note = clean_text(gate_note).strip()
    if note and gate_policy != "continue":
        raise click.ClickException("--gate-note goes with --gate continue.")
    if len(note) > MAX_GATE_NOTE:
        raise click.ClickException(f"--gate-note: keep it to {MAX_GATE_NOTE} characters.")
    return note


def _shape(aspect: str, image_size: str, refs: Path | None) -> PictureShape:
    """The picture's shape, checked against the configured engine before anything is spent."""
    sizes: list[tuple[int, int]] = []
    if aspect == AS_REFERENCES:
        if refs is None or not refs.is_dir():
            raise click.ClickException("--aspect references needs --refs DIR (the references).")
        for file in reference_files([refs]):
            try:
                with Image.open(file) as image:
                    sizes.append(image.size)
            except (OSError, Image.DecompressionBombError):
                continue  # read_references names the file that cannot be read
    try:
        shape = parse_shape(aspect, image_size, sizes)
        problem = shape_problem(EngineSettings.from_env(), shape)
    except (ShapeError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    if problem:
        raise click.ClickException(problem)
    return shape


def _taste(
    engine: Engine, refs: Path | None, profile_path: Path | None
) -> tuple[TasteProfile, tuple[bytes, ...], list[str]]:
    """The profile (read from --profile, or extracted from --refs), the references and their
    file names."""
    if profile_path is not None:
        try:
            return read_profile_file(profile_path.read_bytes()), (), []
        except (OSError, ProfileFileError) as exc:
            raise click.ClickException(f"{profile_path}: {exc}") from None
    if refs is None:
        raise click.ClickException("give --refs DIR (3-5 images) or --profile profile.json.")
    if not refs.is_dir():
        raise click.ClickException(f"{refs} is not a folder of reference images.")
    files = reference_files([refs])
    references = tuple(read_references(files))
    profile = engine.extractor.extract(list(references)).profile
    return profile, references, [f.name for f in files]


@main.command()
@click.option("--refs", type=click.Path(path_type=Path), help="folder of 3-5 reference images")
@click.option("--intent", required=True, help='what to make, e.g. "a harbour at dusk"')
@click.option("--out", required=True, type=click.Path(path_type=Path), help="output folder")
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(path_type=Path),
    help="use this profile JSON instead of extracting one",
)
@click.option("--max-iterations", default=DEFAULTS.max_iterations, show_default=True, type=int)
@click.option("--threshold", default=DEFAULTS.threshold, show_default=True, type=float)
@click.option("--gate-low", default=DEFAULTS.gate_low, show_default=True, type=float)
@click.option(
    "--candidates",
    default=DEFAULTS.candidates,
    show_default=True,
    type=int,
    help=f"best-of-N, 1-{MAX_CANDIDATES}",
)
@click.option(
    "--gate",
    "gate_policy",
    type=click.Choice(list(GATE_ANSWERS)),
    default="continue",
    show_default=True,
    help="what to answer at a human gate",
)
@click.option(
    "--gate-note",
    default="",
    help='with --gate continue: a note for the next prompt, e.g. "warmer, fewer boats"',
)
@click.option(
    "--strength",
    default=None,
    help="style strength in percent, 0-100 (default: the profile's, 100 for new references)",
)
@click.option(
    "--weights",
    default=None,
    help="one weight per reference in file-name order, 0-2, e.g. 1,1,0.5 (0 leaves one out)",
)
@click.option(
    "--aspect",
    type=click.Choice([*ASPECTS, AS_REFERENCES]),
    default=SQUARE.aspect,
    show_default=True,
    help="the picture's width:height; 'references' takes the references' median ratio",
)
@click.option(
    "--size",
    "image_size",
    type=click.Choice(list(SIZES)),
    default=SQUARE.size,
    show_default=True,
    help="the long side: 1K about 1024 px, 2K 2048, 4K 4096",
)
@click.option("--seed", default=0, show_default=True, type=int)
def run(
    refs: Path | None,
    intent: str,
    out: Path,
    profile_path: Path | None,
    max_iterations: int,
    threshold: float,
    gate_low: float,
    candidates: int,
    gate_policy: str,
    gate_note: str,
    strength: str | None,
    weights: str | None,
    aspect: str,
    image_size: str,
    seed: int,
) -> None:
    """Run generate → critique → revise headless and save every iteration."""
    if not intent.strip():
        raise click.ClickException("--intent must not be empty.")
    settings = _loop_settings(max_iterations, threshold, gate_low, candidates)
    note = _gate_note(gate_note, gate_policy)
    shape = _shape(aspect, image_size, refs if profile_path is None else None)
    engine = _engine()
    profile, references, names = _taste(engine, refs, profile_path)
    profile = _with_controls(profile, strength, weights)
    out.mkdir(parents=True, exist_ok=True)
    record = RunRecord(
        out, engine, intent, profile, heaviest_first(names, profile.style.weights), shape
    )
    answer = GATE_ANSWERS[gate_policy]

    def at_gate(_record: IterationRecord) -> GateAnswer | None:
        record.add_gate(gate_policy, note or None)
        return GateAnswer(answer, note or None) if answer is not None else None

    def on_note(_record: IterationRecord, words: str, revision: NoteRevision) -> None:
        record.add_note_effect(revision)
        click.echo(f"Your note: {words}")
        for line in revision.acted_on:
            click.echo(f"  acted on: {line}")
        if revision.not_understood:
            click.echo(f"  not acted on: {', '.join(revision.not_understood)}")

    def on_iteration(iteration: IterationRecord, _state: LoopState) -> None:
        record.add_iteration(iteration)
        click.echo(format_critique(iteration.index, iteration.critique))

    started = time.perf_counter()
    try:
        result = run_loop(
            intent,
            profile,
            engine.generator,
            engine.critic,
            settings,
            state=LoopState(0, initial_prompt(intent, profile)),
            gate=at_gate,
            on_iteration=on_iteration,
            seed=seed,
            references=references,
            on_note=on_note,
            shape=shape,
        )
    except Exception as exc:  # noqa: BLE001 - a generator failure ends the run with a message
        record.write()
        raise click.ClickException(f"generation failed: {exc}") from None
    path = record.write(result, round(time.perf_counter() - started, 3))
    click.echo(f"\n{result.outcome or result.exit}: score {result.final_score} → {path}")


def _with_controls(
    profile: TasteProfile, strength: str | None, weights: str | None
) -> TasteProfile:
    """The profile under --strength (percent) and --weights, with a clear message when wrong."""
    if strength is None and weights is None:
        return profile
    count = len(profile.measurements.references) if profile.measurements else 0
    given = weights.split(",") if weights is not None else [""] * count
    if weights is not None and not all(_is_number(w) for w in given):
        raise click.ClickException("--weights: give numbers separated by commas.")
    controls, problems = parse_style_controls(
        strength or "", given, default=profile.style, references=count
    )
    if controls is None:
        problem = problems[0]
        flag = "--strength" if problem.kind == "not a number" else "--strength/--weights"
        raise click.ClickException(f"{flag}: {problem.rule}.")
    try:
        return profile.with_style(controls)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise click.ClickException(f"--strength/--weights: {reason}.") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@main.command()
@click.option("--images-api", is_flag=True, help="probe the images.generate endpoint instead")
def probe(images_api: bool) -> None:
    """Ask the configured gateway for a test image and say where the image arrived."""
    from tasteloop.gateway.generator import probe_gateway

    try:
        settings = EngineSettings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.engine != "gateway":
        raise click.ClickException(
            "probe needs a gateway: set BASE_URL and API_KEY (or TASTELOOP_ENGINE=gateway)."
        )
    try:
        if images_api:
            settings = dataclasses.replace(settings, image_endpoint="images")
        report = probe_gateway(settings)
    except Exception as exc:  # noqa: BLE001 - any failure is the probe's answer
        raise click.ClickException(f"probe failed: {exc}") from None
    click.echo(report)


if __name__ == "__main__":
    sys.exit(main())
