"""Getty AAT terms for the Linked Art documents: the model's own terms and catalogue words.

Two kinds of term. The structural ones (Primary Name, Accession Number, Height, English, ...)
are the ids the Linked Art model requires or recommends (its "vocab" pages); they are constants
here. Catalogue words (a ware's object type and material) get an id only where a vocabulary
knows it: the small table ``aat_terms.tsv`` beside this module, the bilingual glossary's ``aat``
column (``index/glossary.tsv``; both held by a test to the labels the Linked Art project
publishes), and the ids curators give vocabulary terms in the browser. A word no vocabulary
knows is kept as text in a statement: an id is never guessed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from index import vocabulary as catalogue_vocabulary
from index.glossary import GLOSSARY_PATH, normalise_term

AAT = "http://vocab.getty.edu/aat/"
TERMS_PATH = Path(__file__).with_name("aat_terms.tsv")


@dataclass(frozen=True)
class Term:
    """A Getty AAT concept: its number and the label written beside it."""

    number: str
    label: str

    @property
    def uri(self) -> str:
        return AAT + self.number

    def ref(self, kind: str = "Type") -> dict[str, str]:
        """A Linked Art reference to this concept as a ``Type``, ``Language``, ``Material``..."""
        return {"id": self.uri, "type": kind, "_label": self.label}


# The Linked Art model's required and recommended terms (linked.art/model/vocab/).
PRIMARY_NAME = Term("300404670", "Primary Name")
ALTERNATE_NAME = Term("300264273", "Alternate Name")
ACCESSION_NUMBER = Term("300312355", "Accession Number")
BRIEF_TEXT = Term("300418049", "brief texts")
TYPE_OF_WORK = Term("300435443", "Type of Work")
DECORATIVE_ARTS = Term("300411641", "Decorative Arts")
COLLECTION = Term("300025976", "Collection")
DESCRIPTION = Term("300435416", "Description")
CREDIT_LINE = Term("300026687", "Credit Line")
DIMENSIONS_STATEMENT = Term("300435430", "Dimensions Statement")
INSCRIPTION_STATEMENT = Term("300435414", "Inscription Statement")
MATERIALS_STATEMENT = Term("300435429", "Materials Statement")
PRODUCTION_STATEMENT = Term("300435436", "Production Statement")
PROVENANCE_STATEMENT = Term("300435438", "Provenance Statement")
RIGHTS_STATEMENT = Term("300435434", "Rights Statement")
HEIGHT = Term("300055644", "Height")
WIDTH = Term("300055647", "Width")
DEPTH = Term("300072633", "Depth")
DIGITAL_IMAGE = Term("300215302", "Digital Image")
WEB_PAGE = Term("300264578", "Web Page")
EXHIBITION = Term("300054766", "Exhibition Activity")
PROFESSIONAL_ACTIVITY = Term("300393177", "Professional Activity")
# Labels as the AAT gives them (the Linked Art project's aat_labels.json).
DIAMETER = Term("300055624", "diameter")
CENTIMETERS = Term("300379098", "centimeters")
LANGUAGES = {
    "en": Term("300388277", "English (language)"),
    "zh": Term("300388113", "Chinese (language)"),
}

STRUCTURAL_TERMS = (
    PRIMARY_NAME,
    ALTERNATE_NAME,
    ACCESSION_NUMBER,
    BRIEF_TEXT,
    TYPE_OF_WORK,
    DECORATIVE_ARTS,
    COLLECTION,
    DESCRIPTION,
    CREDIT_LINE,
    DIMENSIONS_STATEMENT,
    INSCRIPTION_STATEMENT,
    MATERIALS_STATEMENT,
    PRODUCTION_STATEMENT,
    PROVENANCE_STATEMENT,
    RIGHTS_STATEMENT,
    HEIGHT,
    WIDTH,
    DEPTH,
    DIGITAL_IMAGE,
    WEB_PAGE,
    EXHIBITION,
    PROFESSIONAL_ACTIVITY,
    DIAMETER,
    CENTIMETERS,
    *LANGUAGES.values(),
)

# The glossary's categories that name what a ware is (form) and what it is made of (ware).
_GLOSSARY_CATEGORIES = {
    "form": "object_type",
    "object_type": "object_type",
    "ware": "material",
    "material": "material",
}
# Words in a material or object-type cell: "porcelain; cobalt blue", "stoneware, glazed".
_SEPARATORS = re.compile(r"\s*(?:[;,/，；、]|\band\b|\bwith\b|和|与)\s*")


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@cache
def catalogue_terms(
    table: Path = TERMS_PATH, glossary: Path = GLOSSARY_PATH
) -> dict[tuple[str, str], Term]:
    """(category, normalised word) -> AAT term, from the shipped table and the glossary.

    The glossary is read only if it has an ``aat`` column (the bilingual vocabulary adds one);
    its ``en`` and ``zh`` cells name the words, its ``category`` the kind of word. The shipped
    table wins where both know a word.
    """
    known: dict[tuple[str, str], Term] = {}
    for row in _rows(glossary):
        category = _GLOSSARY_CATEGORIES.get(row.get("category") or "")
        number = (row.get("aat") or "").strip().removeprefix("aat:").removeprefix(AAT)
        if not number.isdigit() or category is None:
            continue
        words = [w for cell in (row.get("en"), row.get("zh")) for w in (cell or "").split("|")]
        label = (row.get("en") or row.get("zh") or "").split("|")[0]
        for word in words:
            if word.strip():
                known[(category, normalise_term(word))] = Term(number, label)
    for row in _rows(table):
        term = Term(row["aat"].strip(), row["label"].strip())
        for word in row["terms"].split("|"):
            known[(row["category"].strip(), normalise_term(word))] = term
    return known


def _curated_term(word: str, category: str) -> Term | None:
    """The AAT id a curator gave the vocabulary term ``word`` names (audited, in the browser)."""
    term = catalogue_vocabulary.current().term(word)
    if term is None or not term.aat_id:
        return None
    if _GLOSSARY_CATEGORIES.get(term.category, term.category) != category:
        return None
    return Term(term.aat_id, term.en)


def terms_for(text: str | None, category: str) -> list[Term]:
    """The AAT terms a vocabulary knows for the words of ``text`` (a catalogue cell): the
    shipped table and glossary first, then the ids curators gave the vocabulary's terms."""
    if not text:
        return []
    known = catalogue_terms()
    found: list[Term] = []
    for part in [text, *_SEPARATORS.split(text)]:
        if not part:
            continue
        term = known.get((category, normalise_term(part))) or _curated_term(part, category)
        if term and term not in found:
            found.append(term)
    return found
