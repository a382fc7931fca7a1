"""Deploy targets, with the real rsync and git: what a publication changed reaches the site's host;
a failed deploy is kept, shown and tried again, and never undoes or holds up the publication."""

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import item
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.publisher import deploy
from pelican.plugins.reflections.publisher.deploy import Changed, DeployError
from pelican.plugins.reflections.publisher.loop import Publisher
from pelican.plugins.reflections.service.moderation import Moderation

ESSAY = "learning-to-stay"
needs_rsync = pytest.mark.skipif(
    not shutil.which("rsync"), reason="rsync is not installed (apt-get install rsync; .ci/run installs it)"
)


def settings_for(site: Path) -> dict:
    return {
        "PATH": str(site / "content"),
        "OUTPUT_PATH": str(site / "output"),
        "REFLECTIONS_PATH": "reflections",
        "TIMEZONE": "UTC",
    }


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@needs_rsync
def test_rsync_copies_the_changed_files_and_deletes_the_removed_ones(tmp_path):
    output, host = tmp_path / "output", tmp_path / "host"
    write(output / "essays" / ESSAY / "index.html", "with a reflection")
    write(output / "index.html", "home")
    write(host / "essays" / "gone" / "index.html", "an essay taken down")
    write(host / "untouched.html", "not listed, so left alone")
    target = deploy.Rsync(output, str(host))
    target.deploy(Changed(output=(f"essays/{ESSAY}/index.html", "essays/gone/index.html")))
    assert (host / "essays" / ESSAY / "index.html").read_text() == "with a reflection"
    assert not (host / "essays" / "gone" / "index.html").exists()
    assert not (host / "index.html").exists()  # not in this publication
    assert (host / "untouched.html").exists()
    # A whole build mirrors the folder.
    target.deploy(Changed(everything=True))
    assert (host / "index.html").read_text() == "home"
    assert not (host / "untouched.html").exists()


@needs_rsync
def test_rsync_to_a_destination_it_cannot_reach_fails_with_a_reason(tmp_path):
    write(tmp_path / "output" / "index.html", "home")
    target = deploy.Rsync(tmp_path / "output", str(tmp_path / "no" / "such" / "parent" / "host"))
    with pytest.raises(DeployError) as raised:
        target.deploy(Changed(output=("index.html",)))
    assert "rsync to" in str(raised.value) and "failed" in str(raised.value)


def git(*arguments: str, cwd: Path) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_git_commits_the_published_reflections_and_pushes(tmp_path):
    remote, site = tmp_path / "remote.git", tmp_path / "site"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(remote), cwd=tmp_path)
    git("init", "--quiet", "--initial-branch=main", str(site), cwd=tmp_path)
    write(site / "content" / "essay.md", "Title: An essay\n\nText.\n")
    write(site / "content" / "reflections" / ESSAY / "id0001.md", "a reflection\n")
    write(site / "notes.txt", "the author's own, uncommitted")
    git("add", "content/essay.md", cwd=site)
    git("-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "--quiet", "-m", "Essays", cwd=site)
    target = deploy.Git(site, site / "content" / "reflections", str(remote), "main")
    target.deploy(Changed(content=(f"reflections/{ESSAY}/id0001.md",)))
    log = git("log", "--format=%s", "main", cwd=remote).splitlines()
    assert log[0] == f"Publish reflections: 1 file(s) on {ESSAY}"
    files = git("ls-tree", "-r", "--name-only", "main", cwd=remote).split()
    assert f"content/reflections/{ESSAY}/id0001.md" in files and "notes.txt" not in files
    # A removed reflection is a commit too; nothing new is no commit, and still a push.
    (site / "content" / "reflections" / ESSAY / "id0001.md").unlink()
    target.deploy(Changed(content=(f"reflections/{ESSAY}/id0001.md",)))
    target.deploy(Changed(content=(f"reflections/{ESSAY}/id0001.md",)))
    assert len(git("log", "--format=%s", "main", cwd=remote).splitlines()) == 3
    files = git("ls-tree", "-r", "--name-only", "main", cwd=remote).split()
    assert f"content/reflections/{ESSAY}/id0001.md" not in files


def test_a_command_gets_the_changed_files_on_its_input(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    target = deploy.target(
        'command:cat > received.txt; echo "$WITHNESS_DEPLOY_ALL" > all.txt', site, settings_for(site)
    )
    target.deploy(Changed(output=("essays/a/index.html",), content=("reflections/a/x.md",)))
    assert (site / "received.txt").read_text().splitlines() == [
        str(site / "output" / "essays" / "a" / "index.html"),
        str(site / "content" / "reflections" / "a" / "x.md"),
    ]
    assert (site / "all.txt").read_text() == "\n"
    failing = deploy.target("command:echo 'host said no' >&2; exit 3", site, settings_for(site))
    with pytest.raises(DeployError, match="exit 3.*host said no"):
        failing.deploy(Changed(everything=True))


@pytest.mark.parametrize("spec", ["ftp:somewhere", "rsync:", "git", "command:"])
def test_a_target_that_names_nothing_usable_is_refused_naming_the_setting(tmp_path, spec):
    with pytest.raises(ValueError, match="REFLECTIONS_DEPLOY must be"):
        deploy.target(spec, tmp_path, settings_for(tmp_path))


class Flaky:
    """A deploy target that fails until told not to, remembering what it was given."""

    def __init__(self) -> None:
        self.failing = True
        self.given: list[Changed] = []

    def deploy(self, changed: Changed) -> None:
        self.given.append(changed)
        if self.failing:
            raise DeployError("rsync to host:/srv/www/ failed (exit 255): Connection refused")


def test_a_failed_deploy_keeps_the_files_and_the_publication_and_goes_through_once_the_host_is_back(
    store, tmp_path
):
    site = tmp_path / "site"
    settings = settings_for(site)
    written = str(site / "output" / "essays" / ESSAY / "index.html")
    target = Flaky()
    said = []
    publisher = Publisher(
        store, settings, lambda essay: [written], say=lambda line, flush=False: said.append(line)
    )
    publisher.target = target
    store.add(item(1))
    Moderation(store, "The Author").approve("id0001")
    assert publisher.drain() == (1, [])
    assert publisher.deploy_due() == "rsync to host:/srv/www/ failed (exit 255): Connection refused"
    # Published here: the job is done, the file written; only the deploy waits.
    assert store.jobs()[0].state == "done"
    assert published.path_of(site / "content" / "reflections", ESSAY, "id0001").exists()
    (failed,) = store.failed_deployments()
    assert failed.attempts == 1 and "Connection refused" in failed.reason and failed.next_try is not None
    assert failed.changed == [f"output/essays/{ESSAY}/index.html", f"content/reflections/{ESSAY}/id0001.md"]
    assert any("not yet deployed" in line for line in said)
    assert publisher.deploy_due() is None and len(target.given) == 1  # not due yet: no retry storm
    # A second publication meanwhile; then the host is back and the author asks to try again.
    store.add(item(2))
    Moderation(store, "The Author").approve("id0002")
    publisher.drain()
    target.failing = False
    assert store.retry_failed_deployments() == 1
    assert publisher.deploy_due() is None
    last = target.given[-1]
    assert last.output == (f"essays/{ESSAY}/index.html",)
    assert set(last.content) == {f"reflections/{ESSAY}/id0001.md", f"reflections/{ESSAY}/id0002.md"}
    assert store.count_deployments() == {"waiting": 0, "failed": 0}


def test_a_whole_build_deploys_everything_and_still_names_the_published_files(store, tmp_path):
    site = tmp_path / "site"
    publisher = Publisher(store, settings_for(site), lambda essay: None, say=lambda line, flush=False: None)
    target = Flaky()
    target.failing = False
    publisher.target = target
    store.add(item(1))
    Moderation(store, "The Author").approve("id0001")
    publisher.drain()
    assert publisher.deploy_due() is None
    (given,) = target.given
    assert given.everything and given.content == (f"reflections/{ESSAY}/id0001.md",)
