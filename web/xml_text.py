"""Text fit for XML 1.0: the characters it forbids are refused in requests and stripped in output.

XML 1.0 allows tab, line feed, carriage return and U+0020 upwards, minus the surrogates and
U+FFFE/U+FFFF; ElementTree writes any other character as it is, giving a document no XML parser
accepts. A catalogue record or a request argument may hold one (a stray U+000B from a
spreadsheet, a control character in a forged resumption token).
"""

from __future__ import annotations

import re

ILLEGAL_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def has_illegal_xml(text: str) -> bool:
    """Whether ``text`` holds a character XML 1.0 cannot carry."""
    return ILLEGAL_IN_XML.search(text) is not None


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return ILLEGAL_IN_XML.sub("", text)
