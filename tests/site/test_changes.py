"""What one incremental publish touches: pure decisions over Pelican's template contexts."""

from types import SimpleNamespace

from pelican.plugins.reflections.site.changes import Change


class Essay:
    """As Pelican's articles are: compared and hashed by identity."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.source_path = f"/site/content/essays/{slug}.md"


STAY, TABLE = Essay("learning-to-stay"), Essay("the-kitchen-table")


def index_page(*essays) -> dict:
    return {"articles_page": SimpleNamespace(object_list=list(essays)), "dates": [STAY, TABLE]}


def test_a_reflection_touches_its_essay_page_and_the_count_templates_that_list_it():
    change = Change(slugs=frozenset(["learning-to-stay"]), count_templates=("index", "archives"))
    assert change.wants_page("article", {"article": STAY})
    assert not change.wants_page("article", {"article": TABLE})
    assert change.wants_page("index", index_page(STAY))
    assert not change.wants_page("index", index_page(TABLE))
    assert change.wants_page("archives", {"dates": [STAY, TABLE]})
    assert not change.wants_page("tag", {"dates": [STAY]})  # tag lists show no count
    assert not change.wants_feed("feeds/all.atom.xml", [STAY])  # Pelican's feeds show no reflection


def test_an_edited_essay_touches_every_list_and_feed_that_shows_it():
    change = Change(sources=frozenset([STAY.source_path]))
    assert change.wants_page("tag", {"dates": [STAY]}) and not change.wants_page("tag", {"dates": [TABLE]})
    assert change.wants_feed("feeds/all.atom.xml", [TABLE, STAY])
    assert not change.wants_feed("feeds/tag/home.atom.xml", [TABLE])
    regrouped = Change(sources=frozenset([STAY.source_path]), regrouped=True)
    assert regrouped.wants_page("tag", {"dates": [TABLE]}) and regrouped.wants_feed("x.xml", [TABLE])


def test_a_pinned_change_answers_by_the_essays_it_found():
    change = Change(slugs=frozenset(["the-kitchen-table"])).pinned([STAY, TABLE])
    assert change.essays == frozenset([TABLE])
    assert change.touches(TABLE) and not change.touches(STAY)
