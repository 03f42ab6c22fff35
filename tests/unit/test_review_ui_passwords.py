"""The reviewers' password file: scrypt hashes with their own salts, checked in constant time."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from screening.cli import main
from screening.review_ui.passwords import PasswordFile, PasswordFileError, hash_password, verify_password


def test_a_password_verifies_against_its_hash_and_no_other() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$32768$8$1$")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password("", stored)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same") != hash_password("same")


def test_weak_or_malformed_hashes_are_refused() -> None:
    with pytest.raises(PasswordFileError):
        verify_password("x", "md5$abc")
    with pytest.raises(PasswordFileError):
        verify_password("x", hash_password("x", n=2**10))  # below the floor of N = 2^14


def test_the_file_keeps_every_reviewer_and_replaces_a_changed_password(tmp_path: Path) -> None:
    users = PasswordFile(tmp_path / "reviewers")
    users.set("alice", "first")
    users.set("bob", "second")
    users.set("alice", "changed")
    assert sorted(users.users()) == ["alice", "bob"]
    assert users.check("alice", "changed")
    assert not users.check("alice", "first")
    assert users.check("bob", "second")
    assert not users.check("carol", "second")  # unknown: checked against a dummy hash, still False
    assert stat.S_IMODE((tmp_path / "reviewers").stat().st_mode) == 0o600
    assert "changed" not in (tmp_path / "reviewers").read_text()


def test_a_malformed_line_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "reviewers"
    path.write_text("# comment\n\nalice:plaintext\n")
    with pytest.raises(PasswordFileError, match=r"reviewers:3"):
        PasswordFile(path).users()


def test_names_are_plain(tmp_path: Path) -> None:
    with pytest.raises(PasswordFileError):
        PasswordFile(tmp_path / "reviewers").set("al:ice", "pw")
    with pytest.raises(PasswordFileError):
        PasswordFile(tmp_path / "reviewers").set("alice", "")


def test_add_user_command_reads_the_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "reviewers"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass\n"))
    assert main(["review-ui", "add-user", "alice", "--password-file", str(path), "--password-stdin"]) == 0
    assert PasswordFile(path).check("alice", "s3cret pass")
    assert "alice" in capsys.readouterr().out


def test_the_page_does_not_start_without_a_way_to_sign_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCREENING_REVIEW_UI__PASSWORD_FILE", raising=False)
    monkeypatch.delenv("SCREENING_REVIEW_UI__AUTH", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    assert main(["review-ui"]) == 2
    assert "SCREENING_REVIEW_UI__PASSWORD_FILE" in capsys.readouterr().err
