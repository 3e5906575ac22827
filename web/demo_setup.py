"""What ``potbank demo`` adds beyond the sample records: a curator account to sign in with.

The password is made once per instance, kept in a file only its owner can read, and printed on
every run, so "Sign in" on a demo leads somewhere and a re-run prints the same credentials.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from archive.models import Role
from archive.settings import Settings
from archive.users import create_user, find_user

DEMO_CURATOR_EMAIL = "curator@demo.potbank.invalid"
PASSWORD_FILE = "demo_curator_password"  # noqa: S105 (a file name, not a password)


def _demo_password(home: Path) -> str:
    path = home / PASSWORD_FILE
    if path.is_file():
        saved = path.read_text(encoding="utf-8").strip()
        if saved:
            return saved
    password = secrets.token_urlsafe(12)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def ensure_demo_curator(settings: Settings, session: Session) -> tuple[str, str]:
    """The demo curator's email and password, creating the account (or restoring its password
    and role) as needed; commits."""
    password = _demo_password(settings.home)
    user = find_user(session, DEMO_CURATOR_EMAIL)
    if user is None:
        create_user(session, DEMO_CURATOR_EMAIL, password, Role.CURATOR)
    else:
        user.password_hash = generate_password_hash(password, method="scrypt")
        user.role = Role.CURATOR
        user.active = True
    session.commit()
    return DEMO_CURATOR_EMAIL, password


DEMO_EXHIBITION_SLUG = "blue-and-white-jingdezhen-to-staffordshire"
# (heading en, heading zh, text en, text zh, [(accession number, caption en, caption zh, detail)])
DEMO_SECTIONS: tuple[tuple[str, str, str, str, tuple[tuple[str, str, str, bool], ...]], ...] = (
    (
        "Cobalt under the glaze: Ming Jingdezhen",
        "釉下钴蓝：明代景德镇",
        "Potters at Jingdezhen painted cobalt blue on the raw porcelain body and covered it with "
        "a clear glaze; fired at about 1,300 °C, the blue fused beneath the glaze for good.",
        "景德镇的陶工在瓷坯上以钴料绘画，再罩以透明釉，约一千三百度高温烧成，青花永固于釉下。",
        (
            ("CN-0062", "Hongwu reign: the dragon among clouds.", "洪武：云龙纹。", False),
            ("CN-0048", "Yongle reign: camellia on a flask.", "永乐：山茶纹扁壶。", False),
            ("CN-0005", "Xuande reign: two phoenixes, in detail.", "宣德：双凤纹局部。", True),
        ),
    ),
    (
        "Qing refinement",
        "清代的精进",
        "Under the Kangxi and Yongzheng emperors the imperial kilns refined the blue and the "
        "drawing; these wares reached Europe by the shipload.",
        "康熙、雍正年间，御窑的青花发色与绘画更为精细，这些瓷器成船运往欧洲。",
        (
            ("CN-0004", "Kangxi reign: reserved panels on blue.", "康熙：蓝地开光。", False),
            ("CN-0006", "Yongzheng reign: cloud and dragon.", "雍正：云龙纹。", True),
        ),
    ),
    (
        "Staffordshire answers: transfer printing",
        "斯塔福德郡的回应：转印",
        "In Stoke-on-Trent potters printed blue designs from engraved copper plates onto "
        "earthenware, bringing the look of Chinese blue and white to every table; the Willow "
        "pattern is the best known.",
        "斯托克城的陶工用雕刻铜版把蓝色图案转印到陶器上，让中国青花的风貌走上千家万户的餐桌；"
        "柳树图案最为著名。",
        (
            ("03.3.1", "A platter printed in blue, about 1830.", "蓝色转印大盘，约1830年。", False),
            ("19.1.16", "America and Independence.", "《美国与独立》。", False),
            ("19.1.6", "Isola Bella.", "《美丽岛》。", False),
        ),
    ),
)


def ensure_demo_exhibition(session: Session) -> str | None:
    """Publish the demo exhibition built from the sample collection, once; returns its slug,
    or None when the samples it shows are not loaded."""
    from archive.exhibiting import ItemDraft, SectionDraft, save_exhibition, set_exhibition_status
    from archive.exhibitions import Exhibition, ExhibitionStatus
    from archive.models import Ware

    if session.scalar(select(Exhibition.id).where(Exhibition.slug == DEMO_EXHIBITION_SLUG)):
        return DEMO_EXHIBITION_SLUG
    sections = []
    for heading_en, heading_zh, text_en, text_zh, items in DEMO_SECTIONS:
        drafts = []
        for accession, caption_en, caption_zh, detail in items:
            ware = session.scalars(select(Ware).where(Ware.accession_number == accession)).first()
            if ware is None:
                continue
            photo = ware.main_photograph
            region = None
            if detail and photo is not None:
                # The middle of the photograph, where the painting is.
                w, h = photo.width // 2, photo.height // 2
                region = f"{photo.width // 4},{photo.height // 4},{w},{h}"
            drafts.append(
                ItemDraft(
                    ware.id,
                    photo.id if photo is not None and region else None,
                    region,
                    caption_en,
                    caption_zh,
                )
            )
        sections.append(SectionDraft(heading_en, heading_zh, text_en, text_zh, drafts))
    if not any(section.items for section in sections):
        return None
    exhibition = save_exhibition(
        session,
        None,
        {
            "slug": DEMO_EXHIBITION_SLUG,
            "title_en": "Blue and white, from Jingdezhen to Staffordshire",
            "title_zh": "青花：从景德镇到斯塔福德郡",
            "intro_en": "How cobalt blue under a clear glaze travelled from the imperial kilns "
            "of Jingdezhen to the potbanks of Stoke-on-Trent, told through the sample "
            "collection that ships with Potbank.",
            "intro_zh": "釉下钴蓝如何从景德镇御窑传到斯托克城的陶坊——"
            "以 Potbank 附带的样本藏品讲述。",
        },
        sections,
        actor="demo",
    )
    set_exhibition_status(session, exhibition, ExhibitionStatus.PUBLISHED, actor="demo")
    session.commit()
    return DEMO_EXHIBITION_SLUG
