"""Chinese script helpers: traditional to simplified (OpenCC) and pinyin keys (pypinyin).

Both libraries are on PyPI and work offline: OpenCC's t2s tables and pypinyin's dictionaries ship
inside their wheels. Nothing here imports the rest of Potbank.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TONE_DIGITS = re.compile(r"(?<=[a-z])[1-5]")


@functools.cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC t2s), keeping the text's length.

    OpenCC converts phrases as wholes; where that changes the length (it rarely does), each
    character is converted on its own so that character offsets (highlighting) stay valid.
    """
    if text.isascii() or not _HAN.search(text):
        return text
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    chars = (_converter().convert(ch) for ch in text)
    return "".join(new if len(new) == 1 else old for new, old in zip(chars, text, strict=True))


@functools.lru_cache(maxsize=16384)
def pinyin_key(han: str) -> str:
    """Toneless pinyin of a Chinese term, syllables run together: 景德镇 -> 'jingdezhen'."""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(to_simplified(han), style=Style.NORMAL, errors="ignore")).lower()


def romanisation_key(text: str) -> str:
    """How typed pinyin is compared: accents (tone marks), tone digits, spaces, hyphens and
    apostrophes dropped: 'qīnghuā', 'qing hua', 'qing1hua1' and "Xi'an" all become one key."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).lower()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ü", "v")
    text = _TONE_DIGITS.sub("", text)
    return re.sub(r"[\s\-‐–—_'’]+", "", text)
