"""Deploy targets: after each publication, what it changed goes to where the public site lives.

`REFLECTIONS_DEPLOY` names one target:

- `rsync:DESTINATION`: the output files the publication wrote, and the deletions, with rsync (a
  folder, or `host:/path` over ssh); a whole build mirrors all of OUTPUT_PATH;
- `git:REMOTE` or `git:REMOTE BRANCH`: the published reflections (under PATH/REFLECTIONS_PATH)
  committed in the site's repository and pushed, for hosts that build the site from it;
- `command:COMMAND`: a shell command run in the site's folder, given the changed files (absolute
  paths, one per line) on its standard input; WITHNESS_DEPLOY_ALL=1 when everything may have changed.

A target raises DeployError with a one-line reason; the publisher keeps the files to try again.
Each target's `problem()` says, without writing anything, why it could not deploy now ("" if it can).
"""

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Seconds one deploy may take before it counts as failed.
TIMEOUT_SECONDS = 300


class DeployError(Exception):
    """A deploy that did not complete, with a one-line reason."""


@dataclass(frozen=True)
class Changed:
    """What publications changed: files in OUTPUT_PATH and in PATH (relative to each), or everything."""

    output: tuple[str, ...] = ()
    content: tuple[str, ...] = ()
    everything: bool = False

    def lines(self) -> list[str]:
        """As the store keeps them."""
        return [f"output/{path}" for path in self.output] + [f"content/{path}" for path in self.content]

    @classmethod
    def from_lines(cls, lines: list[str], everything: bool = False) -> "Changed":
        output = tuple(line.removeprefix("output/") for line in lines if line.startswith("output/"))
        content = tuple(line.removeprefix("content/") for line in lines if line.startswith("content/"))
        return cls(output, content, everything)

    def __or__(self, other: "Changed") -> "Changed":
        return Changed(
            tuple(dict.fromkeys(self.output + other.output)),
            tuple(dict.fromkeys(self.content + other.content)),
            self.everything or other.everything,
        )


def _run(
    arguments: list[str], what: str, cwd: Path | None = None, stdin: str = "", env=None, fine=(0,)
) -> str:
    try:
        done = subprocess.run(
            arguments,
            input=stdin,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=TIMEOUT_SECONDS,
        )
    except FileNotFoundError:
        raise DeployError(f"{what}: {arguments[0]} is not installed on this machine") from None
    except subprocess.TimeoutExpired:
        raise DeployError(f"{what}: no answer after {TIMEOUT_SECONDS} s") from None
    if done.returncode not in fine:
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise DeployError(f"{what} failed (exit {done.returncode}): {said[-1] if said else 'no message'}")
    return done.stdout


def _problem(arguments: list[str], fine=(0,)) -> str:
    """ "" when the command runs as `fine`, else its one-line reason."""
    try:
        _run(arguments, arguments[0], fine=fine)
    except DeployError as error:
        return str(error)
    return ""


class Rsync:
    """The changed output files, and deletions, copied to a folder or an ssh destination."""

    def __init__(self, output: Path, destination: str) -> None:
        self.output = output
        self.destination = destination.rstrip("/") + "/"

    def __str__(self) -> str:
        return f"rsync to {self.destination}"

    def problem(self) -> str:
        if not shutil.which("rsync"):
            return "rsync is not installed on this machine"
        if ":" not in self.destination.split("/")[0]:  # a folder on this machine
            parent = Path(self.destination).parent
            return "" if parent.is_dir() else f"its folder {parent} does not exist"
        return _problem(
            ["rsync", "--list-only", "--rsh=ssh -o BatchMode=yes", "--timeout=10", self.destination]
        )

    def _gone_from(self, path: str) -> str:
        """`path`, or its outermost folder that is no longer in output/ when it went with it."""
        parts = Path(path).parts
        for depth in range(1, len(parts)):
            if not (self.output.joinpath(*parts[:depth])).exists():
                return "/".join(parts[:depth])
        return path

    def deploy(self, changed: Changed) -> None:
        # BatchMode: a key that is not set up fails at once instead of waiting for a password.
        command = ["rsync", "--recursive", "--links", "--times", "--rsh=ssh -o BatchMode=yes", "--timeout=60"]
        source = f"{self.output}/"
        if changed.everything:
            _run([*command, "--delete", source, self.destination], str(self))
        elif changed.output:
            # --delete-missing-args: a listed file gone from output/ is deleted at the destination
            # (a folder gone with it is listed itself: rsync cannot name a file in a missing folder).
            listed = "".join(f"{path}\n" for path in dict.fromkeys(map(self._gone_from, changed.output)))
            arguments = [
                *command,
                "--files-from=-",
                "--delete-missing-args",
                "--force",
                source,
                self.destination,
            ]
            # Exit 24 ("vanished source files") is those deletions, when a whole folder went.
            _run(arguments, str(self), stdin=listed, fine=(0, 24))


class Git:
    """The published reflections committed in the site's repository and pushed."""

    def __init__(self, site: Path, folder: Path, remote: str, branch: str = "") -> None:
        self.site = site
        self.folder = folder
        self.remote = remote
        self.branch = branch

    def __str__(self) -> str:
        return f"git push to {self.remote}"

    def _git(self, *arguments: str, what: str = "", fine=(0,)) -> str:
        return _run(["git", *arguments], what or str(self), cwd=self.site, fine=fine)

    def problem(self) -> str:
        # Exit 2: the remote answered and has no branch yet.
        return _problem(["git", "-C", str(self.site), "ls-remote", "--exit-code", self.remote], fine=(0, 2))

    def deploy(self, changed: Changed) -> None:
        folder = os.path.relpath(self.folder, self.site)
        self._git("add", "--all", "--", folder)
        staged = self._git("diff", "--cached", "--name-only", "--", folder).split()
        if staged:
            essays = sorted({Path(path).parent.name for path in staged})
            shown = ", ".join(essays[:5]) + (f" and {len(essays) - 5} more" if len(essays) > 5 else "")
            message = f"Publish reflections: {len(staged)} file(s) on {shown}"
            # A repository with no identity of its own (a server's checkout) commits as Withness.
            has_identity = self._git("config", "--get", "user.email", fine=(0, 1)).strip()
            identity = (
                [] if has_identity else ["-c", "user.name=Withness", "-c", "user.email=reflections@localhost"]
            )
            _run(
                ["git", *identity, "commit", "--quiet", "-m", message, "--", folder], str(self), cwd=self.site
            )
        branch = self.branch or self._git("rev-parse", "--abbrev-ref", "HEAD").strip()
        # Pushed even when nothing was new to commit: an earlier commit's push may have failed.
        self._git("push", "--quiet", self.remote, f"HEAD:refs/heads/{branch}")


class Command:
    """Any program: the changed files' absolute paths on its standard input, one per line."""

    def __init__(self, command: str, site: Path, output: Path, content: Path) -> None:
        self.command = command
        self.site = site
        self.output = output
        self.content = content

    def __str__(self) -> str:
        return f"deploy command {self.command!r}"

    def problem(self) -> str:
        program = self.command.split()[0]
        return "" if shutil.which(program) or (self.site / program).exists() else f"{program} not found"

    def deploy(self, changed: Changed) -> None:
        files = [str(self.output / path) for path in changed.output]
        files += [str(self.content / path) for path in changed.content]
        env = os.environ | {
            "WITHNESS_DEPLOY_ALL": "1" if changed.everything else "",
            "WITHNESS_OUTPUT": str(self.output),
        }
        stdin = "".join(f"{path}\n" for path in files)
        _run(["sh", "-c", self.command], str(self), cwd=self.site, stdin=stdin, env=env)


Target = Rsync | Git | Command


def target(spec: str, site: Path, settings: dict) -> Target | None:
    """The target a REFLECTIONS_DEPLOY value names (None when empty); raises ValueError, naming
    the setting, for one that names none."""
    spec = spec.strip()
    if not spec:
        return None
    kind, _, rest = spec.partition(":")
    rest = rest.strip()
    output = Path(settings["OUTPUT_PATH"]).resolve()
    content = Path(settings["PATH"]).resolve()
    if kind == "rsync" and rest:
        return Rsync(output, rest)
    if kind == "git" and rest:
        remote, *branch = shlex.split(rest)
        folder = content / settings["REFLECTIONS_PATH"]
        return Git(site, folder, remote, branch[0] if branch else "")
    if kind == "command" and rest:
        return Command(rest, site, output, content)
    raise ValueError(
        f"REFLECTIONS_DEPLOY must be rsync:DESTINATION, git:REMOTE [BRANCH] or command:COMMAND, not {spec!r}"
    )
