"""Maker credits as sources write them, and the key that merges spelling variants of one maker.

"Minton & Co. (manufacturer); Christopher Dresser (attributed designer)" becomes two credits. Roles
are normalised to the catalogue's four (manufacturer, designer, decorator, maker). What those four
cannot say is kept apart as the credit's qualifier: hedges ("attributed", "possibly") and parts
that are not making at all ("retailer", "publisher").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ROLES = ("manufacturer", "designer", "decorator", "maker")

# Words of source roles, in the catalogue's terms. A modeller makes the form a factory reproduces,
# so their work is design; painting, gilding and printing are decoration.
ROLE_WORDS = {
    "manufacturer": "manufacturer",
    "manufactured": "manufacturer",
    "manufactory": "manufacturer",
    "factory": "manufacturer",
    "pottery": "manufacturer",
    "works": "manufacturer",
    "producer": "manufacturer",
    "produced": "manufacturer",
    "kiln": "manufacturer",
    "designer": "designer",
    "designed": "designer",
    "design": "designer",
    "modeller": "designer",
    "modeler": "designer",
    "modelled": "designer",
    "modeled": "designer",
    "sculptor": "designer",
    "decorator": "decorator",
    "decorated": "decorator",
    "decoration": "decorator",
    "painter": "decorator",
    "painted": "decorator",
    "gilder": "decorator",
    "gilded": "decorator",
    "enameller": "decorator",
    "enameler": "decorator",
    "engraver": "decorator",
    "engraved": "decorator",
    "printer": "decorator",
    "maker": "maker",
    "made": "maker",
    "potter": "maker",
    "artist": "maker",
    "ceramicist": "maker",
    "ceramist": "maker",
    "thrower": "maker",
    "thrown": "maker",
    "author": "maker",
}
# Parts in a ware's history that are not making it; credited as "maker" with this qualifier.
OTHER_ROLE_WORDS = {
    "retailer",
    "publisher",
    "commissioner",
    "architect",
    "engineer",
    "photographer",
    "printmaker",
    "carver",
    "collaborator",
    "copyist",
    "illustrator",
    "owner",
}
QUALIFIERS = {
    "formerly attributed to": "formerly attributed",
    "formerly attributed": "formerly attributed",
    "attributed to": "attributed",
    "attributed": "attributed",
    "attrib.": "attributed",
    "attr.": "attributed",
    "possibly by": "possibly",
    "possibly": "possibly",
    "possible": "possibly",
    "probably by": "probably",
    "probably": "probably",
    "school of": "school of",
    "workshop of": "workshop of",
    "studio of": "workshop of",
    "circle of": "circle of",
    "follower of": "follower of",
    "style of": "style of",
    "manner of": "style of",
    "after": "after",
}
QUALIFIER_PATTERN = re.compile(
    r"^(?:" + "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True)) + r")(?!\w)"
)
# "designed by Christopher Dresser": a role written before the name.
LEADING_ROLE = re.compile(r"^(?P<role>[a-z]+)\s+by\s+(?P<name>.+)$", re.IGNORECASE)
TRAILING_ROLE = re.compile(r"^(?P<name>.+?)\s*\((?P<role>[^()]*)\)\s*$")
# Legal forms say nothing about who the maker is: "Wedgwood and Sons, Ltd." is "Wedgwood and Sons".
LEGAL_FORMS = {"ltd", "limited", "plc", "inc", "incorporated", "llc", "llp", "gmbh", "sa", "bv"}
KEY_SYNONYMS = {"&": "and", "+": "and", "company": "co", "brothers": "bros"}


@dataclass(frozen=True)
class MakerCredit:
    """A maker as a source credits them: name as written (tidied), role, and any qualifier."""

    name: str
    role: str = "maker"
    qualifier: str | None = None


def _role_word(word: str) -> str | None:
    """The catalogue role of one word, singular or plural ("designers"), or None."""
    return ROLE_WORDS.get(word) or ROLE_WORDS.get(word.removesuffix("s"))


def normalise_role(text: str | None) -> tuple[str, str | None]:
    """Map a source role ("attributed designer", "Manufacturer", "possibly by", "painter") to
    one of ROLES and a qualifier: a hedge ("attributed", "possibly", ...) or, for a part that
    is not one of the four ("retailer"), that part as written, with role "maker"."""
    words = " ".join((text or "").lower().replace("?", " ").split())
    qualifier = None
    match = QUALIFIER_PATTERN.match(words)
    if match:
        qualifier = QUALIFIERS[match.group(0)]
        words = words[match.end() :].strip()
    words = re.sub(r"^(?:to|by)\b", "", words).strip()
    for word in re.findall(r"[a-z]+", words):
        role = _role_word(word)
        if role:
            return role, qualifier
    if words and qualifier is None:
        return "maker", words
    return "maker", qualifier


def _is_role(text: str) -> bool:
    """Whether a parenthesis holds only a role ("attributed designer", "retailer"), not part of
    a name ("Leeds Pottery", "Stoke-on-Trent")."""
    rest = " ".join(text.lower().split())
    match = QUALIFIER_PATTERN.match(rest)
    if match:
        rest = rest[match.end() :]
    words = re.findall(r"[a-z]+", rest)
    known = [
        _role_word(word)
        or word.removesuffix("s") in OTHER_ROLE_WORDS
        or word in ("by", "to", "and")
        for word in words
    ]
    return (bool(words) or match is not None) and all(known)


def _tidy(name: str) -> str:
    return " ".join(name.split()).strip(" ,;:")


def parse_makers(text: str | None) -> list[MakerCredit]:
    """Parse a makers cell: credits separated by ";" or new lines, each "Name (role)",
    "role by Name" or a bare name (role "maker"). A parenthesis that is not a role stays part of
    the name ("Minton (Stoke-on-Trent)")."""
    credits: list[MakerCredit] = []
    for part in re.split(r"[;\n]", text or ""):
        entry = _tidy(part)
        if not entry:
            continue
        role_text = ""
        trailing = TRAILING_ROLE.match(entry)
        if trailing and _is_role(trailing.group("role")):
            entry, role_text = _tidy(trailing.group("name")), trailing.group("role")
        leading = LEADING_ROLE.match(entry)
        if leading and leading.group("role").lower() in ROLE_WORDS:
            entry = _tidy(leading.group("name"))
            role_text = f"{leading.group('role')} {role_text}"
        qualified = QUALIFIER_PATTERN.match(entry.lower())
        if qualified:
            entry = _tidy(entry[qualified.end() :])
            role_text = f"{qualified.group(0)} {role_text}"
        if not entry:
            continue
        role, qualifier = normalise_role(role_text)
        credits.append(MakerCredit(entry, role, qualifier))
    return credits


def maker_key(name: str) -> str:
    """The key under which spelling variants of one maker's name merge.

    Case, accents, punctuation, spacing, "&"/"and", "Company"/"Co." and legal forms (Ltd., Inc.)
    do not count; every other word does, so "Josiah Wedgwood" (the potter) and "Josiah Wedgwood &
    Sons" (the firm), or "Enoch Wood" and "Enoch Wood and Sons", stay apart.
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"([&+])", r" \1 ", folded)
    # An apostrophe joins its word ("Mintons'", "Chamberlain's") rather than splitting it.
    folded = re.sub(r"['’`]", "", folded)
    words = [KEY_SYNONYMS.get(word, word) for word in re.findall(r"[&+]|\w+", folded)]
    words = [word for word in words if word not in LEGAL_FORMS]
    if words and words[0] == "the":
        words = words[1:]
    key = " ".join(words)
    # Chinese names are not spaced: 景德镇 窑 and 景德镇窑 are one kiln.
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", key)
