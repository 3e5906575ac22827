"""Search requests shared by the pages and the API: parsing parameters, running, loading wares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict

from archive.catalogue import wares_by_ids
from archive.models import Ware
from index.query import QueryNote
from index.text import DID_YOU_MEAN
from index.text import FACETS as TEXT_FACETS
from index.text import SORTS as TEXT_SORTS
from web.views.context import db_session, search_service
from web.views.formatting import translate
from web.views.language import N_
from web.views.vocabulary import active as active_vocabulary
from web.views.vocabulary import interface_pair, value_label, value_pair

if TYPE_CHECKING:
    from index.service import Hit, SearchPage

# Facets a visitor may filter by, in the order the index counts them.
FACET_FIELDS: tuple[str, ...] = TEXT_FACETS
FACET_LABELS: Mapping[str, str] = {
    "object_type": N_("Object type"),
    "material": N_("Material"),
    "maker": N_("Maker"),
    "place": N_("Place"),
    "century": N_("Century"),
    "institution": N_("Institution"),
    "collection": N_("Collection"),
    "has_photo": N_("Photograph"),
}
# Facet values that are codes rather than words.
FACET_VALUE_LABELS: Mapping[str, Mapping[str, str]] = {
    "has_photo": {"yes": N_("With photograph"), "no": N_("Without photograph")},
}
# The index writes centuries in English ("18th century", "3rd century BCE").
_CENTURY = re.compile(r"^(\d+)(st|nd|rd|th) century( BCE)?$")
MODES = ("keyword", "visual", "hybrid")
SORTS: tuple[str, ...] = TEXT_SORTS
# Photograph views a search by photograph can be limited to ("" = every photograph).
VIEWS = ("", "mark")
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_QUERY_LENGTH = 500
# Years are whole numbers, negative for BCE; the bounds only keep nonsense out of the index.
EARLIEST_YEAR, LATEST_YEAR = -10_000, 2_100


class BadSearch(ValueError):
    """A search parameter that cannot be used; the message says which and why.

    The message is an English template with ``{name}`` placeholders, so a page can show it in
    the visitor's language (``translated``) while the API answers in English.
    """

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values) if values else message)
        self.template = message
        self.values = values

    def translated(self) -> str:
        """The message in the visitor's language."""
        return translate(self.template, **self.values)


@dataclass(frozen=True)
class SearchRequest:
    """What a visitor asked for, validated."""

    q: str = ""
    mode: str = "keyword"
    page: int = 1
    per_page: int = 24
    sort: str = "relevance"
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    image: str = ""
    # Search by photograph among photographs of one view only ("mark": find this mark).
    view: str = ""

    @property
    def has_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None

    def index_filters(self) -> dict[str, Any] | None:
        """Facet filters plus the date range, as the index takes them (None when there are none)."""
        combined: dict[str, Any] = dict(self.filters)
        if self.year_from is not None:
            combined["year_from"] = self.year_from
        if self.year_to is not None:
            combined["year_to"] = self.year_to
        return combined or None

    @property
    def is_empty(self) -> bool:
        """Nothing asked yet (an empty ``q`` that was submitted still browses everything)."""
        return not self.q and not self.image and not self.filters and not self.has_years


@dataclass(frozen=True)
class Result:
    """One hit with its ware row."""

    ware: Ware
    hit: Hit


@dataclass(frozen=True)
class SearchOutcome:
    """A page of results ready to show."""

    page: SearchPage
    results: list[Result]

    @property
    def pages(self) -> int:
        return max(1, -(-self.page.total // max(self.page.per_page, 1)))

    @property
    def facets(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """The facets that have values, in page order; centuries run in time order, the others
        most frequent first, as the index counts them."""
        shown = []
        for name in FACET_FIELDS:
            values = [(str(value), int(number)) for value, number in self.page.facets.get(name, ())]
            if name == "century":
                values.sort(key=lambda pair: century_order(pair[0]))
            if values:
                shown.append((name, values))
        return shown

    @property
    def mostly_unphotographed(self) -> bool:
        """Whether fewer than half the wares on this page have a photograph: a list then reads
        better than a wall of placeholder boxes."""
        with_photo = sum(1 for result in self.results if result.ware.main_photograph)
        return bool(self.results) and with_photo * 2 < len(self.results)

    @property
    def message(self) -> str:
        """The index's notes on how it read the query, in the visitor's language, less the
        "did you mean" the page shows as a link."""
        return " ".join(
            translate(note.template, **note.values)
            for note in self.page.notes
            if isinstance(note, QueryNote) and note.template != DID_YOU_MEAN
        )


def century_order(value: str) -> tuple[int, str]:
    """A sort key putting century facet values in time order (BCE first, counting down); values
    that are not centuries go last, alphabetically."""
    century = _CENTURY.match(value)
    if century is None:
        return (1_000_000, value)
    number = int(century[1])
    return (-number if century[3] else number, value)


def facet_value_label(name: str, value: str) -> str:
    """A facet value as shown: codes get words, centuries are written in the visitor's
    language, and everything else is named from the bilingual vocabulary (as written where
    the vocabulary lacks it)."""
    label = FACET_VALUE_LABELS.get(name, {}).get(value)
    if label:
        return translate(label)
    century = _CENTURY.match(value) if name == "century" else None
    if century:
        template = (
            N_("{number}{suffix} century BCE") if century[3] else N_("{number}{suffix} century")
        )
        return translate(template, number=century[1], suffix=century[2])
    return value_label(value)


def facet_value_pair(name: str, value: str) -> dict[str, str]:
    """A facet value in both languages for the API: codes from the translation catalogues,
    everything else from the vocabulary (as written in both where it lacks the value)."""
    label = FACET_VALUE_LABELS.get(name, {}).get(value)
    if label:
        return interface_pair(label)
    return value_pair(value) or {"en": value, "zh": value}


def _optional_int(args: MultiDict[str, str], name: str, low: int, high: int) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadSearch(
            N_("{name} must be a whole number, not {value}"), name=name, value=repr(raw)
        ) from None
    if not low <= value <= high:
        raise BadSearch(
            N_("{name} must be between {low} and {high}"), name=name, low=low, high=high
        )
    return value


def _int_arg(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _optional_int(args, name, low, high)
    return default if value is None else value


def parse_search_args(
    args: MultiDict[str, str],
    *,
    strict: bool,
    known: tuple[str, ...] = (),
    default_mode: str = "keyword",
) -> SearchRequest:
    """Read a search from query parameters; ``strict`` (the API) rejects unknown parameters.

    ``known`` names extra parameters a caller reads itself (the export's ``format``);
    ``default_mode`` is the mode when none is given (the search page asks for ``hybrid``).

    Pages are lenient so a hand-edited address still shows something; the API says what is wrong.
    """
    if strict:
        allowed = {"q", "mode", "page", "per_page", "sort", "year_from", "year_to", "view"}
        allowed.update(FACET_FIELDS, known)
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise BadSearch(N_("unknown parameter {name}"), name=repr(unknown[0]))
    q = args.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise BadSearch(N_("the query is longer than {limit} characters"), limit=MAX_QUERY_LENGTH)
    mode = args.get("mode", default_mode).strip() or default_mode
    if mode not in MODES:
        raise BadSearch(N_("mode must be one of {choices}"), choices=", ".join(MODES))
    sort = args.get("sort", "relevance").strip() or "relevance"
    if sort not in SORTS:
        raise BadSearch(N_("sort must be one of {choices}"), choices=", ".join(SORTS))
    filters = {
        name: values
        for name in FACET_FIELDS
        if (values := [v.strip() for v in args.getlist(name) if v.strip()])
    }
    year_from = _optional_int(args, "year_from", EARLIEST_YEAR, LATEST_YEAR)
    year_to = _optional_int(args, "year_to", EARLIEST_YEAR, LATEST_YEAR)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadSearch(N_("year_from must not be later than year_to"))
    # The API names the photographs' view (``view=mark``); on pages ``view`` is the grid or list
    # layout (``formatting.chosen_view``), so the marks filter is ``marks=1`` there.
    if strict:
        view = args.get("view", "").strip()
    else:
        view = "mark" if args.get("marks", "").strip() == "1" else ""
    if view not in VIEWS:
        raise BadSearch(
            N_("view must be one of {choices}"), choices=", ".join(v for v in VIEWS if v)
        )
    return SearchRequest(
        q=q,
        mode=mode,
        page=_int_arg(args, "page", 1, 1, MAX_PAGE),
        per_page=_int_arg(args, "per_page", 24, 1, MAX_PER_PAGE),
        sort=sort,
        filters=filters,
        year_from=year_from,
        year_to=year_to,
        image=args.get("image", "").strip(),
        view=view,
    )


def run_text_search(request: SearchRequest) -> SearchOutcome:
    """Run a search by words in the request's mode and load its wares.

    ``keyword`` searches the records; ``visual`` searches the photographs by description (CLIP's
    text tower); ``hybrid`` fuses both when CLIP is active and is plain keyword search otherwise.
    A sort other than relevance, or no words at all, means a keyword search: only the records
    can be sorted or browsed.
    """
    service = search_service()
    active_vocabulary()  # filters in either language need the curators' latest terms
    if request.mode == "visual":
        if not request.q:
            raise BadSearch(
                N_("a visual search needs words describing the photographs, or a photograph")
            )
        if not service.understands_words:
            raise BadSearch(
                N_(
                    "searching photographs by words needs CLIP, which is not active here: "
                    "search the records instead, or search with a photograph"
                )
            )
    if request.mode == "keyword" or (
        request.mode == "hybrid"
        and (not request.q or request.sort != "relevance" or not service.understands_words)
    ):
        page = service.keyword(
            request.q,
            page=request.page,
            per_page=request.per_page,
            filters=request.index_filters(),
            sort=request.sort,
        )
    else:
        page = service.search(
            request.q,
            mode=request.mode,
            page=request.page,
            per_page=request.per_page,
            filters=request.index_filters(),
        )
    return outcome_of(page)


def run_image_search(request: SearchRequest, image_bytes: bytes) -> SearchOutcome:
    """Search by a photograph, fused with the words when there are any (raises ``ImageRejected``).

    Visual results come from the image index alone, so ``sort`` does not apply to them.
    """
    service = search_service()
    active_vocabulary()
    if request.q:
        page = service.search(
            request.q,
            image=image_bytes,
            mode="hybrid",
            page=request.page,
            per_page=request.per_page,
            filters=request.index_filters(),
        )
    else:
        page = service.by_image(
            image_bytes,
            page=request.page,
            per_page=request.per_page,
            filters=request.index_filters(),
            view=request.view or None,
        )
    return outcome_of(page)


def outcome_of(page: SearchPage) -> SearchOutcome:
    """Pair each hit with its ware; a hit whose ware is no longer public is dropped."""
    wares = {ware.id: ware for ware in wares_by_ids(db_session(), [h.ware_id for h in page.hits])}
    results = [Result(wares[h.ware_id], h) for h in page.hits if h.ware_id in wares]
    return SearchOutcome(page, results)


def embedder_status() -> dict[str, Any]:
    """Which image embedder answers searches by photograph, and why."""
    return dict(search_service().embedder_status())


def embedder_for_page() -> dict[str, Any]:
    """``embedder_status`` for a public page: which search is active, in plain words (``plain``).

    The reason (which setting to change, a loading error) is for whoever runs the archive: it
    is shown on the admins' status page, never to the public.
    """
    status = embedder_status()
    if status["kind"] == "clip":
        status["plain"] = translate(
            N_(
                "Search by photograph and by description uses a neural image model (CLIP): "
                "describe what a pot looks like, or show one."
            )
        )
    else:
        status["plain"] = translate(
            N_(
                "Search by photograph compares colour, texture and shape. Describing a "
                "photograph in words is not available on this archive."
            )
        )
    status.pop("reason", None)
    return status
