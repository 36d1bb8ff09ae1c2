"""Sharing a record between schools through git: commit, pull and merge, push.

The ``git`` command line does the work, so each person's own credentials, SSH keys and
configuration apply as they do for them. The record's files are laid out so that ordinary
edits merge by themselves (new files for new sessions and reviews); ``community.toml`` and
session files are merged by protocolrunner itself, registered as git's merge driver for them,
which never leaves conflict markers (``core.record.merge``). Whatever fails, the record is left
as it was before the merge: a merge that cannot finish is aborted.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .folder import (
    COMMUNITY_FILE,
    DEFAULT_COMMUNITY,
    FOLLOWTHROUGH_DIR,
    PROTOCOLS_DIR,
    SESSIONS_DIR,
    Record,
)

DRIVER = "protocolrunner"
BRANCH = "main"
REPORT_FILE = "protocolrunner-merge-report.jsonl"
"""In the git folder: what the merge driver could not apply, one JSON object a line."""
NETWORK_TIMEOUT = 120.0
LOCAL_TIMEOUT = 60.0

GITATTRIBUTES = f"""\
# protocolrunner merges these itself, so that two schools' edits never conflict.
/{COMMUNITY_FILE} merge={DRIVER}
/{SESSIONS_DIR}/**/*.toml merge={DRIVER}
/{FOLLOWTHROUGH_DIR}/**/*.toml merge={DRIVER}
*.toml text eol=lf
"""
GITIGNORE = """\
# Written by protocolrunner sync: files that are nobody's record.
.protocolrunner.lock
.protocolrunner.lock.takeover
.*.tmp
*~
.*.swp
.DS_Store
Thumbs.db
"""


class SyncError(RuntimeError):
    """The sync could not be done; the message says why and what to do, in one line."""


@dataclass
class SyncResult:
    committed: str = ""
    """The message of the commit made of this record's changes ('' when there were none)."""
    received: list[str] = field(default_factory=list)
    """What came from the others, in words ('3 sessions', '1 member added')."""
    pushed: bool = False
    conflicts: list[dict[str, str]] = field(default_factory=list)
    """Edits of the same text on both sides: the one kept, and the other's text."""

    def summary(self) -> str:
        """The result in words, for a person."""
        sent = self.committed or "nothing new"
        received = ", ".join(self.received) or "nothing new"
        text = f"sent: {sent}; received: {received}"
        if self.conflicts:
            text += f"; {len(self.conflicts)} edit(s) made on both sides (see below)"
        return text


Progress = Callable[[str], object]


class Git:
    """Runs ``git`` in one folder, with no prompts and bounded time."""

    def __init__(self, root: Path, executable: str | None = None) -> None:
        self.root = root
        found = executable or shutil.which("git")
        if not found:
            raise SyncError(
                "git is not installed: install it (for example 'apt install git'), "
                "or share the record through a shared drive instead"
            )
        self.executable = found

    def run(
        self, *args: str, check: bool = True, timeout: float = LOCAL_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",  # a password prompt would hang with nobody to answer
            "LC_ALL": "C",  # messages this module reads are git's English ones
        }
        try:
            done = subprocess.run(
                [self.executable, *args],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise SyncError(
                f"git {args[0]} took more than {timeout:.0f} s: is the network down? "
                "Nothing was changed; try again later"
            ) from None
        except OSError as exc:
            raise SyncError(f"cannot run git: {exc.strerror or exc}") from None
        if check and done.returncode != 0:
            raise SyncError(f"git {args[0]} failed: {_last_line(done.stderr or done.stdout)}")
        return done

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # git puts the reason on the 'fatal:' or 'error:' line; hints come after it.
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else "no message"


def is_repository(root: Path) -> bool:
    return (root / ".git").exists()


def driver_command() -> str:
    """The command git runs to merge a record file: this Python, this protocolrunner."""
    python = shlex.quote(sys.executable)
    return f"{python} -m protocolrunner.core.record.merge_driver %O %A %B %P"


def configure(git: Git) -> None:
    """Set up a clone for syncing: the merge driver (whose command git keeps per clone, not in
    the repository), the attributes that name it, and a kept ``protocols/`` folder."""
    root = git.root
    git.run("config", f"merge.{DRIVER}.name", "protocolrunner record files")
    git.run("config", f"merge.{DRIVER}.driver", driver_command())
    _ensure_file(root / ".gitattributes", GITATTRIBUTES)
    _ensure_file(root / ".gitignore", GITIGNORE)
    keep = root / PROTOCOLS_DIR / ".gitkeep"
    if not keep.exists():
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text("")


def _ensure_file(path: Path, text: str) -> None:
    # Lines of ours that are missing are added; the community's own lines are kept.
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    have = set(current.splitlines())
    missing = [line for line in text.splitlines() if line not in have]
    if missing:
        joined = "\n".join(missing) + "\n"
        prefix = "" if not current or current.endswith("\n") else "\n"
        path.write_text(current + prefix + joined, encoding="utf-8")


def init(record: Record, remote: str | None = None, progress: Progress | None = None) -> str:
    """Make the record a git repository (if it is not one), ready to sync with ``remote``.

    A record with nothing of its own yet (no sessions, reviews or protocols, and the
    community file as first made) joining a shared repository takes the shared record as it
    is; a record with work in it keeps it, and its first sync merges the two. Returns what was
    done, in words.
    """
    tell = progress or (lambda _message: None)
    fresh = not is_repository(record.root)
    git = Git(record.root)
    if fresh:
        tell("making the record a git repository")
        git.run("init", "--quiet", f"--initial-branch={BRANCH}")
    configure(git)
    if not remote:
        return "the record is a git repository now; add the shared one with --init URL"
    names = git.out("remote").split()
    git.run("remote", "set-url" if "origin" in names else "add", "origin", remote)
    # Not only when just made: an --init whose first fetch failed (offline) may be run again.
    if _has_commits(git) or not is_blank(record):
        return f"the record will be shared with {remote}: sync to send and receive"
    tell("fetching the shared record")
    _network(git, "fetch", "--quiet", "origin")
    branches = git.out("branch", "--remotes", "--format=%(refname:short)").split()
    if f"origin/{BRANCH}" in branches:
        shared = f"origin/{BRANCH}"
    elif len(branches) == 1:
        shared = branches[0]
    else:
        return f"the shared repository {remote} is empty: sync to send this record to it"
    git.run("checkout", "--quiet", "--force", "-B", shared.split("/", 1)[1], shared)
    configure(git)
    return f"this record is now a copy of the shared record at {remote}"


def is_blank(record: Record) -> bool:
    """Whether the record holds nothing anyone wrote: no sessions, reviews or protocols, and
    ``community.toml`` as ``Record.open`` first made it."""
    from ..base.problems import FileProblems
    from .models import Community

    for folder in (record.sessions_dir, record.followthrough_dir, record.protocols_dir):
        if folder.is_dir() and any(p.suffix == ".toml" for p in folder.rglob("*")):
            return False
    try:
        return record.load_community() == Community(name=DEFAULT_COMMUNITY)
    except FileProblems:
        return not record.community_path.exists()


def sync(record: Record, progress: Progress | None = None) -> SyncResult:
    """Commit the record's changes, merge the others', and push: the whole round trip."""
    tell = progress or (lambda _message: None)
    if not is_repository(record.root):
        raise SyncError(
            f"{record.root} is not shared through git yet: run "
            "'protocolrunner record sync --init URL' with the address of the shared repository"
        )
    git = Git(record.root)
    _check_clean_state(git)
    configure(git)
    result = SyncResult()
    tell("saving this record's changes")
    result.committed = _commit(git, record)
    remote = "origin" if "origin" in git.out("remote").split() else ""
    if not remote:
        where = f" ({result.committed})" if result.committed else ""
        raise SyncError(
            f"saved here{where}, but there is nowhere to send it: add the shared repository "
            "with 'protocolrunner record sync --init URL'"
        )
    branch = _branch(git)
    for attempt in range(3):
        tell("fetching the others' changes")
        _network(git, "fetch", "--quiet", remote)
        theirs = f"{remote}/{branch}"
        if git.run("rev-parse", "--verify", "--quiet", theirs, check=False).returncode == 0:
            before = git.out("rev-parse", "HEAD") if _has_commits(git) else ""
            tell("merging")
            result.conflicts += _merge(git, theirs)
            if before:
                result.received = describe_changes(git, before, "HEAD", incoming=True)
        tell("sending")
        pushed = git.run(
            "push",
            "--quiet",
            remote,
            f"HEAD:refs/heads/{branch}",
            check=False,
            timeout=NETWORK_TIMEOUT,
        )
        if pushed.returncode == 0:
            result.pushed = True
            git.run("branch", "--quiet", f"--set-upstream-to={remote}/{branch}", check=False)
            return result
        reason = pushed.stderr or pushed.stdout
        if _behind(reason) and attempt < 2:
            continue  # someone pushed in between: merge theirs too, and send again
        raise SyncError(_push_advice(reason))
    raise SyncError("the shared repository kept changing while syncing; try again")


def _check_clean_state(git: Git) -> None:
    git_dir = Path(git.out("rev-parse", "--absolute-git-dir"))
    if (git_dir / "MERGE_HEAD").exists():
        # Left by someone's own git command, not by sync (which aborts what it cannot finish).
        raise SyncError(
            "a git merge is still open in the record: finish it or run 'git merge --abort' "
            "there, then sync again"
        )
    if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
        raise SyncError("a git rebase is still open in the record: finish or abort it first")


def _has_commits(git: Git) -> bool:
    return git.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0


def _branch(git: Git) -> str:
    name = git.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if not name:
        raise SyncError("the record's git checkout is not on a branch: check out 'main' first")
    return name


def _identity(git: Git) -> list[str]:
    # A commit needs a name and an address; a teacher who never set them up still syncs.
    args = []
    if not git.run("config", "user.name", check=False).stdout.strip():
        args += ["-c", f"user.name={getpass.getuser()}"]
    if not git.run("config", "user.email", check=False).stdout.strip():
        args += ["-c", f"user.email={getpass.getuser()}@{socket.gethostname()}"]
    return args


def _commit(git: Git, record: Record) -> str:
    git.run("add", "--all", "--", ".")
    if not git.run("diff", "--cached", "--quiet", check=False).returncode:
        return ""
    base = "HEAD" if _has_commits(git) else ""
    message = ", ".join(describe_changes(git, base, "", incoming=False)) or "record files"
    git.run(*_identity(git), "commit", "--quiet", "--no-verify", "-m", message)
    return message


def _merge(git: Git, theirs: str) -> list[dict[str, str]]:
    report = Path(git.out("rev-parse", "--absolute-git-dir")) / REPORT_FILE
    report.unlink(missing_ok=True)
    if not _has_commits(git):
        git.run("reset", "--quiet", "--hard", theirs)
        return []
    merged = git.run(
        *_identity(git),
        "merge",
        "--quiet",
        "--no-edit",
        "--allow-unrelated-histories",
        theirs,
        check=False,
    )
    if merged.returncode != 0:
        stuck = git.run("diff", "--name-only", "--diff-filter=U", check=False).stdout.split()
        git.run("merge", "--abort", check=False)
        report.unlink(missing_ok=True)
        which = ", ".join(stuck) or _last_line(merged.stderr or merged.stdout)
        raise SyncError(
            f"could not merge the others' changes to {which}: the record is as it was; "
            "edit the file so both versions agree (or ask who changed it), then sync again"
        )
    conflicts = []
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            try:
                conflicts.append(json.loads(line))
            except ValueError:
                continue
        report.unlink()
    return conflicts


def _network(git: Git, *args: str) -> None:
    done = git.run(*args, check=False, timeout=NETWORK_TIMEOUT)
    if done.returncode != 0:
        raise SyncError(_fetch_advice(done.stderr or done.stdout))


def _fetch_advice(reason: str) -> str:
    line = _last_line(reason)
    lowered = reason.lower()
    if "could not resolve host" in lowered or "network is unreachable" in lowered:
        return f"cannot reach the shared repository ({line}): are you offline? Try again later"
    if (
        "authentication" in lowered
        or "permission denied" in lowered
        or "terminal prompts" in lowered
    ):
        return (
            f"the shared repository refused you ({line}): check that you may use it and that "
            "git knows your password or key (try 'git fetch' in the record)"
        )
    if "does not appear to be a git repository" in lowered or "not found" in lowered:
        return f"there is no shared repository at the address given ({line}): check it"
    return f"cannot fetch the others' changes: {line}"


def _behind(reason: str) -> bool:
    """Whether a push was refused only because the shared repository has news for us."""
    return "(fetch first)" in reason or "(non-fast-forward)" in reason


def _push_advice(reason: str) -> str:
    if _behind(reason):
        return "the shared repository kept changing while syncing; sync again"
    if "[remote rejected]" in reason or "hook declined" in reason:
        # What the server said (a protected branch, a quota) is on its 'remote:' lines.
        said = [
            line.split(":", 1)[1].strip()
            for line in reason.splitlines()
            if line.startswith("remote:") and line.split(":", 1)[1].strip()
        ]
        why = f" ({'; '.join(said)})" if said else ""
        return (
            f"the shared repository refused the changes{why}: ask whoever looks after it; "
            "they are kept here and go with the next sync"
        )
    return _fetch_advice(reason).replace("fetch the others' changes", "send the changes")


def describe_changes(git: Git, old: str, new: str, *, incoming: bool) -> list[str]:
    """What changed between two commits (``new`` '' for the staged files), in words: '2
    sessions (Consultancy 1 Dec, Tuning 1 Dec)', '1 member added', '3 action item reviews'."""
    if new:
        lines = git.out("diff", "--name-status", "--no-renames", old, new)
    elif old:
        lines = git.out("diff", "--name-status", "--no-renames", "--cached", old)
    else:  # the first commit: everything staged is new
        lines = "\n".join(f"A\t{name}" for name in git.out("ls-files", "--cached").splitlines())
    files = [line.split("\t", 1) for line in lines.splitlines() if "\t" in line]
    sessions, events, protocols, other = [], 0, 0, 0
    community = False
    for status, name in files:
        if name.startswith(f"{SESSIONS_DIR}/") and name.endswith(".toml") and status == "A":
            sessions.append(name)
        elif name.startswith(f"{FOLLOWTHROUGH_DIR}/") and status == "A":
            events += 1
        elif name.startswith(f"{PROTOCOLS_DIR}/") and name.endswith(".toml"):
            protocols += 1
        elif name == COMMUNITY_FILE:
            community = True
        elif not Path(name).name.startswith("."):
            other += 1
    words = []
    if sessions:
        words.append(_sessions_phrase(git.root, sessions))
    if events:
        words.append(f"{events} action item review{'s' if events != 1 else ''}")
    if community:
        words += _community_phrase(git, old, new)
    if protocols:
        words.append(f"{protocols} protocol file{'s' if protocols != 1 else ''}")
    if other:
        words.append(f"{other} other file{'s' if other != 1 else ''}")
    return words


def _sessions_phrase(root: Path, names: list[str]) -> str:
    count = len(names)
    head = f"{count} session{'s' if count != 1 else ''}"
    if count > 3:
        return head
    return f"{head} ({', '.join(_session_label(root / name) for name in names)})"


def _session_label(path: Path) -> str:
    """'Consultancy 1 Dec', from the session file (its name says as much, less well)."""
    from ..base.problems import FileProblems, read_toml

    try:
        data, _ = read_toml(path)
        title, started = data["protocol"]["title"], data["started"]
        return f"{title} {started.day} {_MONTHS[started.month - 1]}"
    except (FileProblems, KeyError, TypeError, AttributeError):
        # sessions/2026/2026-12-01-consultancy-5fdb4327.toml
        parts = path.stem.split("-")
        if len(parts) < 5 or not parts[2].isdigit() or not parts[1].isdigit():
            return path.stem
        protocol = " ".join(parts[3:-1]).capitalize()
        return f"{protocol} {int(parts[2])} {_MONTHS[(int(parts[1]) - 1) % 12]}"


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _community_phrase(git: Git, old: str, new: str) -> list[str]:
    from ..base.problems import FileProblems, parse_toml

    def members(ref: str) -> set[str] | None:
        if ref == "":
            done = git.run("show", f":{COMMUNITY_FILE}", check=False)
        else:
            done = git.run("show", f"{ref}:{COMMUNITY_FILE}", check=False)
        if done.returncode != 0:
            return set()
        try:
            data = parse_toml(done.stdout, COMMUNITY_FILE)
        except FileProblems:
            return None
        found = data.get("members", [])
        if not isinstance(found, list):
            return None
        return {m["name"] for m in found if isinstance(m, dict) and isinstance(m.get("name"), str)}

    before, after = members(old) if old else set(), members(new)
    if before is None or after is None:
        return ["the community file"]
    words = []
    added, removed = len(after - before), len(before - after)
    if added:
        words.append(f"{added} member{'s' if added != 1 else ''} added")
    if removed:
        words.append(f"{removed} member{'s' if removed != 1 else ''} removed")
    return words or ["the community file"]
