from __future__ import annotations

import stat

from archive.settings import load_settings, read_or_create_secret_key


def test_defaults_put_everything_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.home == tmp_path / "instance"
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'potbank.sqlite3'}"
    assert settings.clip_pretrained == ""


def test_environment_overrides(tmp_path):
    settings = load_settings(
        {
            "POTBANK_HOME": str(tmp_path / "h"),
            "POTBANK_DATABASE_URL": "postgresql+psycopg://x@localhost/y",
            "POTBANK_CLIP_MODEL": "ViT-L-14",
            "POTBANK_CLIP_PRETRAINED": "/models/clip.pt",
        }
    )
    assert settings.store_dir == tmp_path / "h" / "store"
    assert settings.database_url.startswith("postgresql")
    assert (settings.clip_model, settings.clip_pretrained) == ("ViT-L-14", "/models/clip.pt")


def test_secret_key_is_created_once_with_owner_only_permissions(tmp_path):
    settings = load_settings({"POTBANK_HOME": str(tmp_path)})
    key = read_or_create_secret_key(settings)
    assert len(key) == 64
    assert read_or_create_secret_key(settings) == key
    assert stat.S_IMODE(settings.secret_key_path.stat().st_mode) == 0o600
