"""Telling Chinese text from English so that each goes to its own field (title_en / title_zh).

Only Han characters decide: digits, Latin punctuation and spaces belong to whichever language
surrounds them, and CJK punctuation (，（）“”) goes with the Chinese.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs, Extension A, Compatibility Ideographs, and Extensions B–F.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# CJK symbols and punctuation, kana (Japanese names of Chinese wares), fullwidth forms.
CJK_OTHER = "\u3000-\u303f\u3040-\u30ff\uff00-\uffef"
HAN_PATTERN = re.compile(f"[{HAN}]")
LATIN_WORD = re.compile(r"[A-Za-zÀ-ɏ]+")
# Quotation marks are shared by both languages; next to Chinese they quote Chinese (“大清康熙年制”).
QUOTES_OPEN = "“‘《"
QUOTES_CLOSE = "”’》"
# A run of Chinese: CJK characters with the digits, spaces, quotes and punctuation between them.
RUN = re.compile(
    rf"[{QUOTES_OPEN}]?[{HAN}{CJK_OTHER}]"
    rf"(?:[{HAN}{CJK_OTHER}{QUOTES_OPEN}{QUOTES_CLOSE}\d\s.·、-]*[{HAN}{CJK_OTHER}])?"
    rf"[{QUOTES_CLOSE}]?"
)
SEPARATORS = " \t\r\n/|;,:.-–—"


def is_chinese(text: str | None) -> bool:
    """Whether a text is written in Chinese: it has Han characters, at least as many as Latin
    words (one character is about one word), so "青花 blue" is Chinese and "Qing dynasty 清" not."""
    if not text:
        return False
    han = len(HAN_PATTERN.findall(text))
    return han > 0 and han >= len(LATIN_WORD.findall(text))


def split_languages(text: str | None) -> tuple[str, str]:
    """Split mixed text into English and Chinese: "Plum vase 梅瓶" → ("Plum vase", "梅瓶").

    Runs of Chinese (with digits and punctuation inside them, as in 清 康熙（公元1661〜1722年）) go
    to the Chinese part; the rest is English. Several runs of one language are joined by a space.
    """
    if not text:
        return "", ""
    chinese_runs = []
    english_parts = []
    position = 0
    for match in RUN.finditer(text):
        if HAN_PATTERN.search(match.group(0)) is None:
            continue
        english_parts.append(text[position : match.start()])
        chinese_runs.append(match.group(0))
        position = match.end()
    english_parts.append(text[position:])
    english = " ".join(" ".join(part.split()).strip(SEPARATORS) for part in english_parts)
    chinese = " ".join(run.strip() for run in chinese_runs)
    return " ".join(english.split()), chinese
