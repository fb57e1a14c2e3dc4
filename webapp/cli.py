"""`flask --app webapp ...` commands: db upgrade, create-user, promote, delete-user."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from store.migrate import upgrade
from store.models import User
from webapp.account import erase_account
from webapp.auth import create_user
from webapp.credentials import email_errors, normalise_email, password_errors
from webapp.db import db_session


def register_cli(app: Flask) -> None:
    @app.cli.group("db")
    def db_group() -> None:
        """Database migrations."""

    @db_group.command("upgrade")
    def db_upgrade() -> None:
        """Apply all migrations (Alembic) to DATABASE_URL."""
        upgrade(current_app.config["DATABASE_URL"])
        click.echo("database is at the latest migration")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--admin", is_flag=True, help="make this user an administrator")
    def create_user_command(email: str, password: str, admin: bool) -> None:
        """Create an account."""
        for problem in email_errors(normalise_email(email)) + password_errors(password, email):
            raise click.ClickException(problem)
        if db_session().scalar(select(User).where(User.email == normalise_email(email))):
            raise click.ClickException(f"{email} already has an account")
        user = create_user(email, password, is_admin=admin)
        click.echo(f"created {user.email}{' (admin)' if user.is_admin else ''}")

    @app.cli.command("promote")
    @click.argument("email")
    def promote(email: str) -> None:
        """Make an existing user an administrator."""
        session = db_session()
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no account for {email}")
        user.is_admin = True
        session.commit()
        click.echo(f"{user.email} is now an admin")

    @app.cli.command("delete-user")
    @click.argument("email")
    @click.confirmation_option(prompt="Delete this account and everything in it?")
    def delete_user(email: str) -> None:
        """Delete an account and everything in it (for an address someone registered before
        its owner could, e.g. one listed in TASTELOOP_ADMIN_EMAILS)."""
        user = db_session().scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no account for {email}")
        erase_account(user)
        click.echo(f"deleted {normalise_email(email)} and everything in it")
