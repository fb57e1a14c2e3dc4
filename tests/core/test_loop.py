import pytest

from tasteloop.domain.outcomes import GateDecision, Outcome
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.loop import LoopExit, LoopState, run_loop
from tests.support.fakes import ScriptedCritic, ScriptedGenerator
from tests.support.profiles import make_profile

PROFILE = make_profile()


def start(prompt="p0"):
    return LoopState(next_index=0, prompt=prompt)


def run(scores, *, gate=None, settings=None, state=None, generator=None, shown=None):
    generator = generator or ScriptedGenerator()
    critic = ScriptedCritic(scores, shown=shown)
    kwargs = {"gate": gate} if gate else {}
    result = run_loop(
        "a harbour at dusk",
        PROFILE,
        generator,
        critic,
        settings or LoopSettings(),
        state=state or start(),
        **kwargs,
    )
    return result, generator, critic


def test_defaults():
    s = LoopSettings()
    assert (s.threshold, s.gate_low, s.max_iterations) == (8.0, 6.0, 5)


@pytest.mark.parametrize("low,threshold", [(8.0, 8.0), (9.0, 8.0)])
def test_gate_low_not_below_threshold_is_rejected(low, threshold):
    with pytest.raises(ValueError, match="must be lower than “Converge at”"):
        LoopSettings(threshold=threshold, gate_low=low)


def test_converges_on_threshold_score():
    result, generator, _ = run([3.0, 8.0, 9.9])
    assert result.outcome is Outcome.CONVERGED and result.converged
    assert result.final_index == 1 and result.final_score == 8.0
    assert result.final_image == b"image-2"
    # the second prompt is the critic's revision of the first
    assert generator.prompts == ["p0", "revised after image-1"]


def test_a_high_score_without_the_subject_keeps_iterating_until_it_shows():
    """9.5 in taste but the harbour is not in the picture: not converged, not even the gate; the
    revision runs and the first picture that shows it converges, and it is the one kept."""
    result, generator, critic = run([9.5, 8.5], shown=[False, True])
    assert result.outcome is Outcome.CONVERGED and critic.calls == 2
    assert result.final_index == 1 and result.final_image == b"image-2"
    assert generator.prompts == ["p0", "revised after image-1"]


def test_a_subject_that_never_shows_never_converges():
    result, _, _ = run([9.5, 9.6, 9.7], shown=[False] * 3, settings=LoopSettings(max_iterations=3))
    assert result.outcome is not Outcome.CONVERGED and not result.converged


def test_every_iteration_paints_with_the_same_seeds_while_the_prompt_changes():
    _, generator, _ = run([3.0, 4.0, 5.0], settings=LoopSettings(max_iterations=3))
    assert generator.seeds == [0, 0, 0]


def test_a_prompt_painted_again_gets_new_seeds():
    """A critic with nothing to change leaves the prompt as it was: painted with the same seeds
    the picture would repeat itself, so each repeat is painted with new ones (a variation)."""
    generator = ScriptedGenerator()
    critic = ScriptedCritic([9.5] * 4, shown=[False] * 4, revises=False)
    result = run_loop(
        "a cat",
        PROFILE,
        generator,
        critic,
        LoopSettings(max_iterations=4),
        state=start(),
        seed=7,
    )
    assert generator.prompts == ["p0"] * 4 and generator.seeds == [7, 8, 9, 10]
    assert [record.repeats for record in result.iterations] == [0, 1, 2, 3]
    assert result.state.painted_before == 4
    # resumed from a saved state (a pause at the gate), the count carries on
    resumed = ScriptedGenerator()
    run_loop(
        "a cat",
        PROFILE,
        resumed,
        ScriptedCritic([9.5], shown=[False], revises=False),
        LoopSettings(max_iterations=5),
        state=result.state,
        seed=7,
    )
    assert resumed.seeds == [11]


def test_a_note_that_changes_the_prompt_is_painted_with_the_runs_own_seeds():
    from tasteloop.loop import GateAnswer

    generator = ScriptedGenerator()
    critic = ScriptedCritic([7.0, 7.0, 7.0], revises=False)
    answers = iter([GateAnswer(GateDecision.CONTINUE), GateAnswer(GateDecision.CONTINUE, "warmer")])
    run_loop(
        "a cat",
        PROFILE,
        generator,
        critic,
        LoopSettings(max_iterations=3),
        state=start(),
        gate=lambda record: next(answers, None),
    )
    assert generator.seeds == [0, 1, 0]
    assert generator.prompts[:2] == ["p0", "p0"] and generator.prompts[2] != "p0"


def test_gate_approve_finishes_with_gated_image():
    seen = []

    def gate(record):
        seen.append(record.score)
        return GateDecision.APPROVE

    result, _, _ = run([2.0, 7.0], gate=gate)
    assert seen == [7.0]
    assert result.outcome is Outcome.APPROVED and result.human_approved
    assert result.final_image == b"image-2"


def test_gate_continue_uses_revised_prompt():
    result, generator, _ = run([6.5, 8.5], gate=lambda r: GateDecision.CONTINUE)
    assert generator.prompts == ["p0", "revised after image-1"]
    assert result.outcome is Outcome.CONVERGED


def test_gate_pause_returns_resumable_state():
    result, generator, _ = run([1.0, 6.0, 9.0], gate=lambda r: None)
    assert result.exit is LoopExit.AT_GATE and result.outcome is None
    assert len(generator.prompts) == 2
    state = result.state
    assert state.next_index == 2
    assert state.prompt == "revised after image-2"
    assert state.best_index == 1 and state.best_score == 6.0 and state.best_image == b"image-2"
    assert result.final_image is None


def test_resume_continues_from_saved_state_and_respects_cap():
    saved = LoopState(
        next_index=3, prompt="resumed", best_index=1, best_score=6.0, best_image=b"old-best"
    )
    result, generator, _ = run([2.0, 3.0, 4.0], state=saved)
    # max 5 iterations in total: only indexes 3 and 4 run
    assert generator.prompts == ["resumed", "revised after image-1"]
    assert [r.index for r in result.iterations] == [3, 4]
    assert result.outcome is Outcome.MAX_ITERATIONS
    assert result.final_image == b"old-best" and result.final_index == 1


def test_critic_failure_is_a_zero_iteration_and_loop_goes_on():
    result, generator, _ = run([None, 9.0])
    failed = result.iterations[0]
    assert failed.score == 0.0
    assert set(failed.critique.breakdown.values()) == {0.0}
    assert failed.critique.reasoning.startswith("Critic failed: ")
    assert "timed out" in failed.critique.reasoning
    assert failed.critic_error is not None
    # the same prompt is tried again
    assert generator.prompts == ["p0", "p0"]
    assert result.outcome is Outcome.CONVERGED


def test_generator_failure_propagates_after_recorded_iterations():
    recorded = []
    generator = ScriptedGenerator(fail_at=1)
    with pytest.raises(RuntimeError, match="provider down"):
        run_loop(
            "x",
            PROFILE,
            generator,
            ScriptedCritic([3.0, 3.0]),
            LoopSettings(),
            state=start(),
            on_iteration=lambda rec, st: recorded.append(rec.index),
        )
    assert recorded == [0]


def test_cap_returns_best_not_last():
    result, _, _ = run([2.0, 5.5, 4.0, 1.0, 3.0])
    assert result.outcome is Outcome.MAX_ITERATIONS
    assert len(result.iterations) == 5
    assert result.final_index == 1 and result.final_score == 5.5
    assert result.final_image == b"image-2"


def test_scores_below_gate_never_ask_the_gate():
    asked = []
    run([5.9, 1.0, 0.0, 5.0, 2.0], gate=lambda r: asked.append(r) or GateDecision.APPROVE)
    assert asked == []


def test_on_iteration_sees_every_iteration_with_state():
    seen = []
    run_loop(
        "x",
        PROFILE,
        ScriptedGenerator(),
        ScriptedCritic([1.0, 2.0, 8.0]),
        LoopSettings(),
        state=start(),
        on_iteration=lambda rec, st: seen.append((rec.index, st.next_index, st.best_score)),
    )
    assert seen == [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 8.0)]


def test_best_of_n_keeps_all_candidates_and_chooses_best():
    critic = ScriptedCritic([3.0, 7.5, 5.0, 8.5])
    result = run_loop(
        "x",
        PROFILE,
        ScriptedGenerator(),
        critic,
        LoopSettings(candidates=4),
        state=start(),
    )
    record = result.iterations[0]
    assert len(record.candidates) == 4
    assert record.score == 8.5
    assert result.outcome is Outcome.CONVERGED
