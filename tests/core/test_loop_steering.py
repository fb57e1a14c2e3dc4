"""The loop's new inputs: references to painter and critic, pairwise choice of the best image,
and a person's note at the gate (scripted collaborators; the wire is tested elsewhere)."""

from tasteloop.domain.engine import Brief, GeneratedImage
from tasteloop.domain.outcomes import GateDecision, Outcome
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.loop import GateAnswer, LoopState, revise_with_note, run_loop
from tests.support.fakes import ScriptedCritic, ScriptedGenerator
from tests.support.profiles import make_profile

PROFILE = make_profile()
REFS = (b"ref-1", b"ref-2", b"ref-3")
NEVER_CONVERGE = LoopSettings(max_iterations=3, threshold=9.5, gate_low=9.0)


def loop(critic, generator=None, settings=NEVER_CONVERGE, **kwargs):
    generator = generator or ScriptedGenerator()
    result = run_loop(
        "a harbour at dusk",
        PROFILE,
        generator,
        critic,
        settings,
        state=LoopState(0, "p0"),
        references=REFS,
        **kwargs,
    )
    return result, generator


def test_painter_and_critic_get_the_references_and_the_best_image_so_far():
    critic = ScriptedCritic([5.0, 4.0, 3.0])
    result, generator = loop(critic)
    assert all(inputs.references == REFS for inputs in generator.inputs)
    assert critic.references_seen == [REFS] * 3
    # nothing to edit at first; then the best so far (iteration 1 stays best: lower scores)
    assert [inputs.edit_from for inputs in generator.inputs] == [None, b"image-1", b"image-1"]
    assert result.state.best_index == 0


def test_agreeing_pairwise_answers_choose_the_best_even_against_the_scores():
    # iteration 2 scores lower, yet both swapped asks prefer it: it becomes the best
    critic = ScriptedCritic(
        [5.0, 4.0, 6.0], verdicts=[("candidate", "candidate"), ("best", "best")]
    )
    result, _ = loop(critic)
    second, third = result.iterations[1], result.iterations[2]
    assert second.replaces_best and second.comparison.agreed == "candidate"
    assert not third.replaces_best  # a higher score, but both answers kept the best
    assert result.state.best_index == 1 and result.final_index == 1
    assert critic.compared == [(b"image-2", b"image-1"), (b"image-3", b"image-2")]


def test_a_split_verdict_keeps_the_best():
    critic = ScriptedCritic(
        [5.0, 7.0, 4.0], verdicts=[("candidate", "best"), ("best", "candidate")]
    )
    result, _ = loop(critic)
    assert [it.replaces_best for it in result.iterations] == [True, False, False]
    assert result.iterations[1].comparison.agreed is None
    assert result.final_index == 0


def test_without_a_pairwise_verdict_the_higher_score_wins():
    critic = ScriptedCritic([5.0, 7.0, 4.0], verdicts=[None, None])  # comparisons fail
    result, _ = loop(critic)
    assert [it.replaces_best for it in result.iterations] == [True, True, False]
    assert "timed out" in result.iterations[1].comparison.error
    assert result.final_index == 1


def test_a_failed_critique_is_never_compared():
    critic = ScriptedCritic([5.0, None, 4.0], verdicts=[("candidate", "candidate")])
    result, _ = loop(critic)
    assert result.iterations[1].comparison is None and not result.iterations[1].replaces_best
    assert critic.compared == [(b"image-3", b"image-1")]


class RefusingGenerator(ScriptedGenerator):
    """A provider that took the text alone the first time it was sent images."""

    def generate(self, prompt, *, seed=0, inputs=None):
        image = super().generate(prompt, seed=seed, inputs=inputs)
        if inputs.references or inputs.edit_from:
            return GeneratedImage(image.data, inputs_refused="HTTP 400: no image input")
        return image


def test_after_a_refusal_the_run_sends_text_only():
    critic = ScriptedCritic([5.0, 4.0, 3.0])
    result, generator = loop(critic, RefusingGenerator())
    assert generator.inputs[0].references == REFS
    assert all(not i.references and i.edit_from is None for i in generator.inputs[1:])
    assert result.state.inputs_refused == "HTTP 400: no image input"
    # a resumed run remembers it
    assert result.state.generation_inputs(REFS, PROFILE).references == ()


def test_a_gate_note_revises_the_next_prompt():
    critic = ScriptedCritic([6.5, 9.8])
    notes = []
    result, generator = loop(
        critic,
        settings=LoopSettings(max_iterations=3),
        gate=lambda _r: GateAnswer(GateDecision.CONTINUE, "warmer, fewer boats"),
        on_note=lambda record, note, revision: notes.append((record.index, note, revision)),
    )
    assert result.outcome is Outcome.CONVERGED
    assert critic.notes == [("revised after image-1", "warmer, fewer boats")]
    assert generator.prompts[1] == "revised after image-1 + warmer, fewer boats"
    assert notes[0][:2] == (0, "warmer, fewer boats")


def test_a_failing_reviser_keeps_the_note_word_for_word():
    revision = revise_with_note(ScriptedCritic([]), "a pier", "explode", Brief(PROFILE, "a pier"))
    assert "reviser down" in revision.error
    assert revision.prompt.startswith("a pier\n") and revision.prompt.endswith("explode")


def test_a_best_whose_critique_failed_is_replaced_without_asking():
    critic = ScriptedCritic([None, 4.0, 3.0], verdicts=[("best", "best")])
    result, _ = loop(critic)
    assert result.iterations[1].comparison is None and result.iterations[1].replaces_best
    assert critic.compared == [(b"image-3", b"image-2")]  # judged from then on
    assert result.final_index == 1


def test_a_stop_is_seen_before_every_provider_call_inside_a_method():
    import pytest

    from tasteloop.gateway.client import call_with_retries
    from tasteloop.stopping import RunStopped, stop_when

    calls = []
    stopped = {"now": False}

    def two_asks():  # like a pairwise comparison: two provider calls in one method
        for k in range(2):
            call_with_retries(lambda k=k: calls.append(k), attempts=1, what="ask")
            stopped["now"] = True  # the person presses Stop during the first ask

    with stop_when(lambda: stopped["now"]), pytest.raises(RunStopped):
        two_asks()
    assert calls == [0]
    call_with_retries(lambda: calls.append("outside"), attempts=1, what="ask")
    assert calls == [0, "outside"]  # no stop check outside the run's context
