"""What an email address and a password must be before an account is made or changed."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app

from tasteloop.domain.text import has_hidden_characters

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_EMAIL = 254
MIN_DISTINCT_CHARACTERS = 4
# A local part, an @, and a domain with a dot: what a person can actually receive mail at.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
# The most used passwords of eight characters or more (breach corpora's top entries): the first
# ones anyone guessing would try.
COMMON_PASSWORDS = frozenset(
    """
    12345678 123456789 1234567890 12345678910 password password1 password123 passw0rd
    qwertyuiop qwerty123 qwertyui 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx iloveyou
    11111111 00000000 88888888 87654321 abcd1234 abc12345 abcdefgh baseball football
    sunshine princess superman starwars whatever trustno1 letmein1 welcome1 asdfghjk
    asdfasdf monkey123 dragon123 michelle jennifer computer internet changeme
    administrator tasteloop
    """.split()
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_errors(email: str) -> list[str]:
    if len(email) > MAX_EMAIL or has_hidden_characters(email) or not _EMAIL.fullmatch(email):
        return ["Enter a valid email address, like name@example.com."]
    return []


def password_errors(password: str, email: str = "") -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"Use a password of at least {MIN_PASSWORD} characters."]
    if len(password) > MAX_PASSWORD:
        return [f"Use a password of at most {MAX_PASSWORD} characters."]
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return [f"Use at least {MIN_DISTINCT_CHARACTERS} different characters in the password."]
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and lowered in email.lower()):
        return ["That password is among the first anyone would guess; choose another."]
    return []


def spending_key(email: str) -> str:
    """The opaque key an address's spending is recorded under: keyed to the address with the
    app's secret (so it says nothing of the address without it), and the same every time the
    address registers, so deleting an account and registering again does not reset the month."""
    message = f"tasteloop spending\x00{normalise_email(email)}".encode()
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()
