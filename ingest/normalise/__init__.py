"""Normalisation of catalogue values as sources write them: dates, makers, dimensions, languages.

Pure functions without I/O or database access, so that every mapping and reader can use them.
"""

from ingest.normalise.dates import DateRange, parse_date
from ingest.normalise.dimensions import Dimensions, from_inches, inches_text, parse_dimensions
from ingest.normalise.languages import is_chinese, split_languages
from ingest.normalise.makers import MakerCredit, maker_key, normalise_role, parse_makers

__all__ = [
    "DateRange",
    "Dimensions",
    "MakerCredit",
    "from_inches",
    "inches_text",
    "is_chinese",
    "maker_key",
    "normalise_role",
    "parse_date",
    "parse_dimensions",
    "parse_makers",
    "split_languages",
]
