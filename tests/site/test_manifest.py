"""The essays' manifest (site/manifest.py): what the service knows of a build's essays, its bytes
joined from each entry's own JSON exactly as json.dumps writes the whole."""

import json

from pelican.plugins.reflections.site import manifest


def test_the_manifest_joined_from_its_entries_is_the_json_of_the_whole(site):
    written = (site.parent / "cache" / manifest.FILENAME).read_bytes()
    data = json.loads(written)
    assert data["essays"] and data["version"] == manifest.VERSION
    found = {source: json.dumps(entry, sort_keys=True) for source, entry in data["essays"].items()}
    assert manifest.encoded(found) == json.dumps(data, sort_keys=True).encode() == written


def test_names_and_words_of_any_script_are_joined_as_json_writes_them():
    entries = {
        "essays/zürich.md": {"slug": "zürich", "title": "Ein “Anfang” — 始まり\n\t\\", "links": ['a"b']},
        "essays/a.md": {"slug": "a", "title": "", "reflection_passages": [["p-1", "Erste Zeile"]]},
    }
    found = {source: json.dumps(entry, sort_keys=True) for source, entry in entries.items()}
    expected = json.dumps({"version": manifest.VERSION, "essays": entries}, sort_keys=True).encode()
    assert manifest.encoded(found) == expected
