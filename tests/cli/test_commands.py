"""The `reflections` command, through its installed entry point, in a real site folder."""

import json
import os
import subprocess

import pytest
from click.testing import CliRunner
from conftest import REFLECTIONS, build_site, copy_site, differences
from pelican.plugins.reflections.cli import main

#: A minute or more in all (`-m "not slow"` leaves it out of a quick run).
pytestmark = pytest.mark.slow(seconds=60)

ESSAY = "learning-to-stay"


@pytest.fixture
def site(tmp_path):
    root = copy_site(tmp_path / "site")
    return root


def run(site, *arguments, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [REFLECTIONS, *arguments],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "REFLECTIONS_SITE": str(site)},
        **kwargs,
    )


def add(site, body: str, visibility: str = "public", email: str = "") -> str:
    """Put one pending item in the site's queue, as the service would."""
    from pelican.plugins.reflections.core.published import new_id
    from pelican.plugins.reflections.store import Reflection, Store, body_hash, now

    store = Store(f"sqlite:///{site / 'reflections.db'}")
    row = Reflection(
        id=new_id(),
        essay=ESSAY,
        body=body,
        visibility=visibility,
        email=email,
        name="Kofi",
        body_hash=body_hash(body),
        created=now(),
    )
    store.add(row)
    store.engine.dispose()
    return row.id


def test_every_subcommand_has_help(site):
    result = run(site, "--help")
    assert result.returncode == 0
    commands = [
        "serve",
        "queue",
        "show",
        "approve",
        "reject",
        "spam",
        "respond",
        "withdraw",
        "export",
        "import",
        "backup",
        "restore",
    ]
    # Each command's own help through click in this process: the entry point is the one above.
    runner = CliRunner()
    for command in commands:
        assert command in result.stdout
        help_text = runner.invoke(main, [command, "--help"], prog_name="reflections")
        assert help_text.exit_code == 0 and "Usage: reflections " + command in help_text.output


def test_queue_lists_and_filters_as_text_and_json(site):
    first = add(site, "The first reflection.")
    second = add(site, "The second one, private.", visibility="private")
    result = run(site, "queue")
    assert result.returncode == 0 and first in result.stdout and "private" in result.stdout
    rows = json.loads(run(site, "queue", "--json").stdout)
    assert [row["id"] for row in rows] == [first, second]
    assert json.loads(run(site, "queue", "--json", "--essay", "other").stdout) == []
    assert run(site, "queue", "--state", "approved").stdout.strip() == "Nothing is approved."


def test_show_prints_the_item_with_its_email(site):
    item = add(site, "Show me.", email="kofi@private.example")
    text = run(site, "show", item)
    assert text.returncode == 0 and "email: kofi@private.example" in text.stdout and "Show me." in text.stdout
    assert json.loads(run(site, "show", item, "--json").stdout)["email"] == "kofi@private.example"


def test_approve_publishes_the_file_and_rebuilds_the_page(site):
    item = add(site, "Approve me, please.")
    result = run(site, "approve", item)
    assert result.returncode == 0, result.stderr
    # No publisher runs: the command publishes itself, before it answers.
    # In the author's words: who, on which essay; never a database id.
    assert (
        "’s reflection on “Learning to Stay” is approved; it will be on the site in a moment."
        in result.stdout
    )
    assert item not in result.stdout
    assert result.stdout.rstrip().endswith("Published.")
    path = site / "content" / "reflections" / ESSAY / f"{item}.md"
    assert "Approve me, please." in path.read_text()
    assert "Approve me, please." in (site / "output" / "essays" / ESSAY / "index.html").read_text()
    assert "kofi@" not in path.read_text()


def test_approve_after_a_build_writes_only_the_pages_that_show_it(site, tmp_path):
    assert build_site(site / "pelicanconf.py", site / "output", site / "cache", cwd=site).returncode == 0
    output = site / "output"
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    item = add(site, "Only what shows me, please.")
    result = run(site, "approve", item)
    assert result.returncode == 0, result.stderr
    changed = {str(p.relative_to(output)) for p in before if p.stat().st_mtime_ns != before[p]}
    assert changed == {f"essays/{ESSAY}/index.html", "index.html", "archives/2026/index.html"}
    assert "Only what shows me, please." in (output / "essays" / ESSAY / "index.html").read_text()
    full = tmp_path / "full"
    assert build_site(site / "pelicanconf.py", full / "output", full / "cache", cwd=site).returncode == 0
    assert differences(output, full / "output") == []


def test_approving_a_private_reflection_writes_nothing(site):
    item = add(site, "Just for you.", visibility="private")
    assert run(site, "approve", item, "--no-build").returncode == 0
    assert not (site / "content" / "reflections" / ESSAY).exists()
    assert json.loads(run(site, "show", item, "--json").stdout)["state"] == "approved"


def test_two_approvals_at_once_publish_once_without_error(site):
    item = add(site, "Approved twice at once.")
    processes = [
        subprocess.Popen(
            [REFLECTIONS, "approve", item, "--no-build"],
            cwd=site,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=60) + (process.returncode,) for process in processes]
    assert [code for _, _, code in results] == [0, 0], results
    messages = [out.strip().splitlines()[0] for out, _, _ in results]
    assert sum(m.endswith("was already approved.") for m in messages) == 1
    assert sum(m.endswith("in a moment.") for m in messages) == 1
    assert (site / "content" / "reflections" / ESSAY / f"{item}.md").is_file()
    export = [json.loads(line) for line in run(site, "export").stdout.splitlines()]
    assert [e["action"] for e in export if e["type"] == "log" and e["item"] == item] == [
        "received",
        "approved",
    ]


def test_reject_and_spam_take_a_published_item_off_the_site(site):
    item = add(site, "Soon rejected.")
    assert run(site, "approve", item, "--no-build").returncode == 0
    path = site / "content" / "reflections" / ESSAY / f"{item}.md"
    assert path.exists()
    assert run(site, "reject", item, "--no-build").returncode == 0
    assert not path.exists()
    other = add(site, "Plainly spam.")
    assert "is spam" in run(site, "spam", other, "--no-build").stdout


def test_respond_publishes_the_authors_response_with_the_reflection(site):
    item = add(site, "A question for the author.")
    result = run(site, "respond", item, "--text", "An answer, with *care*.")
    assert result.returncode == 0, result.stderr
    page = (site / "output" / "essays" / ESSAY / "index.html").read_text()
    assert "A question for the author." in page and "An answer, with <em>care</em>." in page
    assert "Author’s response" in page


def test_withdraw_token_from_the_command_line(site):
    from pelican.plugins.reflections.service import config as service_config
    from pelican.plugins.reflections.service.guard import Guard
    from pelican.plugins.reflections.store import Store

    item = add(site, "I take it back.")
    config = service_config.load({"REFLECTIONS_SITE": str(site)})
    token = Guard(config, Store(config.database_url)).withdraw_token(item)
    result = run(site, "withdraw", token, "--no-build")
    assert result.returncode == 0 and "withdrawn" in result.stdout
    assert json.loads(run(site, "show", item, "--json").stdout)["state"] == "withdrawn"
    bad = run(site, "withdraw", "not-a-token")
    assert bad.returncode != 0 and bad.stderr.strip() == "Error: that withdraw token is not valid"


def test_export_then_import_is_a_complete_idempotent_backup(site, tmp_path):
    first = add(site, "Kept in the backup.", email="a@private.example")
    assert run(site, "approve", first, "--no-build").returncode == 0
    add(site, "Still pending.")
    backup = tmp_path / "queue.jsonl"
    assert run(site, "export", "--output", str(backup)).returncode == 0
    other = copy_site(tmp_path / "other")
    imported = run(other, "import", str(backup))
    assert imported.returncode == 0 and "Imported 2 reflections, 3 log entries" in imported.stdout
    again = run(other, "import", str(backup))
    assert "Imported 0 reflections, 0 log entries, 0 subscribers and 0 mails." in again.stdout
    # A merge keeps this service's own secrets; the rest is the same.
    mine = [line for line in run(other, "export").stdout.splitlines() if '"secret"' not in line]
    theirs = [line for line in run(site, "export").stdout.splitlines() if '"secret"' not in line]
    assert mine == theirs


def test_a_restored_service_accepts_the_links_sent_before_the_backup(site, tmp_path):
    from pelican.plugins.reflections.service import config as service_config
    from pelican.plugins.reflections.service.guard import Guard
    from pelican.plugins.reflections.store import Store

    item = add(site, "Taken back after the move.", email="reader@private.example")
    config = service_config.load({"REFLECTIONS_SITE": str(site)})
    store = Store(config.database_url)
    withdraw = Guard(config, store).withdraw_token(item)
    store.ask_subscriber("reader@private.example")
    store.enqueue_mail("reader@private.example", "Please confirm your address", "A link.")
    backup = tmp_path / "backup.jsonl"
    assert run(site, "backup", "--output", str(backup)).returncode == 0
    other = copy_site(tmp_path / "other")
    assert run(other, "withdraw", "not-a-token").returncode != 0  # a fresh service makes its own secret
    restored = run(other, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "1 subscribers, 1 mails" in restored.stdout
    result = run(other, "withdraw", withdraw, "--no-build")
    assert result.returncode == 0 and "withdrawn" in result.stdout
    other_store = Store(service_config.load({"REFLECTIONS_SITE": str(other)}).database_url)
    assert other_store.subscriber("reader@private.example") is not None
    assert [mail.subject for mail in other_store.outbox()] == ["Please confirm your address"]
    # Restored again, nothing is new: not even the secrets, which it already holds.
    again = run(other, "restore", str(backup))
    assert again.returncode == 0 and "0 secrets" in again.stdout and "0 subscribers" in again.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("show", "nope"), "Error: no reflection has the id 'nope'"),
        (("approve", "nope"), "Error: no reflection has the id 'nope'"),
        (("respond", "nope", "--text", "hello"), "Error: no reflection has the id 'nope'"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(site, arguments, message):
    result = run(site, *arguments)
    assert result.returncode != 0
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr


def test_import_of_something_else_is_refused_in_one_line(site, tmp_path):
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"type": "poem", "text": "hi"}\n')
    result = run(site, "import", str(wrong))
    assert result.returncode != 0 and result.stderr.count("\n") == 1 and "not a backup" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REFLECTIONS_NOTIFY", "sometimes", "REFLECTIONS_NOTIFY must be one of each, digest, off"),
        ("REFLECTIONS_TRUSTED_PROXIES", "proxy.example", "REFLECTIONS_TRUSTED_PROXIES: 'proxy.example'"),
        ("REFLECTIONS_TRUST_PROXY", "true", "REFLECTIONS_TRUST_PROXY is gone"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(site, variable, value, message):
    for command in (("queue",), ("serve", "--port", "1")):
        result = subprocess.run(
            [REFLECTIONS, *command],
            cwd=site,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "REFLECTIONS_SITE": str(site), variable: value},
        )
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.startswith(f"Error: {message}"), result.stderr


@pytest.mark.parametrize("command", [["queue"], ["approve", "01ABC"], ["export"]])
def test_a_database_that_cannot_be_reached_is_one_line(site, command):
    result = subprocess.run(
        [REFLECTIONS, *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "REFLECTIONS_SITE": str(site),
            # Nothing listens on port 1: the connection is refused at once.
            "REFLECTIONS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nowhere",
        },
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the database cannot be reached"), result.stderr


@pytest.mark.parametrize(
    "settings, problem",
    [
        ('THEME = "no-such-theme"\n', "Could not find the theme no-such-theme"),
        ("SITENAME = (\n", "'(' was never closed"),
    ],
)
def test_a_settings_file_pelican_cannot_use_is_one_line_naming_it(site, settings, problem):
    (site / "broken.py").write_text((site / "pelicanconf.py").read_text() + settings, encoding="utf-8")
    result = subprocess.run(
        [REFLECTIONS, "login-link"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REFLECTIONS_SITE": str(site), "REFLECTIONS_SETTINGS": "broken.py"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "broken.py" in lines[0], result.stderr
    assert problem in lines[0]


def test_set_password_names_the_moderation_pages_full_address(site):
    done = run(site, "set-password", "--password-stdin", input="a long enough password\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Password set. Log in at http://127.0.0.1:8000/reflections/moderate"
    # A service on another port (`make run PORT=8123`, `serve --port 8123`): the address says it.
    other = run(site, "set-password", "--password-stdin", "--port", "8123", input="a long enough password\n")
    assert other.stdout.strip() == "Password set. Log in at http://127.0.0.1:8123/reflections/moderate"
    published = subprocess.run(
        [REFLECTIONS, "set-password", "--password-stdin"],
        cwd=site,
        capture_output=True,
        text=True,
        input="a long enough password\n",
        env={
            **os.environ,
            "REFLECTIONS_SITE": str(site),
            "REFLECTIONS_SETTINGS": "publishconf.py",
            "WITHNESS_SITEURL": "https://blog.example.org",
        },
    )
    assert published.stdout.strip() == "Password set. Log in at https://blog.example.org/reflections/moderate"


def test_serve_on_a_busy_port_says_so_in_one_line_with_what_to_do(site):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run(site, "serve", "--port", str(port))
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr and "Serving" not in done.stdout
