"""The privacy page says what is kept and for how long, from the settings in force, in the site's
language; a site with its own page keeps it; the reflection form links to it."""

import subprocess

from conftest import REFLECTIONS, build_site, copy_site


def built(tmp_path, extra: str):
    site = copy_site(tmp_path / "site")
    settings = site / "pelicanconf.py"
    settings.write_text(settings.read_text(encoding="utf-8") + extra, encoding="utf-8")
    result = build_site(settings, tmp_path / "output", tmp_path / "cache", cwd=site)
    assert result.returncode == 0, result.stderr
    return site, tmp_path / "output"


def test_the_page_states_the_settings_in_force(tmp_path):
    _, output = built(tmp_path, "\nREFLECTIONS_KEEP_DECLINED_DAYS = 14\nREFLECTIONS_KEEP_EMAIL_DAYS = 1\n")
    page = (output / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "<h1" in page and "How your words are kept" in page
    assert "is deleted 14 days after that decision" in page
    assert "otherwise 1 day after the author has read" in page
    essay = (output / "essays" / "learning-to-stay" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../privacy/">How your words are kept</a>' in essay


def test_kept_for_ever_is_said_too_and_in_the_sites_language(tmp_path):
    extra = '\nREFLECTIONS_KEEP_DECLINED_DAYS = 0\nREFLECTIONS_KEEP_EMAIL_DAYS = 0\nDEFAULT_LANG = "de"\n'
    _, output = built(tmp_path, extra)
    page = (output / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "Wie Ihre Worte aufbewahrt werden" in page
    assert "wird verborgen aufbewahrt" in page and "wenn Sie die Mails beenden." in page
    assert "Tage nach" not in page


def test_a_sites_own_privacy_page_is_kept_and_the_setting_turns_it_off(tmp_path):
    site = copy_site(tmp_path / "site")
    (site / "content" / "pages" / "privacy.md").write_text(
        "Title: Our privacy\nSlug: privacy\n\nOur own words.\n", encoding="utf-8"
    )
    result = build_site(site / "pelicanconf.py", tmp_path / "output", tmp_path / "cache", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "Our own words." in (tmp_path / "output" / "privacy" / "index.html").read_text(encoding="utf-8")
    _, output = built(tmp_path / "off", "\nREFLECTIONS_PRIVACY_PAGE = False\n")
    assert not (output / "privacy").exists()
    assert "privacy/" not in (output / "essays" / "learning-to-stay" / "index.html").read_text(
        encoding="utf-8"
    )


def test_the_purge_command_says_what_it_removed(tmp_path):
    site = copy_site(tmp_path / "site")
    result = subprocess.run([REFLECTIONS, "purge"], cwd=site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Removed 0 rejected or spam item(s)")
