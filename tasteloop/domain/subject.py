"""Whether a picture shows what the person asked for: the intent's parts, each shown or not.

It is judged apart from the taste: a run converges only when the taste score reaches the
threshold and every part of the intent is shown. A part the engine cannot draw (the offline
sketch engine has no motif for it) is never shown; a part nobody could check is unknown.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_PARTS = 12


class SubjectPart(BaseModel):
    part: str = Field(max_length=120, description="a word or short phrase of the intent")
    shown: bool | None = Field(description="does the picture show it (null: not checked)")
    can_draw: bool = True  # False: this engine has no way to draw it, so it is never shown
    confidence: float | None = Field(None, ge=0, le=1)  # P(shown), where the critic gives one
    reason: str = Field("", max_length=300)


class SubjectVerdict(BaseModel):
    parts: list[SubjectPart] = Field(max_length=MAX_PARTS)
    judged_by: str = Field("", max_length=200)  # what looked: the layout, or a vision model

    @property
    def present(self) -> bool:
        """Every part of the intent is shown."""
        return bool(self.parts) and all(p.shown is True for p in self.parts)

    @property
    def shown_parts(self) -> list[str]:
        return [p.part for p in self.parts if p.shown is True]

    @property
    def missing_parts(self) -> list[str]:
        return [p.part for p in self.parts if p.shown is False]

    @property
    def undrawable_parts(self) -> list[str]:
        return [p.part for p in self.parts if not p.can_draw]

    @property
    def unchecked_parts(self) -> list[str]:
        return [p.part for p in self.parts if p.shown is None]

    @property
    def fixable(self) -> bool:
        """A revision could bring a missing part in (it can be drawn, and is not there yet)."""
        return any(p.shown is False and p.can_draw for p in self.parts)

    @property
    def shown_share(self) -> float:
        return len(self.shown_parts) / len(self.parts) if self.parts else 0.0

    def summary(self) -> str:
        """ "shows: harbour, boats · missing: lighthouse", in the intent's own words."""
        pieces = []
        if self.shown_parts:
            pieces.append("shows: " + ", ".join(self.shown_parts))
        missing = [p for p in self.missing_parts if p not in self.undrawable_parts]
        if missing:
            pieces.append("missing: " + ", ".join(missing))
        if self.undrawable_parts:
            pieces.append("cannot draw: " + ", ".join(self.undrawable_parts))
        if self.unchecked_parts:
            pieces.append("not checked: " + ", ".join(self.unchecked_parts))
        return " · ".join(pieces) or "nothing of the intent could be checked"


class IntentReading(BaseModel):
    """What an engine will make of an intent, said before anything is painted: the parts it
    can draw, those it cannot, and what to do about them."""

    drawable: list[str] = Field(default_factory=list)
    undrawable: list[str] = Field(default_factory=list)
    # words painted as a quality of the whole picture (mood, light), judged with the taste
    qualities: list[str] = Field(default_factory=list)
    judged_by: str = ""  # how the finished picture's subject will be checked
    advice: str = ""  # for the undrawable parts
