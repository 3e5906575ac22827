"""Build Potbank's demo collection in samples/ from the project's shared research data.

Run from the repository root:

    .venv/bin/python samples/build_samples.py --shared ../shared

It writes, reproducibly (same input, same bytes out):

- samples/chinesenotes/images/: the 89 chinesenotes.com photographs (CC BY 2.5), long edge
  at most 1600 px
- samples/chinesenotes/wares.csv: one ware per photograph, in the native CSV template
- samples/staffordshire/wares.csv: Staffordshire records of the Carnegie Museum of Art (CC0
  metadata, no images: the museum's image URLs are not CC0)

Dates, maker roles and dimensions go through the product's own normalisers (ingest.normalise), so
the demo data says what an ingest of the same sources would.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from PIL import Image, ImageOps

# Run as a script from anywhere: the project's own packages sit one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ingest.native import TEMPLATE_COLUMNS
from ingest.normalise import from_inches, normalise_role, parse_date

COLUMNS = list(TEMPLATE_COLUMNS)

MAX_EDGE = 1600
JPEG_QUALITY = 88

CC_BY_25 = "http://creativecommons.org/licenses/by/2.5/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
CHINESENOTES_ATTRIBUTION = "Photo: Alex Amies, chinesenotes.com, CC BY 2.5"


# --- chinesenotes.com photographs -------------------------------------------------------------

# The English labels name the museum in two spellings; the ware record uses one name per museum.
MUSEUMS = {
    "Capital Museum, Beijing": "Capital Museum, Beijing",
    "Beijing Capital Museum": "Capital Museum, Beijing",
    "Shanghai Museum": "Shanghai Museum",
    "Suzhou Museum": "Suzhou Museum",
}
# Architectural pieces photographed in place: the site is where the object is held.
SITES = ("Forbidden City, Beijing", "Humble Administrator's Garden, Suzhou")
UNRECORDED_MUSEUM = "Unrecorded Chinese museum"

# Kilns are read from the Chinese label, which names them more often and more accurately than the
# English one (the English "Yazhou Kiln" is 耀州窑, Yaozhou).
KILNS = {
    "景德镇": "Jingdezhen",
    "磁州窑": "Cizhou kiln",
    "钧窑": "Jun kiln",
    "缸瓦窑": "Gangwa kiln",
    "灵武窑": "Lingwu kiln",
    "龙泉窑": "Longquan kiln",
    "耀州窑": "Yaozhou kiln",
    "吉州窑": "Jizhou kiln",
}

# Decoration keywords of the English titles, in the order a cataloguer would list them.
TECHNIQUES = [
    ("blue and white", "blue and white (underglaze cobalt blue)"),
    ("wucai", "wucai (five-colour enamels)"),
    ("doucai", "doucai (contrasting colours)"),
    ("fencai", "fencai (famille rose enamels)"),
    ("sancai", "sancai (three-colour lead glazes)"),
    ("multi-colored glazed", "polychrome lead glazes"),
    ("celadon", "celadon glaze"),
    ("marbled", "marbled body (jiaotai)"),
    ("gold", "gilding"),
    ("carved", "carved"),
    ("incised", "incised"),
    ("inscribed", "incised"),
    ("engraved", "impressed"),
    ("openwork", "openwork"),
    ("painted", "painted"),
]

MATERIALS = {
    "porcelain/glazed ware": "porcelain",
    "porcelain": "porcelain",
    "porcelain (reign mark on base, detail)": "porcelain",
    "pottery/earthenware": "earthenware",
    "celadon-glazed ware": "celadon-glazed ware",
    "fired clay (architectural)": "fired clay",
    "glazed ceramic (architectural, in situ)": "glazed ceramic",
    "sancai glazed ware": "sancai-glazed earthenware",
    "stoneware (zisha)": "zisha stoneware",
}


def label_years(caption_zh: str, date_text: str) -> tuple[int | None, int | None]:
    """Years from the Chinese label where it states them (the museums' own text, more accurate
    than the English translation: see README "Data notes"), else from the English date."""
    chinese = parse_date(caption_zh)
    if chinese.earliest is not None and chinese.latest is not None:
        return chinese.earliest, chinese.latest
    english = parse_date(date_text)
    return english.earliest, english.latest


def split_label(label: str) -> tuple[str, str, str]:
    """Split "date, place, museum" English label text into (institution, date text, findspot)."""
    text = label.strip()
    institution = ""
    for written, name in MUSEUMS.items():
        if text.endswith(written):
            institution = name
            text = text[: -len(written)]
            break
    else:
        if text in SITES:
            return text, "", ""
    findspot = ""
    # The findspot runs to a full stop or to the dated period that follows it without one.
    excavated = re.search(r"Excavated (?:from|at) (?:the )?(.+?)(?:\.|(?= \w+ \w+ \()|$)", text)
    if excavated:
        findspot = excavated.group(1).strip(" ,.")
        text = text[: excavated.start()] + text[excavated.end() :]
    # Kilns go to `place` (see place_of), and the object descriptions that some labels start with
    # are already in the caption: neither is part of the date.
    text = re.sub(r"^(?:[^()]*?from the )?(?:[A-Z]\w* ){1,2}Kiln\b[,\s]*", "", text)
    text = re.sub(r"[,\s]*(?:[A-Z]\w* ){1,2}Kiln\b", "", text)
    text = re.sub(r"^(?:Jingdezhen,|A Container|Water Vessel, Banpo style from)\s*", "", text)
    text = text.strip(" ,.")
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return institution or UNRECORDED_MUSEUM, text, findspot


def technique_of(title_en: str) -> str:
    """Decoration techniques named in an English title, `;`-joined, without repeats."""
    lowered = title_en.lower()
    found: list[str] = []
    for keyword, technique in TECHNIQUES:
        if keyword in lowered and technique not in found:
            found.append(technique)
    return "; ".join(found)


def object_type_of(hint: str, title_en: str) -> str:
    """A single object type from the label file's keyword hint, refined by the title."""
    if hint == "plate/dish":
        return "dish" if "dish" in title_en.lower() else "plate"
    if hint == "ewer/pitcher":
        return "pitcher"
    return hint


def place_of(caption_zh: str, label: str) -> str:
    """The kiln or place of production named in the labels, or ""."""
    for chinese, english in KILNS.items():
        if chinese in caption_zh:
            return english
    match = re.search(r"(\w+(?: \w+)?) Kiln", label)
    if match:
        return f"{match.group(1)} kiln"
    return "Jingdezhen" if label.startswith("Jingdezhen") else ""


def chinesenotes_rows(labels_csv: Path) -> Iterator[dict[str, str]]:
    """Native-template rows for the chinesenotes.com photographs, one ware per photo."""
    with labels_csv.open(encoding="utf-8", newline="") as handle:
        labels = sorted(csv.DictReader(handle), key=lambda row: row["filename"])
    for number, label in enumerate(labels, start=1):
        institution, date_text, findspot = split_label(label["date_place_museum_en"])
        earliest, latest = label_years(label["caption_zh"], date_text)
        marks = ""
        if label["object_type"] == "reign mark" or "款" in label["title_zh"]:
            marks = f"{label['title_zh']} ({label['title_en']})"
        yield {
            "accession_number": f"CN-{number:04d}",
            "institution": institution,
            "collection": "Chinese ceramics (chinesenotes.com photographs)",
            "title_en": label["title_en"],
            "title_zh": label["title_zh"],
            "object_type": object_type_of(label["object_type"], label["title_en"]),
            "makers": "",
            "place": place_of(label["caption_zh"], label["date_place_museum_en"]),
            "date_text": date_text,
            "year_earliest": "" if earliest is None else str(earliest),
            "year_latest": "" if latest is None else str(latest),
            "period": parse_date(date_text).period or "",
            "material": MATERIALS[label["material"]],
            "technique": technique_of(label["title_en"]),
            "pattern": "",
            "marks": marks,
            "dimensions": "",
            "description_en": label["caption"],
            "description_zh": label["caption_zh"],
            "credit_line": "",
            "provenance": f"Excavated from {findspot}" if findspot else "",
            "rights": CC_BY_25,
            "images": label["filename"],
            "photographer": "Alex Amies",
            "image_licence": CC_BY_25,
            "image_attribution": CHINESENOTES_ATTRIBUTION,
            "status": "published",
        }


def copy_photograph(source: Path, target: Path) -> None:
    """Copy a photo unchanged when small enough, else shrink it upright to MAX_EDGE px."""
    with Image.open(source) as image:
        if max(image.size) <= MAX_EDGE:
            shutil.copyfile(source, target)
            return
        icc_profile = image.info.get("icc_profile")
        # exif_transpose turns the pixels upright and drops the orientation tag, so no viewer
        # rotates the shrunk copy a second time.
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
        upright.convert("RGB").save(
            target,
            "JPEG",
            quality=JPEG_QUALITY,
            optimize=True,
            icc_profile=icc_profile,
            exif=upright.getexif(),
        )


# --- Carnegie Museum of Art: Staffordshire --------------------------------------------------

# Makers of the Staffordshire Potteries (Stoke-on-Trent and its towns) as the museum spells them.
# Credits that hedge between Staffordshire and elsewhere ("Spode or Rockingham", "Staffordshire or
# Yorkshire") are left out rather than guessed; Doulton & Co.'s stoneware vase is Lambeth work.
STAFFORDSHIRE_MAKERS = {
    "Adams",
    "Davenport Pottery and Porcelain Factory",
    "Eastwood Pottery",
    "Edmund John Birch",
    "Elijah Mayer",
    "Enid Seeney",
    "Enoch  Wood and Sons",
    "Enoch Wood",
    "George Jones",
    "J. & G. Meakin",
    "James Clews",
    "James Keeling",
    "James Macintyre & Co.",
    "James and Ralph Clews",
    "John Meir and Son",
    "John Ridgway",
    "John Wedge Wood",
    "John Wedgwood",
    "John and William Turner",
    "Joseph Heath and Co.",
    "Joseph Stubbs",
    "Josiah Wedgwood",
    "Josiah Wedgwood & Company",
    "Josiah Wedgwood & Sons Ltd.",
    "Lane End Works",
    "Livesley Powell & Co.",
    "Locketts and Company",
    "Longton Hall Porcelain Factory",
    "Minton & Co.",
    "Minton Factory",
    "Mintons China Works",
    "Neale and Company",
    "New Hall Porcelain Factory",
    "Old Hall Earthenware Company Limited",
    "Ralph Clews",
    "Ralph Stevenson",
    "Richard Alcock",
    "Ridgway Potteries Ltd.",
    "Ridgway, Morley, Wear & Co.",
    "Samuel Alcock and Company",
    "Spode Pottery and Porcelain Factory",
    "Staffordshire, Walton Factory",
    "Thomas Bentley",
    "Thomas Godwin",
    "Thomas Green",
    "Thomas Mayer",
    "Turner & Company",
    "W. Brownfield & Sons",
    "W. T. Copeland and Sons",
    "Wedgwood",
    "Wedgwood and Bentley",
    "William Adams and Sons",
    "William Baddley",
    "William Davenport & Company",
    "William Greatbatch",
    "William Hackwood",
    "William Moorcroft",
    "William Ridgway",
    "unknown British, Staffordshire",
    "unknown English, Staffordshire",
}

POTTERIES_TOWNS = (
    "Burslem",
    "Etruria",
    "Stoke-on-Trent",
    "Hanley",
    "Longton",
    "Shelton",
    "Cobridge",
    "Fenton",
    "Tunstall",
    "Longport",
    "Lane End",
    "Barlaston",
)


def maker_credit(creator: dict) -> str:
    """One credit of the `makers` cell: "Name (role)" or "Name (qualifier role)"."""
    name = " ".join(creator["full_name"].split())
    role, qualifier = normalise_role(creator["role"])
    return f"{name} ({qualifier} {role})" if qualifier else f"{name} ({role})"


def makers_cell(creators: Iterable[dict]) -> str:
    """The `makers` cell: credits separated by "; "."""
    return "; ".join(maker_credit(creator) for creator in creators)


def dimensions_text(record: dict) -> str:
    """Dimensions from the museum's item_* inches, with centimetres; 0 means not measured."""
    return from_inches(
        record["item_height"], record["item_width"], record["item_depth"], record["item_diameter"]
    ).text


def year_of(iso_date: str | None) -> str:
    """The year of an ISO date such as 1850-01-01 (negative for BCE), or ""."""
    match = re.match(r"(-?\d{1,4})-", iso_date or "")
    return str(int(match.group(1))) if match else ""


# Object types as the museum's titles name them; longer names first so that "sugar bowl" wins
# over "bowl" and "cup and saucer" over "cup".
OBJECT_TYPES = sorted(
    [
        "bowl",
        "box",
        "bust",
        "candlestick",
        "chamberstick",
        "coffeepot",
        "creamer",
        "cup and saucer",
        "cup plate",
        "cup",
        "dish",
        "ewer",
        "figure",
        "fork",
        "incense burner",
        "inkwell",
        "intaglio",
        "jug",
        "knife",
        "medal",
        "medallion",
        "mug",
        "pilgrim bottle",
        "pitcher",
        "plaque",
        "plate",
        "platter",
        "punch bowl",
        "punch pot",
        "sauceboat",
        "saucer",
        "shoe buckle",
        "soup bowl",
        "soup dish",
        "sugar bowl",
        "tablet",
        "tankard",
        "tea bowl and saucer",
        "teacup",
        "teapot stand",
        "teapot",
        "tile",
        "tureen",
        "umbrella stand",
        "urn",
        "vase",
        "bank",
        "mazarine",
        "pot",
        "wastebowl",
    ],
    key=len,
    reverse=True,
)
OBJECT_TYPE_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, OBJECT_TYPES)) + r")s?\b")


def object_type_from_title(title: str, classification: str | None) -> str:
    """A rough object type: the first known type the title names ("Plate, Bread" -> "plate")."""
    lowered = title.lower()
    if "chess set" in lowered:
        return "chess piece"
    match = OBJECT_TYPE_PATTERN.search(lowered)
    if match:
        return match.group(1)
    # Untyped sculpture titles name their subject ("Lion", "Girl riding a goat").
    return "figure" if classification == "sculpture" else ""


def staffordshire_place(creators: Iterable[dict]) -> str:
    """Place of production: a Potteries town when a maker's record names one, else the county."""
    for creator in creators:
        texts = [creator["full_name"]]
        # A person's birth place is not where the ware was made; for a factory it is its site.
        if creator["party_type"] == "Organization":
            texts.append(creator["birth_place"] or "")
        for text in texts:
            for town in POTTERIES_TOWNS:
                if town in text:
                    return f"{town}, Staffordshire, England"
    return "Staffordshire, England"


def is_staffordshire(record: dict) -> bool:
    """Whether one of the record's makers worked in the Staffordshire Potteries."""
    return any(creator["full_name"] in STAFFORDSHIRE_MAKERS for creator in record["creator"] or [])


def staffordshire_rows(jsonl: Path) -> Iterator[dict[str, str]]:
    """Native-template rows for CMOA's Staffordshire records, sorted by accession number."""
    with jsonl.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    chosen = [record for record in records if is_staffordshire(record)]
    for record in sorted(chosen, key=lambda record: record["accession_number"]):
        creators = record["creator"] or []
        yield {
            "accession_number": record["accession_number"],
            "institution": "Carnegie Museum of Art",
            "collection": "Staffordshire ceramics (CMOA)",
            "title_en": record["title"] or "",
            "title_zh": "",
            "object_type": object_type_from_title(record["title"] or "", record["classification"]),
            "makers": makers_cell(creators),
            "place": staffordshire_place(creators),
            "date_text": record["creation_date"] or "",
            "year_earliest": year_of(record["creation_date_earliest"]),
            "year_latest": year_of(record["creation_date_latest"]),
            "period": "",
            "material": record["medium"] or "",
            "technique": "",
            "pattern": "",
            "marks": "",
            "dimensions": dimensions_text(record),
            "description_en": "",
            "description_zh": "",
            "credit_line": record["credit_line"] or "",
            "provenance": (record["provenance_text"] or "").strip(),
            "rights": CC0,
            "images": "",
            "photographer": "",
            "image_licence": "",
            "image_attribution": "",
            "status": "published",
        }


# --- output --------------------------------------------------------------------------------


def write_csv(path: Path, rows: Iterable[dict[str, str]]) -> int:
    """Write rows in the native template (UTF-8, no BOM, LF line ends); return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def check_rows(path: Path, images_dir: Path | None) -> list[str]:
    """Problems in a written CSV: missing required cells, duplicates, absent image files."""
    problems = []
    seen: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            problems.append(f"{path}: columns differ from the template")
        for line, row in enumerate(reader, start=2):
            key = (row["institution"], row["accession_number"])
            if not row["accession_number"] or key in seen:
                problems.append(f"{path}:{line}: missing or repeated accession number")
            seen.add(key)
            if not (row["title_en"] or row["title_zh"]):
                problems.append(f"{path}:{line}: no title")
            for name in filter(None, (n.strip() for n in row["images"].split(";"))):
                if images_dir is None or not (images_dir / name).is_file():
                    problems.append(f"{path}:{line}: image {name} not found")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build samples/ from the shared data folder; return a process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"), help="the shared folder")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="the samples folder"
    )
    args = parser.parse_args(argv)
    data = args.shared / "data"

    images_dir = args.out / "chinesenotes" / "images"
    if images_dir.exists():
        shutil.rmtree(images_dir)
    images_dir.mkdir(parents=True)
    sources = sorted((data / "chinesenotes" / "images").glob("*.jpg"))
    for source in sources:
        copy_photograph(source, images_dir / source.name)

    chinese_csv = args.out / "chinesenotes" / "wares.csv"
    staffs_csv = args.out / "staffordshire" / "wares.csv"
    chinese = write_csv(chinese_csv, chinesenotes_rows(data / "chinesenotes" / "labels.csv"))
    staffs = write_csv(staffs_csv, staffordshire_rows(data / "cmoa" / "cmoa-ceramics.jsonl"))

    problems = check_rows(chinese_csv, images_dir) + check_rows(staffs_csv, None)
    megabytes = sum(p.stat().st_size for p in images_dir.iterdir()) / 1e6
    print(f"chinesenotes: {chinese} wares, {len(sources)} images, {megabytes:.1f} MB")
    print(f"staffordshire: {staffs} wares")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
