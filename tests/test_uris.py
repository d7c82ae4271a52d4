"""The URI scheme: one base, /id/ /doc/ /def/, and deployment under another domain by configuration."""

from __future__ import annotations

from datetime import date

import pytest

from mappa_kb import uris


def test_things_are_minted_under_id() -> None:
    assert str(uris.area("durham")) == "https://w3id.org/mappa-kb/id/area/durham"
    assert str(uris.observation("durham", 2010, "eligible_snapshot", "1", "total")).endswith(
        "/id/observation/durham/2010-11/eligible-snapshot/level-1/category-all"
    )


def test_periods_reuse_reference_data_gov_uk() -> None:
    assert str(uris.day(date(2011, 3, 31))) == "http://reference.data.gov.uk/id/day/2011-03-31"
    assert str(uris.reporting_year(2010)) == (
        "http://reference.data.gov.uk/id/gregorian-interval/2010-04-01T00:00:00/P1Y"
    )


def test_id_answers_with_its_doc() -> None:
    assert uris.id_to_doc(uris.SOURCE_BASE + "id/area/durham") == uris.SOURCE_BASE + "doc/area/durham"
    assert uris.id_to_doc("http://example.org/id/x") is None


def test_a_deployment_rebases_without_editing_turtle() -> None:
    turtle = f"<{uris.SOURCE_BASE}id/area/durham> <{uris.SOURCE_BASE}def/mappa/area> <http://other/x> ."
    rebased = uris.rebase(turtle, "https://mappa.police.example/kb/")
    assert "<https://mappa.police.example/kb/id/area/durham>" in rebased
    assert "<http://other/x>" in rebased and uris.SOURCE_BASE not in rebased


@pytest.mark.parametrize("base", ["ftp://x/", "https://x", "not a uri/", "https://x/a b/", ""])
def test_a_bad_base_is_refused_with_an_example(base: str) -> None:
    with pytest.raises(ValueError, match="must be an absolute http"):
        uris.validate_base(base)


@pytest.mark.parametrize("segment", ["Durham", "a/b", "", "x y", "../etc"])
def test_minting_refuses_unsafe_segments(segment: str) -> None:
    with pytest.raises(ValueError):
        uris.thing("area", segment)
