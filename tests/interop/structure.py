"""What the IIIF specifications require of our documents, as reusable assertions."""

from __future__ import annotations

PRESENTATION = "http://iiif.io/api/presentation/3/context.json"


def language_map(value: object) -> None:
    """Assert that ``value`` is a IIIF language map: language -> list of strings."""
    assert isinstance(value, dict) and value
    for language, texts in value.items():
        assert isinstance(language, str)
        assert isinstance(texts, list) and all(isinstance(t, str) for t in texts)


def check_manifest(manifest: dict, base: str) -> None:
    """Assert the structure Presentation 3.0 requires, down to the painted image's service."""
    assert manifest["@context"] == PRESENTATION
    assert manifest["type"] == "Manifest"
    assert manifest["id"].startswith("http")
    language_map(manifest["label"])
    for entry in manifest.get("metadata", []):
        language_map(entry["label"])
        language_map(entry["value"])
    language_map(manifest["requiredStatement"]["label"])
    language_map(manifest["requiredStatement"]["value"])
    for canvas in manifest["items"]:
        assert canvas["type"] == "Canvas"
        assert canvas["id"].startswith(manifest["id"])
        assert canvas["width"] > 0 and canvas["height"] > 0
        language_map(canvas["label"])
        (page,) = canvas["items"]
        assert page["type"] == "AnnotationPage"
        (annotation,) = page["items"]
        assert annotation["type"] == "Annotation"
        assert annotation["motivation"] == "painting"
        assert annotation["target"] == canvas["id"]
        body = annotation["body"]
        assert body["type"] == "Image"
        assert body["format"] == "image/jpeg"
        (service,) = body["service"]
        assert service["type"] == "ImageService3"
        assert service["profile"] == "level2"
        assert service["id"].startswith(f"{base}/iiif/3/")
        assert body["id"] == service["id"] + "/full/max/0/default.jpg"


def check_info(info: dict) -> None:
    """Assert the properties Image API 3.0 requires of an image information document."""
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"].startswith("http")
    assert info["type"] == "ImageService3"
    assert info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] in ("level0", "level1", "level2")
    assert isinstance(info["width"], int) and info["width"] > 0
    assert isinstance(info["height"], int) and info["height"] > 0
    for size in info.get("sizes", []):
        assert set(size) == {"width", "height"}
    for tile in info.get("tiles", []):
        assert tile["width"] > 0 and tile["scaleFactors"]
