"""The `tasteloop` command: extract a profile, run the loop headless, probe a gateway."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import click
from pydantic import ValidationError

from tasteloop.config import ConfigError, EngineSettings, load_env
from tasteloop.domain.engine import Engine, NoteRevision
from tasteloop.domain.profile import (
    CRITIQUE_DIMENSIONS,
    StyleControls,
    TasteProfile,
    format_critique,
    initial_prompt,
)
from tasteloop.domain.profile_file import ProfileFileError, read_profile_file
from tasteloop.domain.text import clean_text
from tasteloop.images import ImageError, reencode_upload
from tasteloop.loop import (
    MAX_GATE_NOTE,
    GateAnswer,
    GateDecision,
    IterationRecord,
    LoopSettings,
    LoopState,
    run_loop,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


def _engine() -> Engine:
    from tasteloop.engines import build_engine

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
    if not 3 <= len(files) <= 5:
        raise click.ClickException(
            f"tasteloop needs 3 to 5 reference images; found {len(files)}"
            + (f" in {', '.join(str(p) for p in paths)}." if paths else ".")
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
@click.option("--max-iterations", default=5, show_default=True, type=int)
@click.option("--threshold", default=8.0, show_default=True, type=float)
@click.option("--gate-low", default=6.0, show_default=True, type=float)
@click.option("--candidates", default=1, show_default=True, type=int, help="best-of-N, 1-4")
@click.option(
    "--gate",
    "gate_policy",
    type=click.Choice(["approve", "continue", "stop"]),
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
    seed: int,
) -> None:
    """Run generate → critique → revise headless and save every iteration."""
    if not intent.strip():
        raise click.ClickException("--intent must not be empty.")
    try:
        settings = LoopSettings(max_iterations, threshold, gate_low, candidates)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if profile_path is None and refs is None:
        raise click.ClickException("give --refs DIR (3-5 images) or --profile profile.json.")
    note = clean_text(gate_note).strip()
    if note and gate_policy != "continue":
        raise click.ClickException("--gate-note goes with --gate continue.")
    if len(note) > MAX_GATE_NOTE:
        raise click.ClickException(f"--gate-note: keep it to {MAX_GATE_NOTE} characters.")
    engine = _engine()
    references: tuple[bytes, ...] = ()
    reference_names: list[str] = []
    if profile_path is not None:
        try:
            profile = read_profile_file(profile_path.read_bytes())
        except (OSError, ProfileFileError) as exc:
            raise click.ClickException(f"{profile_path}: {exc}") from None
    else:
        assert refs is not None
        if not refs.is_dir():
            raise click.ClickException(f"{refs} is not a folder of reference images.")
        files = reference_files([refs])
        reference_names = [f.name for f in files]
        references = tuple(read_references(files))
        profile = engine.extractor.extract(list(references)).profile
    profile = _with_controls(profile, strength, weights)
    if reference_names and profile.style.weights:
        reference_names = _heaviest_first(reference_names, profile.style.weights)
    out.mkdir(parents=True, exist_ok=True)
    decision = {
        "approve": GateDecision.APPROVE,
        "continue": GateDecision.CONTINUE,
        "stop": GateDecision.PAUSE,
    }[gate_policy]
    records: list[dict[str, object]] = []

    def at_gate(_record: IterationRecord) -> GateAnswer:
        records[-1]["gate"] = {"decision": gate_policy, "note": note or None}
        return GateAnswer(decision, note or None)

    def on_note(_record: IterationRecord, _note: str, revision: NoteRevision) -> None:
        records[-1]["gate"]["note_effect"] = {"prompt": revision.prompt, **revision.to_dict()}  # type: ignore[index]
        click.echo(f"Your note: {_note}")
        for line in revision.acted_on:
            click.echo(f"  acted on: {line}")
        if revision.not_understood:
            click.echo(f"  not acted on: {', '.join(revision.not_understood)}")

    def on_iteration(record: IterationRecord, _state: LoopState) -> None:
        names = []
        for k, candidate in enumerate(record.candidates):
            suffix = "" if len(record.candidates) == 1 else f"-c{k + 1}"
            name = f"iteration-{record.index + 1:02d}{suffix}.png"
            (out / name).write_bytes(candidate.image.data)
            names.append(name)
        click.echo(format_critique(record.index, record.critique))
        records.append(_iteration_json(record, names))

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
        )
    except Exception as exc:  # noqa: BLE001 - generator failures end the run with a message
        _write_run_json(out, engine, intent, profile, reference_names, records, None)
        raise click.ClickException(f"generation failed: {exc}") from None
    final_name = None
    if result.final_image is not None:
        final_name = "final.png"
        (out / final_name).write_bytes(result.final_image)
    summary = {
        "outcome": result.outcome.value,
        "final_image": final_name,
        "final_iteration": None if result.final_index is None else result.final_index + 1,
        "score": result.final_score,
        "iterations": len(result.iterations),
        "converged": result.converged,
        "human_approved": result.human_approved,
        "seconds": round(time.perf_counter() - started, 3),
    }
    _write_run_json(out, engine, intent, profile, reference_names, records, summary)
    click.echo(f"\n{result.outcome.value}: score {result.final_score} → {out / 'run.json'}")


def _iteration_json(record: IterationRecord, names: list[str]) -> dict[str, object]:
    chosen = record.best
    return {
        "iteration": record.index + 1,
        "prompt": record.prompt,
        "score": record.score,
        "breakdown": [[d, record.critique.breakdown[d]] for d in CRITIQUE_DIMENSIONS],
        "reasoning": record.critique.reasoning,
        "revised_prompt": record.critique.revised_prompt,
        "critic_error": record.critic_error,
        "evidence": chosen.evidence,
        "image": names[record.chosen],
        "candidates": names,
        "candidate_scores": [c.critique.score for c in record.candidates],
        "generate_seconds": round(chosen.generate_seconds, 4),
        "critique_seconds": round(chosen.critique_seconds, 4),
        "usage": [u.to_dict() for u in record.usage],
        "generation": {
            "references_sent": chosen.image.references_sent,
            "edited": chosen.image.edited,
            "inputs_refused": chosen.image.inputs_refused,
        },
        "comparison": record.comparison.to_dict() if record.comparison else None,
        "became_best": record.replaces_best,
    }


def _with_controls(
    profile: TasteProfile, strength: str | None, weights: str | None
) -> TasteProfile:
    """The profile under --strength (percent) and --weights, with a clear message when wrong."""
    if strength is None and weights is None:
        return profile
    controls = profile.style.model_copy()
    if strength is not None:
        try:
            controls.strength = float(strength.strip().rstrip("%")) / 100
        except ValueError:
            raise click.ClickException("--strength: give a percentage from 0 to 100.") from None
    if weights is not None:
        try:
            controls.weights = [float(w) for w in weights.split(",")]
        except ValueError:
            raise click.ClickException("--weights: give numbers separated by commas.") from None
    try:
        return profile.with_style(StyleControls.model_validate(controls.model_dump()))
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise click.ClickException(f"--strength/--weights: {reason}.") from None


def _heaviest_first(names: list[str], weights: list[float]) -> list[str]:
    if len(names) != len(weights):
        return names
    order = sorted(range(len(names)), key=lambda i: -weights[i])
    return [names[i] for i in order if weights[i] > 0]


def _write_run_json(
    out: Path,
    engine: Engine,
    intent: str,
    profile: TasteProfile,
    references: list[str],
    records: list[dict[str, object]],
    result: dict[str, object] | None,
) -> None:
    payload = {
        "engine": engine.name,
        "models": engine.models,
        "intent": intent,
        # in the order they go to painter and critic; an iteration's `generation` says how many
        # of them its request carried
        "references": references,
        "profile": profile.model_dump(exclude={"measurements"}),
        "iterations": records,
        "result": result,
    }
    (out / "run.json").write_text(json.dumps(payload, indent=2))


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
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(f"probe failed: {exc}") from None
    click.echo(report)


if __name__ == "__main__":
    sys.exit(main())
