"""The gateway critic judges the subject apart from the taste: the intent broken into yes/no
questions once, each picture's answers weighed by P("yes") from token log-probabilities where
the gateway returns them, every call metered."""

from __future__ import annotations

import math

import pytest

from tasteloop.domain.engine import Brief
from tasteloop.domain.prompts import initial_prompt
from tasteloop.domain.run_settings import LoopSettings, Verdict, verdict
from tasteloop.gateway import subject as gateway_subject
from tasteloop.gateway.engine import gateway_engine
from tasteloop.gateway.subject import yes_probabilities
from tests.support.gateway_server import FakeGateway, settings_for
from tests.support.profiles import extracted
from tests.support.refsets import load_set


@pytest.fixture
def gateway():
    server = FakeGateway(render_size=256).start()
    yield server
    server.stop()


@pytest.fixture
def profile():
    return extracted(load_set("van-gogh-swirling-landscapes")[:3])


def _painted(engine, profile, intent):
    return engine.generator.generate(initial_prompt(intent, profile))


def test_a_picture_judged_for_another_intent_fails_the_subject(gateway, profile):
    engine = gateway_engine(settings_for(gateway))
    picture = _painted(engine, profile, "a harbour at dusk")
    own = engine.critic.critique(picture, "p", Brief(profile, "a harbour at dusk")).result
    assert own.subject.present and own.subject.shown_parts == ["harbour", "dusk"]
    assert all(p.confidence == pytest.approx(0.93) for p in own.subject.parts)
    assert "log-probabilities" in own.subject.judged_by

    swapped = engine.critic.critique(
        picture, "p", Brief(profile, "a portrait of an old fisherman")
    ).result
    assert not swapped.subject.present
    assert "fisherman" in swapped.subject.missing_parts
    # its own sentence first: the model's reasoning starts a sentence of its own
    assert swapped.reasoning.startswith("The picture does not show portrait, old, fisherman. ")
    assert swapped.revised_prompt.startswith("Show clearly:")
    high = swapped.model_copy(update={"score": 9.9})
    assert verdict(high, LoopSettings()) is not Verdict.CONVERGED


def test_the_questions_are_asked_once_per_intent_and_every_call_is_metered(gateway, profile):
    engine = gateway_engine(settings_for(gateway))
    intent = "a river under the sun, once"
    picture = _painted(engine, profile, intent)
    first = engine.critic.critique(picture, "p", Brief(profile, intent))
    second = engine.critic.critique(picture, "p", Brief(profile, intent))
    assert len(gateway.calls("subject_questions")) == 1
    assert len(gateway.calls("subject")) == 2
    assert [u.role for u in first.usage].count("subject") == 2  # the questions and the answers
    assert [u.role for u in second.usage].count("subject") == 1
    assert all(u.cost_usd and u.cost_usd > 0 for u in first.usage)
    # the intent travels as quoted data, never as instructions
    assert '"a river under the sun, once"' in gateway.calls("subject_questions")[0].text


def test_without_log_probabilities_the_models_word_decides(gateway, profile, monkeypatch):
    monkeypatch.setattr(gateway_subject, "_no_logprobs", set())
    gateway.rejects_logprobs = True
    engine = gateway_engine(settings_for(gateway))
    picture = _painted(engine, profile, "a harbour at dusk")
    result = engine.critic.critique(picture, "p", Brief(profile, "a harbour at dusk")).result
    assert result.subject.present
    assert all(p.confidence is None for p in result.subject.parts)
    assert "log-probabilities" not in result.subject.judged_by
    # remembered: the next check does not ask for them again
    asked = len(gateway.calls("subject"))
    engine.critic.critique(picture, "p", Brief(profile, "a harbour at dusk"))
    assert len(gateway.calls("subject")) == asked + 1
    assert "logprobs" not in gateway.calls("subject")[-1].body


def test_a_failed_subject_check_leaves_it_unchecked_and_the_taste_scored(gateway, profile):
    engine = gateway_engine(settings_for(gateway, max_retries=1))
    picture = _painted(engine, profile, "a harbour at dusk")
    gateway.fail_next("500", role="subject")
    result = engine.critic.critique(picture, "p", Brief(profile, "a harbour at dusk")).result
    assert result.score > 0 and not result.subject.present
    assert result.subject.unchecked_parts
    assert "could not be checked" in result.subject.parts[0].reason
    assert verdict(result.model_copy(update={"score": 9.9}), LoopSettings()) is Verdict.GATE


def _token(text, logprob=-0.01, top=()):
    return {"token": text, "logprob": logprob, "top_logprobs": [dict(t) for t in top]}


def test_yes_probabilities_line_up_with_the_answers_however_the_reply_is_split():
    yes, no = math.log(0.8), math.log(0.2)
    reply = {
        "choices": [
            {
                "logprobs": {
                    "content": [
                        _token('{"answers": [{"part": "sea", "answer": "'),
                        _token(
                            "Yes",
                            yes,
                            [{"token": "Yes", "logprob": yes}, {"token": " no", "logprob": no}],
                        ),
                        _token('", "reason": "waves"}, {"part": "boat", "answer":'),
                        _token(' "'),
                        _token("no", math.log(0.7)),  # no alternatives: its own probability
                        _token('"}]}'),
                    ]
                }
            }
        ]
    }
    assert yes_probabilities(reply, 2) == [pytest.approx(0.8), pytest.approx(0.3)]
    assert yes_probabilities(reply, 3) == [None, None, None]  # cannot be lined up
    assert yes_probabilities({"choices": [{"logprobs": None}]}, 2) == [None, None]
