"""Settings read from ``POTBANK_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CLIP_MODEL = "ViT-B-32"
FALSE_WORDS = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Where an instance lives and how it is configured."""

    home: Path
    database_url: str
    clip_model: str
    clip_pretrained: str
    max_upload_bytes: int
    max_image_pixels: int
    # Search by photograph: the largest decoded query, and the cache of query photographs kept so
    # a result page can be paged (oldest dropped first past either bound).
    query_max_pixels: int = 20_000_000
    query_cache_files: int = 500
    query_cache_bytes: int = 64 * 1024 * 1024
    # IIIF renderings of sizes info.json does not advertise (a page's own width, say): kept in a
    # cache bounded the same way, so a popular one is drawn once and no one can fill the disk.
    iiif_variation_files: int = 2000
    iiif_variation_bytes: int = 256 * 1024 * 1024
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Outgoing mail (invitations): off unless POTBANK_SMTP_HOST is set, and then nothing else
    # ever tries to connect anywhere. Without it, invitation links are shown to the inviting
    # admin once (and printed by the CLI) to pass on by hand.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    # STARTTLS on a plain connection (the usual port 587); off only for a local relay.
    smtp_starttls: bool = True
    mail_from: str = ""
    # The site's address as visitors reach it, for links made outside a request (the CLI).
    public_url: str = "http://localhost:5000/"

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def secret_key_path(self) -> Path:
        return self.home / "secret_key"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("POTBANK_HOME", "instance")).expanduser().resolve()
    default_db = f"sqlite:///{home / 'potbank.sqlite3'}"
    return Settings(
        home=home,
        database_url=env.get("POTBANK_DATABASE_URL", default_db),
        clip_model=env.get("POTBANK_CLIP_MODEL", DEFAULT_CLIP_MODEL),
        clip_pretrained=env.get("POTBANK_CLIP_PRETRAINED", ""),
        max_upload_bytes=int(env.get("POTBANK_MAX_UPLOAD_BYTES", str(40 * 1024 * 1024))),
        max_image_pixels=int(env.get("POTBANK_MAX_IMAGE_PIXELS", str(100_000_000))),
        query_max_pixels=int(env.get("POTBANK_QUERY_MAX_PIXELS", str(20_000_000))),
        query_cache_files=int(env.get("POTBANK_QUERY_CACHE_FILES", "500")),
        query_cache_bytes=int(env.get("POTBANK_QUERY_CACHE_BYTES", str(64 * 1024 * 1024))),
        iiif_variation_files=int(env.get("POTBANK_IIIF_VARIATION_FILES", "2000")),
        iiif_variation_bytes=int(env.get("POTBANK_IIIF_VARIATION_BYTES", str(256 * 1024 * 1024))),
        trusted_proxies=tuple(
            part.strip()
            for part in env.get("POTBANK_TRUSTED_PROXIES", "").split(",")
            if part.strip()
        ),
        smtp_host=env.get("POTBANK_SMTP_HOST", "").strip(),
        smtp_port=int(env.get("POTBANK_SMTP_PORT", "587")),
        smtp_user=env.get("POTBANK_SMTP_USER", ""),
        smtp_password=env.get("POTBANK_SMTP_PASSWORD", ""),
        smtp_starttls=env.get("POTBANK_SMTP_STARTTLS", "1").strip().lower() not in FALSE_WORDS,
        mail_from=env.get("POTBANK_MAIL_FROM", "").strip(),
        public_url=env.get("POTBANK_PUBLIC_URL", "http://localhost:5000/").strip(),
    )


def read_or_create_secret_key(settings: Settings) -> str:
    """Return the instance's secret key, creating it (owner-only permissions) on first use.

    The key lives in the instance folder, never in the repository or the environment of a demo.
    """
    path = settings.secret_key_path
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL so two processes starting at once cannot both write a key; 0o600 keeps it private.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key
