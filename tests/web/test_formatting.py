"""How values are shown: snippets, years, licences."""

from __future__ import annotations

import pytest

from web.views.formatting import licence_label, safe_snippet, year_range


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("a <mark>celadon</mark> bowl", "a <mark>celadon</mark> bowl"),
        ('a <b class="match term0">bowl</b>', "a <mark>bowl</mark>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("&lt;script&gt; already escaped", "&lt;script&gt; already escaped"),
        ('<mark onclick="x">hi</mark>', "&lt;mark onclick=&#34;x&#34;&gt;hi"),
        ("<mark>open <mark>twice", "<mark>open twice</mark>"),
        ("Tom &amp; Jerry", "Tom &amp; Jerry"),
        (None, ""),
    ],
)
def test_snippets_keep_only_highlights(snippet: str | None, expected: str) -> None:
    assert str(safe_snippet(snippet)) == expected


@pytest.mark.parametrize(
    ("earliest", "latest", "expected"),
    [
        (1736, 1795, "1736–1795"),
        (-3800, -3200, "3800–3200 BCE"),
        (-200, 100, "200 BCE–100"),
        (1800, 1800, "1800"),
        (None, 1800, "1800"),
        (None, None, ""),
    ],
)
def test_year_ranges(earliest: int | None, latest: int | None, expected: str) -> None:
    assert year_range(earliest, latest) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://creativecommons.org/licenses/by/2.5/", "CC BY 2.5"),
        ("https://creativecommons.org/licenses/by-nc-sa/4.0/", "CC BY-NC-SA 4.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "Public Domain Mark"),
        (
            "http://rightsstatements.org/vocab/InC-EDU/1.0/",
            "In Copyright – Educational Use Permitted",
        ),
        ("All rights reserved", "All rights reserved"),
        (None, ""),
    ],
)
def test_licence_labels(uri: str | None, expected: str) -> None:
    assert licence_label(uri) == expected
