"""Deleting what a person made: a run, a library entry's images, a whole account.

Blobs are shared by content hash (two runs, or a run and a library entry, can hold the same
image), so an image goes only when nothing references it any more.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store import library
from store.blobs import remove_unreferenced_blobs, run_blobs
from store.models import Gate, Iteration, LibraryProfile, ProfileVersion, ReferenceImage, Run, User


def delete_run(session: Session, run: Run) -> None:
    """The run, its iterations, gates, profile versions and references; then its images that
    no other run or library entry uses."""
    shas = run_blobs(session, run.id)
    session.execute(
        update(Run)
        .where(Run.restarted_from_id == run.id)
        .values(restarted_from_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Run)
        .where(Run.varied_from_id.in_(select(Iteration.id).where(Iteration.run_id == run.id)))
        .values(varied_from_id=None)
        .execution_options(synchronize_session=False)
    )
    run.best_iteration_id = None
    run.final_iteration_id = None
    run.chosen_iteration_id = None
    session.flush()
    for table in (Gate, Iteration, ProfileVersion, ReferenceImage):
        session.execute(delete(table).where(table.run_id == run.id))
    session.execute(delete(Run).where(Run.id == run.id))
    session.expunge(run)
    remove_unreferenced_blobs(session, shas)


def delete_account(session: Session, user: User) -> None:
    """Everything of theirs: runs, library, images nobody else uses; then the account. Gates
    they decided on other people's runs keep the decision without the name."""
    for run in list(session.scalars(select(Run).where(Run.user_id == user.id))):
        delete_run(session, run)
    for entry in list(
        session.scalars(select(LibraryProfile).where(LibraryProfile.user_id == user.id))
    ):
        library.delete(session, entry)
    session.execute(
        update(Gate)
        .where(Gate.decided_by_id == user.id)
        .values(decided_by_id=None)
        .execution_options(synchronize_session=False)
    )
    session.delete(user)
    session.flush()
