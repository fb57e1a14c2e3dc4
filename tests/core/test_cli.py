import json
import shutil

import pytest
from click.testing import CliRunner
from PIL import Image

import tasteloop.cli
from tasteloop.cli import main
from tasteloop.domain.shape import references_aspect
from tests.support.engines import quick_engine
from tests.support.images import png_bytes
from tests.support.refsets import set_dir


@pytest.fixture
def runner(request, monkeypatch):
    """The CLI with the quick engine, or the real offline one for tests marked `real_engine`."""
    monkeypatch.setenv("TASTELOOP_ENGINE", "offline")
    if not request.node.get_closest_marker("real_engine"):
        monkeypatch.setattr(tasteloop.cli, "build_engine", lambda _settings: quick_engine())
    return CliRunner()


def test_extract_prints_and_writes_profile(runner, tmp_path):
    out = tmp_path / "profile.json"
    result = runner.invoke(
        main, ["extract", str(set_dir("geometric-abstraction")), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Principles:" in result.output and "Palette:" in result.output
    data = json.loads(out.read_text())
    assert data["principles"] and data["measurements"]["references"]


def _van_gogh_run(runner, out, *extra):
    """`tasteloop run` on the van Gogh references for "a harbour at dusk", writing to `out`."""
    refs = str(set_dir("van-gogh-swirling-landscapes"))
    return runner.invoke(
        main, ["run", "--refs", refs, "--intent", "a harbour at dusk", "--out", str(out), *extra]
    )


@pytest.mark.real_engine
def test_run_writes_every_iteration_and_run_json(runner, tmp_path):
    out = tmp_path / "run"
    result = _van_gogh_run(
        runner, out, "--max-iterations", "2", "--threshold", "9.9", "--gate-low", "9.8"
    )
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "offline" and run["intent"] == "a harbour at dusk"
    assert len(run["iterations"]) == 2
    first = run["iterations"][0]
    assert [d for d, _ in first["breakdown"]] == [
        "palette_tendency",
        "compositional_style",
        "emotional_register",
        "texture_feel",
        "avoid_list",
    ]
    assert (out / first["image"]).exists()
    assert first["generate_seconds"] > 0 and first["critique_seconds"] > 0
    assert run["iterations"][1]["prompt"] == first["revised_prompt"]
    assert run["result"]["outcome"] == "max_iterations"
    assert (out / "final.png").exists()


def test_run_best_of_three_keeps_every_candidate(runner, tmp_path):
    out = tmp_path / "run"
    args = ["run", "--refs", str(set_dir("geometric-abstraction")), "--intent", "a lighthouse"]
    args += ["--out", str(out), "--max-iterations", "2", "--threshold", "9.9"]
    args += ["--gate-low", "9.8", "--candidates", "3"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    for number, iteration in enumerate(run["iterations"], start=1):
        names = iteration["candidates"]
        assert names == [f"iteration-{number:02d}-c{k}.png" for k in (1, 2, 3)]
        assert all((out / name).exists() for name in names)
        scores = iteration["candidate_scores"]
        assert len(set(scores)) > 1  # different seeds, different images
        assert iteration["score"] == max(scores)
        assert iteration["image"] == names[scores.index(max(scores))]
    assert run["iterations"][1]["prompt"] == run["iterations"][0]["revised_prompt"]


def test_run_rejects_five_candidates(runner, tmp_path):
    args = ["run", "--refs", str(set_dir("geometric-abstraction")), "--intent", "x"]
    result = runner.invoke(main, [*args, "--out", str(tmp_path), "--candidates", "5"])
    assert result.exit_code != 0 and "candidates" in result.output.lower()


def test_run_with_profile_file_and_gate_stop(runner, tmp_path):
    profile = tmp_path / "p.json"
    runner.invoke(
        main, ["extract", str(set_dir("monochrome-ink-and-etching")), "--out", str(profile)]
    )
    out = tmp_path / "run"
    result = runner.invoke(
        main,
        [
            "run",
            "--profile",
            str(profile),
            "--intent",
            "a pier",
            "--out",
            str(out),
            "--threshold",
            "9.9",
            "--gate-low",
            "0.1",
            "--gate",
            "stop",
        ],
    )
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["result"]["outcome"] == "at_gate" and len(run["iterations"]) == 1


@pytest.mark.parametrize("count", [2, 6])
def test_run_rejects_wrong_image_count(runner, tmp_path, count):
    refs = tmp_path / "refs"
    refs.mkdir()
    for i in range(count):
        (refs / f"{i}.png").write_bytes(png_bytes())
    result = runner.invoke(
        main, ["run", "--refs", str(refs), "--intent", "x", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code != 0
    assert f"3 to 5 reference images; found {count}" in result.output


def test_run_rejects_missing_dir(runner, tmp_path):
    result = runner.invoke(
        main,
        ["run", "--refs", str(tmp_path / "nope"), "--intent", "x", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code != 0 and "not a folder" in result.output


def test_run_rejects_unreadable_image(runner, tmp_path):
    refs = tmp_path / "refs"
    shutil.copytree(set_dir("geometric-abstraction"), refs)
    (refs / "zz_broken.png").write_text("not really a png")
    result = runner.invoke(
        main, ["run", "--refs", str(refs), "--intent", "x", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code != 0
    assert "zz_broken.png" in result.output and "not an image" in result.output


def test_run_rejects_bad_thresholds(runner, tmp_path):
    result = runner.invoke(
        main,
        [
            "run",
            "--refs",
            str(set_dir("geometric-abstraction")),
            "--intent",
            "x",
            "--out",
            str(tmp_path / "o"),
            "--threshold",
            "6",
            "--gate-low",
            "7",
        ],
    )
    assert result.exit_code != 0 and "must be lower than “Converge at”" in result.output


def test_gateway_without_key_is_one_sentence(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("TASTELOOP_ENGINE", "gateway")
    monkeypatch.delenv("API_KEY", raising=False)
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:9")
    result = runner.invoke(main, ["extract", str(set_dir("geometric-abstraction"))])
    assert result.exit_code != 0
    assert "API_KEY is not set" in result.output and "Traceback" not in result.output


def test_a_gate_note_steers_the_next_prompt_and_is_in_run_json(runner, tmp_path):
    out = tmp_path / "run"
    args = ["run", "--refs", str(set_dir("van-gogh-swirling-landscapes"))]
    args += ["--intent", "a harbour at dusk", "--out", str(out), "--max-iterations", "2"]
    args += ["--threshold", "9.9", "--gate-low", "0.1", "--gate", "continue"]
    result = runner.invoke(main, [*args, "--gate-note", "much warmer, fewer boats"])
    assert result.exit_code == 0, result.output
    assert "Your note: much warmer, fewer boats" in result.output
    assert "not acted on: boats" in result.output
    first, second = json.loads((out / "run.json").read_text())["iterations"]
    gate = first["gate"]
    assert gate["decision"] == "continue" and gate["note"] == "much warmer, fewer boats"
    assert gate["note_effect"]["prompt"] == second["prompt"]
    assert "warmth +4" in second["prompt"] and gate["note_effect"]["not_understood"] == ["boats"]


def test_a_gate_note_needs_keep_iterating(runner, tmp_path):
    result = runner.invoke(
        main,
        ["run", "--profile", str(tmp_path / "p.json"), "--intent", "x", "--out", str(tmp_path)]
        + ["--gate", "approve", "--gate-note", "warmer"],
    )
    assert result.exit_code != 0 and "--gate-note goes with --gate continue" in result.output


def _styled_run(runner, out, *extra):
    return _van_gogh_run(runner, out, "--max-iterations", "1", *extra)


@pytest.mark.real_engine
def test_run_takes_strength_and_weights(runner, tmp_path):
    result = _styled_run(runner, tmp_path / "a", "--strength", "60", "--weights", "1,0,2,1")
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "a" / "run.json").read_text())
    assert run["profile"]["style"] == {"strength": 0.6, "weights": [1.0, 0.0, 2.0, 1.0]}
    assert "learned style" in run["iterations"][0]["evidence"]
    # in the order they go to painter and critic: heaviest first, the one weighted 0 left out
    files = sorted(p.name for p in set_dir("van-gogh-swirling-landscapes").glob("*.jpg"))
    assert run["references"] == [files[2], files[0], files[3]]
    plain = _styled_run(runner, tmp_path / "b")
    assert plain.exit_code == 0, plain.output
    assert (tmp_path / "a" / "iteration-01.png").read_bytes() != (
        tmp_path / "b" / "iteration-01.png"
    ).read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strength", "120"], "between 0 and 100 %"),
        (["--strength", "much"], "--strength: give a percentage from 0 to 100."),
        (["--weights", "1,1"], "one weight per reference (4 references, 2 weights)"),
        (["--weights", "1,x,1,1"], "--weights: give numbers separated by commas."),
        (["--weights", "1,3,1,1"], "between 0 and 2"),
        (["--weights", "0,0,0,0"], "above 0"),
    ],
)
def test_run_refuses_bad_strength_or_weights_with_a_message(runner, tmp_path, extra, message):
    result = _styled_run(runner, tmp_path / "bad", *extra)
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "bad" / "run.json").exists()


def test_run_paints_at_the_asked_shape_and_run_json_records_it(runner, tmp_path):
    out = tmp_path / "wide"
    result = _van_gogh_run(runner, out, "--max-iterations", "1", "--aspect", "16:9")
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["shape"] == {"aspect": "16:9", "size": "1K"}
    width, height = Image.open(out / run["iterations"][0]["image"]).size
    assert width > height
    result = _van_gogh_run(
        runner, tmp_path / "refs", "--max-iterations", "1", "--aspect", "references"
    )
    assert result.exit_code == 0, result.output
    shape = json.loads((tmp_path / "refs" / "run.json").read_text())["shape"]
    files = sorted(set_dir("van-gogh-swirling-landscapes").glob("*.jpg"))
    assert shape["aspect"] == references_aspect([Image.open(f).size for f in files])


def test_run_refuses_a_size_the_engine_cannot_paint_before_anything(runner, tmp_path):
    out = tmp_path / "big"
    result = _van_gogh_run(runner, out, "--size", "4K")
    assert result.exit_code != 0
    assert "The sketch engine paints at 1K only" in result.output
    assert not out.exists()
    result = _van_gogh_run(runner, out, "--aspect", "7:5")
    assert result.exit_code != 0 and "7:5" in result.output
