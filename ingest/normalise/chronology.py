"""Chinese dynasties and the Ming and Qing reigns (pinyin, Wade–Giles, Chinese) with their years.

Years are the conventional ranges used by museum catalogues (BCE negative, no year zero). A reign
dates a piece to its years because imperial wares were marked and dated by reign; a dynasty does
the same, more coarsely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    """A named period: its English name, Chinese name, and first and last year (None if vague)."""

    name: str
    chinese: str
    earliest: int | None
    latest: int | None
    dynasty: str | None = None


# (pinyin syllables, other romanisations, Chinese (simplified), years); reigns of the Ming dynasty.
MING_REIGNS = [
    (("hong", "wu"), ("hung-wu",), "洪武", 1368, 1398),
    (("jian", "wen"), ("chien-wen",), "建文", 1399, 1402),
    (("yong", "le"), ("yung-lo",), "永乐", 1403, 1424),
    (("hong", "xi"), ("hung-hsi",), "洪熙", 1425, 1425),
    (("xuan", "de"), ("hsuan-te", "hsüan-te"), "宣德", 1426, 1435),
    (("zheng", "tong"), ("cheng-t'ung", "cheng-tung"), "正统", 1436, 1449),
    (("jing", "tai"), ("ching-t'ai", "ching-tai"), "景泰", 1450, 1457),
    (("tian", "shun"), ("t'ien-shun", "tien-shun"), "天顺", 1457, 1464),
    (("cheng", "hua"), ("ch'eng-hua", "cheng-hua"), "成化", 1465, 1487),
    (("hong", "zhi"), ("hung-chih",), "弘治", 1488, 1505),
    (("zheng", "de"), ("cheng-te",), "正德", 1506, 1521),
    (("jia", "jing"), ("chia-ching",), "嘉靖", 1522, 1566),
    (("long", "qing"), ("lung-ch'ing", "lung-ching"), "隆庆", 1567, 1572),
    (("wan", "li"), ("wan-li",), "万历", 1573, 1620),
    (("tai", "chang"), ("t'ai-ch'ang", "tai-chang"), "泰昌", 1620, 1620),
    (("tian", "qi"), ("t'ien-ch'i", "tien-chi"), "天启", 1621, 1627),
    (("chong", "zhen"), ("ch'ung-chen", "chung-chen"), "崇祯", 1628, 1644),
]
QING_REIGNS = [
    (("shun", "zhi"), ("shun-chih",), "顺治", 1644, 1661),
    (("kang", "xi"), ("k'ang-hsi", "kang-hsi"), "康熙", 1662, 1722),
    (("yong", "zheng"), ("yung-cheng",), "雍正", 1723, 1735),
    (("qian", "long"), ("ch'ien-lung", "chien-lung"), "乾隆", 1736, 1795),
    (("jia", "qing"), ("chia-ch'ing",), "嘉庆", 1796, 1820),
    (("dao", "guang"), ("tao-kuang",), "道光", 1821, 1850),
    (("xian", "feng"), ("hsien-feng",), "咸丰", 1851, 1861),
    (("tong", "zhi"), ("t'ung-chih", "tung-chih"), "同治", 1862, 1874),
    (("guang", "xu"), ("kuang-hsu", "kuang-hsü"), "光绪", 1875, 1908),
    (("xuan", "tong"), ("hsuan-t'ung", "hsüan-t'ung"), "宣统", 1909, 1911),
]

# Label, English names (lower case), Chinese, years. Where one name contains another ("Northern
# Song" and "Song") both may be listed: the longer match wins (see find_eras).
DYNASTIES = [
    ("Neolithic", ("neolithic",), "新石器时代", -10000, -2000),
    ("Xia dynasty", ("xia dynasty",), "夏代", -2070, -1600),
    ("Shang dynasty", ("shang",), "商", -1600, -1046),
    ("Western Zhou dynasty", ("western zhou",), "西周", -1046, -771),
    ("Eastern Zhou dynasty", ("eastern zhou",), "东周", -770, -256),
    ("Zhou dynasty", ("zhou",), "周", -1046, -256),
    ("Spring and Autumn period", ("spring and autumn",), "春秋", -770, -476),
    ("Warring States period", ("warring states",), "战国", -475, -221),
    ("Qin dynasty", ("qin",), "秦", -221, -206),
    ("Western Han dynasty", ("western han",), "西汉", -206, 8),
    ("Eastern Han dynasty", ("eastern han",), "东汉", 25, 220),
    ("Han dynasty", ("han",), "汉", -206, 220),
    ("Three Kingdoms period", ("three kingdoms",), "三国", 220, 280),
    ("Western Jin dynasty", ("western jin",), "西晋", 265, 316),
    ("Eastern Jin dynasty", ("eastern jin",), "东晋", 317, 420),
    ("Northern and Southern dynasties", ("northern and southern dynasties",), "南北朝", 420, 589),
    ("Six Dynasties", ("six dynasties",), "六朝", 220, 589),
    ("Southern dynasties", ("southern dynasties",), "南朝", 420, 589),
    ("Northern dynasties", ("northern dynasties",), "北朝", 386, 581),
    ("Northern Wei dynasty", ("northern wei",), "北魏", 386, 534),
    ("Sui dynasty", ("sui",), "隋", 581, 618),
    ("Tang dynasty", ("tang",), "唐", 618, 907),
    ("Five Dynasties", ("five dynasties",), "五代", 907, 960),
    ("Liao dynasty", ("liao",), "辽", 907, 1125),
    ("Northern Song dynasty", ("northern song",), "北宋", 960, 1127),
    ("Southern Song dynasty", ("southern song",), "南宋", 1127, 1279),
    ("Song dynasty", ("song",), "宋", 960, 1279),
    ("Western Xia dynasty", ("xi xia", "western xia"), "西夏", 1038, 1227),
    # English "Jin" is either 晋 (265–420) or 金 (1115–1234), so it alone gives no years.
    ("Jin dynasty", ("jin",), "", None, None),
    ("Jin dynasty (265–420)", (), "晋", 265, 420),
    ("Jin dynasty (1115–1234)", (), "金", 1115, 1234),
    ("Yuan dynasty", ("yuan",), "元", 1271, 1368),
    ("Ming dynasty", ("ming",), "明", 1368, 1644),
    ("Qing dynasty", ("qing",), "清", 1644, 1911),
    ("Republic of China", ("republic of china", "minguo"), "民国", 1912, 1949),
]

# Traditional characters of the names above, so that 康熙 and 萬曆 are found in either script.
TRADITIONAL = str.maketrans(
    "樂萬曆慶順豐緒統啟禎漢遼東戰國時晉", "乐万历庆顺丰绪统启祯汉辽东战国时晋"
)

# A one-character dynasty such as 明 or 金 is also an ordinary word (金彩 is gilding): it counts
# only next to these characters, or next to something that is not a Chinese character at all.
SINGLE_BEFORE = "大"
SINGLE_AFTER = "代朝初中晚末早前后期"


def _reign_eras() -> list[tuple[re.Pattern[str], Era]]:
    eras = []
    for dynasty, reigns in (("Ming dynasty", MING_REIGNS), ("Qing dynasty", QING_REIGNS)):
        for syllables, others, chinese, earliest, latest in reigns:
            name = "".join(syllables).capitalize()
            # "Xuande", "Xuan De", "Xuan-de" and "K'ang-hsi" all name one reign.
            spellings = [r"[\s\-]?".join(syllables)]
            spellings += [re.escape(other).replace(r"\-", r"[\s\-]?") for other in others]
            pattern = re.compile(r"\b(?:" + "|".join(spellings) + r")\b|" + chinese)
            era = Era(f"{dynasty}, {name} reign", chinese, earliest, latest, dynasty)
            eras.append((pattern, era))
    return eras


def _dynasty_eras() -> list[tuple[re.Pattern[str], Era]]:
    eras = []
    for label, names, chinese, earliest, latest in DYNASTIES:
        # (?!'\w) keeps "Han" out of the place name "Han'ancheng".
        words = [r"\s+".join(map(re.escape, name.split())) for name in names]
        alternatives = [rf"\b{word}\b(?!'\w)" for word in words]
        if len(chinese) == 1:
            alternatives.append(
                rf"(?:(?<![\u4e00-\u9fff])|(?<=[{SINGLE_BEFORE}])){chinese}"
                rf"(?=[{SINGLE_AFTER}]|[^\u4e00-\u9fff]|$|{REIGN_STARTS})"
            )
        elif chinese:
            alternatives.append(chinese)
        eras.append((re.compile("|".join(alternatives)), Era(label, chinese, earliest, latest)))
    return eras


REIGN_STARTS = "|".join(chinese for _, _, chinese, _, _ in MING_REIGNS + QING_REIGNS)
REIGN_ERAS = _reign_eras()
DYNASTY_ERAS = _dynasty_eras()


def find_eras(text: str) -> list[Era]:
    """The reigns and dynasties a date text names, in the order they appear.

    A reign stands for its dynasty too, so a dynasty is only listed when no reign was found inside
    it; where one name contains another ("Northern Song" and "Song") only the longer counts.
    """
    lowered = text.lower().replace("’", "'").translate(TRADITIONAL)
    found: list[tuple[int, int, Era]] = []
    taken: list[tuple[int, int]] = []
    for pattern, era in REIGN_ERAS + DYNASTY_ERAS:
        for match in pattern.finditer(lowered):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            found.append((span[0], span[1], era))
    reign_dynasties = {era.dynasty for _, _, era in found if era.dynasty}
    eras: list[Era] = []
    for _, _, era in sorted(found, key=lambda item: item[0]):
        if era.name not in reign_dynasties and era not in eras:
            eras.append(era)
    return eras
