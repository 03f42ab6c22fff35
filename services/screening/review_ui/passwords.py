"""The reviewers' password file: one `name:hash` a line, each hash scrypt with its own random salt.

`scrypt$N$r$p$salt$key` (salt and key base64): the cost parameters travel with each hash, so they can be
raised later without invalidating the passwords already set. Verification takes the same time whether the
name is known or not (an unknown name is checked against a dummy hash), and compares in constant time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_BYTES = 32
_SALT_BYTES = 16
_MAX_MEMORY = 128 * 1024 * 1024  # scrypt needs 128·N·r bytes: 32 MiB at the defaults
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MAX_PASSWORD_CHARS = 1024


class PasswordFileError(ValueError):
    """The password file cannot be read or a line in it is not `name:scrypt$...`."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """The scrypt hash of `password` with a fresh random salt, as stored in the password file."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=_KEY_BYTES
    )
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PasswordFileError("a password hash is not scrypt$N$r$p$salt$key")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except ValueError:
        raise PasswordFileError("a password hash has a malformed number or base64 field") from None
    if n < 2**14 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16 or len(salt) < 16 or len(key) < 16:
        raise PasswordFileError("a password hash has parameters too weak or out of range")
    return n, r, p, salt, key


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time comparison)."""
    n, r, p, salt, key = _parse(stored)
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=len(key)
    )
    return hmac.compare_digest(candidate, key)


@functools.cache
def _dummy_hash() -> str:
    """What an unknown name is checked against, so it costs as much as a known one."""
    return hash_password(secrets.token_urlsafe(16))


class PasswordFile:
    """The reviewers who may sign in, read from `path` at each sign-in (a user added is in at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def users(self) -> dict[str, str]:
        """Name → stored hash of every reviewer in the file (blank lines and `#` comments skipped)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise PasswordFileError(f"cannot read the password file {self.path}: {error.strerror}") from None
        found: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, stored = line.partition(":")
            if not sep or not NAME_PATTERN.match(name):
                raise PasswordFileError(f"{self.path}:{number}: not `name:scrypt$...`")
            try:
                _parse(stored)
            except PasswordFileError as error:
                raise PasswordFileError(f"{self.path}:{number}: {error}") from None
            found[name] = stored
        return found

    def check(self, name: str, password: str) -> bool:
        """Whether `name` is a reviewer in the file and `password` is theirs. An unknown name costs the
        same scrypt as a known one, so the answer's timing does not tell which names exist."""
        stored = self.users().get(name)
        matches = verify_password(password, stored or _dummy_hash())
        return stored is not None and matches

    def set(self, name: str, password: str) -> None:
        """Add reviewer `name` or change their password; the file is rewritten atomically, mode 0600."""
        if not NAME_PATTERN.match(name):
            raise PasswordFileError(
                f"reviewer name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter "
                "or digit"
            )
        if not password or len(password) > MAX_PASSWORD_CHARS:
            raise PasswordFileError(f"a password has 1 to {MAX_PASSWORD_CHARS} characters")
        users = self.users()
        users[name] = hash_password(password)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("# Reviewers of the screening review page: name:scrypt$N$r$p$salt$key\n")
                out.writelines(f"{user}:{stored}\n" for user, stored in sorted(users.items()))
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
