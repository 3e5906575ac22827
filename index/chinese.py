"""Mixed Chinese/English text analysis for Whoosh, with jieba for Chinese segmentation.

Captions mix both languages ("Vase 青花梅瓶, Kangxi reign"), so one analyzer handles both: Han runs
are segmented by jieba, other words are lower-cased, accent-folded, stop-worded and stemmed.

Why not `jieba.analyse.ChineseAnalyzer`: its tokenizer sets a token's position to its character
offset, so consecutive words are not adjacent and phrase queries ("青花 梅瓶") fail; and importing
`jieba.analyse` opens idf.txt without closing it (a ResourceWarning). This module uses jieba's
segmenter directly with word positions, and never imports `jieba.analyse`.

jieba is initialised lazily (loading its dictionary takes about a second) and quietly (it logs to
stderr), and every Chinese glossary term is added to its dictionary first, so that a compound such
as 青釉刻花牡丹纹梅瓶 yields 梅瓶.

Traditional characters are read as simplified ones (OpenCC's t2s conversion, at index and at query
time), so 龍紋 and 龙纹 are one word. Because jieba's segmentation of a long run can hide a word
(青釉刻花莲瓣纹罐 is cut 青釉/刻/花莲/瓣/纹/罐, so 莲瓣 is no word of it), every Han run is also
written as overlapping character bigrams (and single characters) in a field of its own
(`GramTokenizer`): a query word is then found as a phrase of its bigrams wherever it occurs.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import STOP_WORDS, StemFilter, Token, Tokenizer

from index.glossary import default_glossary
from index.script import to_simplified

_lock = threading.Lock()
_ready = False

# Han ideographs (CJK unified, extension A, compatibility) versus other word characters.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_RUNS = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+)")
GLOSSARY_FREQUENCY = 20_000
_CHINESE_STOPS = frozenset("的之与及和了或")
ENGLISH_STOPS = frozenset(STOP_WORDS)


def ensure_jieba() -> Any:
    """Initialise jieba once (quietly, with the glossary's Chinese terms) and return the module."""
    global _ready
    import jieba

    if _ready:
        return jieba
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            with warnings.catch_warnings():
                # Building the dictionary cache reads jieba's dict.txt; on some installs the
                # handle is released late. Only that warning is silenced, nothing else.
                warnings.filterwarnings(
                    "ignore",
                    message=r"unclosed file .*jieba.*dict\.txt",
                    category=ResourceWarning,
                )
                jieba.initialize()
            for term in sorted(default_glossary().chinese_terms()):
                # A glossary term is preferred to the general words it overlaps (刻花莲瓣 is
                # cut 刻花/莲瓣, not 刻/花莲/瓣): a high frequency makes jieba keep it whole.
                term = to_simplified(term)
                frequency = max(jieba.get_FREQ(term) or 0, GLOSSARY_FREQUENCY)
                jieba.add_word(term, freq=frequency if len(term) > 1 else None)
            _ready = True
    return jieba


def segment(text: str) -> list[str]:
    """Split Chinese text into words (simplified; jieba's accurate mode with the glossary terms)."""
    jieba = ensure_jieba()
    return [word for word in jieba.cut(to_simplified(text)) if word.strip()]


def search_segment(text: str) -> list[str]:
    """Words and their dictionary sub-words (jieba's search mode), simplified: 国际象棋 gives
    国际, 象棋, 国际象棋."""
    jieba = ensure_jieba()
    return [word for word in jieba.cut_for_search(to_simplified(text)) if word.strip()]


def is_han(text: str) -> bool:
    """True when the text holds a Han character."""
    return _HAN_RUN.search(text) is not None


def han_runs(text: str) -> list[str]:
    """The runs of Han characters in `text`, simplified."""
    return [to_simplified(run) for run in _HAN_RUN.findall(text)]


def char_grams(word: str) -> list[str]:
    """The bigrams of a Han word as searched in the gram field (the character itself if single)."""
    return [word] if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)]


def fold(word: str) -> str:
    """Lower-case a word, normalise full-width forms and strip accents (Sèvres → sevres)."""
    if word.isascii():
        return word.lower()
    word = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word))
    return "".join(ch for ch in word if not unicodedata.combining(ch)).lower()


def _subwords(word: str, frequencies: dict[str, int]) -> Iterator[str]:
    """Dictionary words of two or three characters inside a longer word (jieba's search mode)."""
    for size in (2, 3):
        if len(word) > size:
            for start in range(len(word) - size + 1):
                gram = word[start : start + size]
                if frequencies.get(gram):
                    yield gram


SEGMENT_SEPARATOR = "\x1d"
SEGMENT_GAP = 50


class MixedTokenizer(Tokenizer):
    """Whoosh tokenizer for text mixing Chinese and Latin-script words.

    At index time a long Chinese word also yields its dictionary sub-words at the same position,
    so 牡丹纹 is found by 牡丹; at query time only the accurate segmentation is used.

    With `segment_boosts`, an indexed value made of SEGMENT_SEPARATOR-joined segments (one per
    source field) gives the words of segment i the weight segment_boosts[i], and leaves a gap of
    SEGMENT_GAP positions between segments so that no phrase spans two fields.
    """

    def __init__(self, segment_boosts: tuple[float, ...] = ()) -> None:
        self.segment_boosts = segment_boosts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MixedTokenizer) and other.segment_boosts == self.segment_boosts

    def __hash__(self) -> int:
        return hash(self.segment_boosts)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if mode == "query" or SEGMENT_SEPARATOR not in value or not self.segment_boosts:
            yield from self._words(token, value, start_pos, start_char, keeporiginal, 1.0)
            return
        pos, offset = start_pos, start_char
        for segment, boost in zip(
            value.split(SEGMENT_SEPARATOR), self.segment_boosts, strict=False
        ):
            for word in self._words(token, segment, pos, offset, keeporiginal, boost):
                pos = word.pos + 1
                yield word
            pos += SEGMENT_GAP
            offset += len(segment) + 1

    def _words(
        self,
        token: Token,
        value: str,
        start_pos: int,
        start_char: int,
        keeporiginal: bool,
        boost: float,
    ) -> Iterator[Token]:
        mode = token.mode
        pos = start_pos
        for match in _RUNS.finditer(value):
            if match.lastgroup == "word":
                text = fold(match.group())
                if text in ENGLISH_STOPS or (len(text) == 1 and not text.isdigit()):
                    continue
                yield self._fill(
                    token,
                    text,
                    pos,
                    start_char + match.start(),
                    start_char + match.end(),
                    keeporiginal,
                    match.group(),
                    boost,
                )
                pos += 1
                continue
            jieba = ensure_jieba()
            for word, begin, end in jieba.tokenize(to_simplified(match.group())):
                if word in _CHINESE_STOPS:
                    continue
                first = start_char + match.start() + begin
                last = start_char + match.start() + end
                yield self._fill(token, word, pos, first, last, keeporiginal, word, boost)
                if mode != "query":
                    for sub in _subwords(word, jieba.dt.FREQ):
                        yield self._fill(token, sub, pos, first, last, keeporiginal, sub, boost)
                pos += 1

    @staticmethod
    def _fill(
        token: Token,
        text: str,
        pos: int,
        startchar: int,
        endchar: int,
        keeporiginal: bool,
        original: str,
        boost: float,
    ) -> Token:
        # Whoosh reuses one Token object; every attribute is reset for each word.
        token.text = text
        token.boost = boost
        token.stopped = False
        token.pos = pos
        token.startchar = startchar
        token.endchar = endchar
        if keeporiginal:
            token.original = original
        return token


class GramTokenizer(Tokenizer):
    """Han runs as overlapping character bigrams, for finding words inside other words.

    At index time position i of a run holds both character i and the bigram starting there, so
    a one-character query is a term and a longer one a phrase of its bigrams (consecutive
    positions). At query time a run gives its bigrams only (its one character if that is all).
    Runs are kept two positions apart so that no phrase joins two runs. Other text is skipped.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GramTokenizer)

    def __hash__(self) -> int:
        return hash(GramTokenizer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        fill = MixedTokenizer._fill
        pos = start_pos
        for match in _HAN_RUN.finditer(value):
            run = to_simplified(match.group())
            first = start_char + match.start()
            if mode == "query":
                for i, gram in enumerate(char_grams(run)):
                    yield fill(token, gram, pos, first + i, first + i + len(gram), False, gram, 1.0)
                    pos += 1
            else:
                for i, char in enumerate(run):
                    yield fill(token, char, pos, first + i, first + i + 1, False, char, 1.0)
                    if i + 1 < len(run):
                        gram = run[i : i + 2]
                        yield fill(token, gram, pos, first + i, first + i + 2, False, gram, 1.0)
                    pos += 1
            pos += 2


class HighlightTokenizer(MixedTokenizer):
    """The mixed tokenizer plus every occurrence of the given Chinese words inside Han runs, so
    that a word found through the gram field is marked even where jieba cut the text otherwise."""

    def __init__(self, words: frozenset[str]) -> None:
        super().__init__()
        self.words = words

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:  # type: ignore[override]
        spans = []
        for match in _HAN_RUN.finditer(value):
            run = to_simplified(match.group())
            for word in self.words:
                start = run.find(word)
                while start >= 0:
                    spans.append((match.start() + start, match.start() + start + len(word), word))
                    start = run.find(word, start + 1)
        spans.sort()
        tokens = [
            (t.startchar, t.endchar, t.text, t.pos) for t in super().__call__(value, **kwargs)
        ]
        marked = sorted([*((s, e, w, -1) for s, e, w in spans), *tokens])
        options = {**kwargs, "chars": True, "positions": True}
        token = Token(**options)
        for startchar, endchar, text, pos in marked:
            yield self._fill(token, text, max(pos, 0), startchar, endchar, False, text, 1.0)


def mixed_analyzer(segment_boosts: tuple[float, ...] = ()) -> Any:
    """The analyzer for text fields: mixed tokenizer plus English stemming."""
    return MixedTokenizer(segment_boosts) | StemFilter()


def gram_analyzer() -> Any:
    """The analyzer of the character-gram field (see GramTokenizer)."""
    return GramTokenizer()


def highlight_analyzer(words: frozenset[str]) -> Any:
    """The analyzer snippets are marked with: mixed words plus the query's Chinese words."""
    return HighlightTokenizer(words) | StemFilter()
