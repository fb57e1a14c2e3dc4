"""Database tables. Everything a run needs to survive a restart lives here."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement, false
from sqlalchemy.types import TypeDecorator

from store.states import Outcome, Phase, Stage
from tasteloop.domain.run_settings import LoopSettings
from tasteloop.domain.shape import SQUARE, PictureShape

DEFAULTS = LoopSettings()


def utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite hands out a deleted highest row id again unless the table is AUTOINCREMENT; an id must
# never be reused (a deleted account's cookie, a deleted run's link, a queued turn would name
# someone else's new row). PostgreSQL's sequences never reuse one.
NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


def new_secret() -> str:
    return secrets.token_hex(32)


PUBLIC_ID_MAX = 16


def new_public_id() -> str:
    """A run's name in URLs: 64 random bits, so no run can be found by counting."""
    return secrets.token_urlsafe(8)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class StrEnumColumn(TypeDecorator[Any]):
    """A plain VARCHAR in the database that reads back as the vocabulary's StrEnum member."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum: type[Phase | Stage | Outcome]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.enum(value)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # A random secret in every session's and remember-me cookie's identity: replacing it (logout,
    # password change, disabling the account) makes every cookie issued before invalid, and no
    # other account can ever have it.
    session_token: Mapped[str] = mapped_column(String(64), default=new_secret)
    # the opaque key this person's spending is recorded under (store/spending.py); it outlives
    # the account, so deleting the account and registering again does not reset the month
    spending_key: Mapped[str] = mapped_column(String(64), index=True, default=new_secret)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # an admin's monthly spending limit for this person; None: TASTELOOP_USER_MONTHLY_USD
    monthly_cap_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # Flask-Login protocol, kept here so the web layer needs no wrapper class.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return not self.disabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class Blob(Base):
    """Image bytes, content-addressed by SHA-256 so every web and worker process can read them."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Run(Base):
    __tablename__ = "runs"
    # (user_id, id): a person's history, newest first, a keyset page at a time
    __table_args__ = (Index("ix_runs_user_id_id", "user_id", "id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    # what URLs and pages name the run by; the integer id stays inside
    public_id: Mapped[str] = mapped_column(
        String(PUBLIC_ID_MAX), index=True, unique=True, default=new_public_id
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    phase: Mapped[Phase] = mapped_column(StrEnumColumn(Phase), index=True)
    intent: Mapped[str] = mapped_column(Text, default="")
    engine: Mapped[str] = mapped_column(String(20), default="offline")
    models: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_iterations: Mapped[int] = mapped_column(Integer, default=DEFAULTS.max_iterations)
    threshold: Mapped[float] = mapped_column(Float, default=DEFAULTS.threshold)
    gate_low: Mapped[float] = mapped_column(Float, default=DEFAULTS.gate_low)
    candidates: Mapped[int] = mapped_column(Integer, default=DEFAULTS.candidates)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    # the picture's shape (tasteloop.domain.shape.PictureShape), chosen at confirm
    aspect: Mapped[str] = mapped_column(String(8), default=SQUARE.aspect, server_default="1:1")
    image_size: Mapped[str] = mapped_column(String(4), default=SQUARE.size, server_default="1K")
    # resumable loop state
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    current_prompt: Mapped[str] = mapped_column(Text, default="")
    best_iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iterations.id", use_alter=True, name="fk_runs_best_iteration"), nullable=True
    )
    final_iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iterations.id", use_alter=True, name="fk_runs_final_iteration"), nullable=True
    )
    # the person's "use this one" on a finished run; the loop's own result stays in final
    chosen_iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iterations.id", use_alter=True, name="fk_runs_chosen_iteration"), nullable=True
    )
    # which candidate of that iteration, when the person chose one the critic did not pick
    chosen_candidate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[Outcome | None] = mapped_column(StrEnumColumn(Outcome), nullable=True)
    status_note: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_stage: Mapped[Stage | None] = mapped_column(StrEnumColumn(Stage), nullable=True)
    # one worker at a time: a lease with an expiry, renewed as iterations are committed
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    extract_usage: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # why the image model refused images beside the prompt; the run then sends text only
    inputs_refused: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the person's style controls as confirmed (a copy of the profile's, for listings):
    # strength 0-1, and one weight per reference in upload order (None: all 1)
    style_strength: Mapped[float | None] = mapped_column(Float, nullable=True)
    reference_weights: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    restarted_from_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    # the series it belongs to: several intents started together in one taste (store.series)
    series_key: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    # "more like this": the picture (of another run) this run makes variations of
    varied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "iterations.id", use_alter=True, name="fk_runs_varied_from", ondelete="SET NULL"
        ),
        nullable=True,
    )
    # the library profile version this run started from; the run keeps its own copy of it
    library_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("library_versions.id", ondelete="SET NULL", name="fk_runs_library_version"),
        nullable=True,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship()
    references: Mapped[list[ReferenceImage]] = relationship(
        back_populates="run", order_by="ReferenceImage.position", cascade="all, delete-orphan"
    )
    iterations: Mapped[list[Iteration]] = relationship(
        back_populates="run",
        order_by="Iteration.index",
        cascade="all, delete-orphan",
        foreign_keys="Iteration.run_id",
    )
    profiles: Mapped[list[ProfileVersion]] = relationship(
        back_populates="run", order_by="ProfileVersion.version", cascade="all, delete-orphan"
    )
    gates: Mapped[list[Gate]] = relationship(
        back_populates="run", order_by="Gate.id", cascade="all, delete-orphan"
    )
    library_version: Mapped[LibraryVersion | None] = relationship()
    varied_from: Mapped[Iteration | None] = relationship(foreign_keys=[varied_from_id])

    @property
    def label(self) -> str:
        """How pages and messages name the run: what it makes, in quotes (ids stay in URLs)."""
        return f"“{self.intent}”" if self.intent else "with a new taste"

    @property
    def extracted_version(self) -> ProfileVersion | None:
        """Version 1: what the extractor saw in the references, before any edit."""
        return self.profiles[0] if self.profiles else None

    @property
    def current_version(self) -> ProfileVersion | None:
        """The newest version: the confirmed profile once the run is past confirm."""
        return self.profiles[-1] if self.profiles else None

    @property
    def taste_confirmed(self) -> bool:
        """Past the confirm step with a profile: its taste can be saved, run again or reused."""
        return self.phase.past_confirm and bool(self.profiles)

    @property
    def shape(self) -> PictureShape:
        return PictureShape(self.aspect, self.image_size)

    @hybrid_property
    def result_iteration_id(self) -> int | None:
        """The iteration a run shows as its picture: the person's choice, else the loop's result
        once it has one, else the best so far."""
        return self.chosen_iteration_id or self.final_iteration_id or self.best_iteration_id

    @result_iteration_id.inplace.expression
    @classmethod
    def _result_iteration_id_expression(cls) -> ColumnElement[int | None]:
        return func.coalesce(cls.chosen_iteration_id, cls.final_iteration_id, cls.best_iteration_id)


class ReferenceImage(Base):
    __tablename__ = "reference_images"
    __table_args__ = (UniqueConstraint("run_id", "position"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    blob_sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))

    run: Mapped[Run] = relationship(back_populates="references")


class ProfileVersion(Base):
    """Version 1 is what was extracted; each confirm/edit adds a version, none is overwritten."""

    __tablename__ = "profile_versions"
    __table_args__ = (UniqueConstraint("run_id", "version"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # extracted | confirmed
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    run: Mapped[Run] = relationship(back_populates="profiles")


class Iteration(Base):
    __tablename__ = "iterations"
    __table_args__ = (
        UniqueConstraint("run_id", "index", name="uq_iteration_run_index"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)  # 0-based
    prompt: Mapped[str] = mapped_column(Text)
    image_sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    score: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[list[Any]] = mapped_column(JSON)  # [[dimension, score], ...] declared order
    reasoning: Mapped[str] = mapped_column(Text)
    revised_prompt: Mapped[str] = mapped_column(Text)
    critic_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    chosen_candidate: Mapped[int] = mapped_column(Integer, default=0)
    generate_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    critique_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    usage: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # what went to the generator besides the prompt: {references_sent, edited_from, inputs_refused,
    # repeats (how many iterations just before painted the same prompt: new seeds)}
    generation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the critic's pairwise verdict against the best so far: {answers, reasons, agreed, error}
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the critic's measurements behind `reasoning` (the offline critic's; None from a model)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    # which parts of the intent the picture shows (tasteloop.domain.subject.SubjectVerdict)
    subject: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    run: Mapped[Run] = relationship(back_populates="iterations", foreign_keys=[run_id])


class Gate(Base):
    __tablename__ = "gates"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    iteration_id: Mapped[int] = mapped_column(ForeignKey("iterations.id"), unique=True)
    score: Mapped[float] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # "keep iterating" may carry a person's note; the worker applies it before the next
    # iteration and records what it did ({prompt, acted_on, not_understood, error})
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    note_effect: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    run: Mapped[Run] = relationship(back_populates="gates")
    iteration: Mapped[Iteration] = relationship()
    decided_by: Mapped[User | None] = relationship()


class LibraryProfile(Base):
    """A named taste a user keeps. Its content lives in versions; none is ever overwritten."""

    __tablename__ = "library_profiles"
    # (user_id, id): a person's library, newest first, a keyset page at a time
    __table_args__ = (Index("ix_library_profiles_user_id_id", "user_id", "id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # explicit re-extraction from the references: when it was asked for, and how it last failed
    reextract_requested_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    reextract_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the version new runs start from, when the person picked one (store.library.chosen_version)
    chosen_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    user: Mapped[User] = relationship()
    versions: Mapped[list[LibraryVersion]] = relationship(
        back_populates="profile", order_by="LibraryVersion.version", cascade="all, delete-orphan"
    )
    references: Mapped[list[LibraryReference]] = relationship(
        order_by="LibraryReference.position", cascade="all, delete-orphan"
    )


class _PartOfLibraryProfile:
    """Versions and references belong to one library profile and go when it goes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("library_profiles.id", ondelete="CASCADE"), index=True
    )


class LibraryVersion(_PartOfLibraryProfile, Base):
    __tablename__ = "library_versions"
    __table_args__ = (UniqueConstraint("profile_id", "version"), NEVER_REUSED)

    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # saved | edited | re-extracted | imported
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    profile: Mapped[LibraryProfile] = relationship(back_populates="versions")


class LibraryReference(_PartOfLibraryProfile, Base):
    __tablename__ = "library_references"
    __table_args__ = (UniqueConstraint("profile_id", "position"), NEVER_REUSED)

    position: Mapped[int] = mapped_column(Integer)
    blob_sha: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))


class SpendingMonth(Base):
    """One account's spending in one month: what was spent, and what turns in flight hold.

    The cap is checked and a hold taken in one conditional UPDATE of this row, so turns that
    start at the same moment cannot all read the same total."""

    __tablename__ = "spending_months"

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, UTC
    spent_usd: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    held_usd: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class SpendingEntry(Base):
    """The ledger: what was spent, when and on what. Rows are only ever added, and are never
    deleted with runs or accounts; they carry no personal data beyond the opaque key."""

    __tablename__ = "spending_entries"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(20))  # extraction | iteration | gate note | ...
    cost_usd: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SpendingHold(Base):
    """Money a turn holds against the cap before its calls; settled (spent or let go) after. A
    hold left open by a killed worker is let go by the sweeper after a while."""

    __tablename__ = "spending_holds"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(20))
    amount_usd: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
