"""Every database URL a host hands out: PostgreSQL in each of its spellings, anything else one line
naming what is supported, and the missing extra named as this installation installs it."""

import os
import subprocess

import pytest
from conftest import NO_POSTGRES, POSTGRES, REFLECTIONS, copy_site
from pelican.plugins.reflections.core.errors import SettingError, install_hint
from pelican.plugins.reflections.store import Store
from pelican.plugins.reflections.store.engine import database_url


@pytest.mark.parametrize(
    "given, read",
    [
        ("postgres://u:p@db.example:5432/blog", "postgresql+psycopg://u:p@db.example:5432/blog"),
        (
            "postgresql://u@db.example/blog?sslmode=require",
            "postgresql+psycopg://u@db.example/blog?sslmode=require",
        ),
        ("postgresql+psycopg://u@db.example/blog", "postgresql+psycopg://u@db.example/blog"),
        ("sqlite:////srv/site/reflections.db", "sqlite:////srv/site/reflections.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_the_forms_hosts_give_are_read_as_what_they_name(given, read):
    assert database_url(given) == read


@pytest.mark.parametrize(
    "given, said",
    [
        ("mysql://u:secret@db.example/blog", "mysql is not a database Withness supports"),
        (
            "postgresql+psycopg2://u:secret@db.example/blog",
            "postgresql+psycopg2 is not a database Withness supports",
        ),
        ("not a url at all", "does not read as a database URL"),
        ("", "does not read as a database URL"),
    ],
)
def test_anything_else_is_one_line_naming_what_is_supported_and_never_the_password(given, said):
    with pytest.raises(SettingError) as raised:
        database_url(given)
    message = str(raised.value)
    assert said in message and "sqlite:///" in message and "postgresql://" in message
    assert "secret" not in message and "\n" not in message


@pytest.mark.skipif(not POSTGRES, reason=f"no PostgreSQL for the tests: {NO_POSTGRES}")
def test_a_postgres_url_as_a_paas_host_gives_it_opens_the_queue():
    scheme, rest = POSTGRES.split("://", 1)
    store = Store(f"postgres://{rest}")
    assert store.engine.dialect.name == "postgresql" and store.engine.driver == "psycopg"
    assert store.find(limit=1) is not None


def test_an_unsupported_url_is_one_line_from_the_command(tmp_path):
    site = copy_site(tmp_path / "site")
    result = subprocess.run(
        [REFLECTIONS, "queue"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REFLECTIONS_SITE": str(site), "REFLECTIONS_DATABASE_URL": "mysql://u:pw@db/blog"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: REFLECTIONS_DATABASE_URL: mysql is not a database Withness supports")


def test_the_hint_names_the_install_that_fits_this_one():
    # The tests run from a clone, installed editable: the extra is installed into the clone.
    clone = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert install_hint("postgres") == f"pip install -e '{clone}[postgres]'"
