"""Sidecar (``NAME.meta.json``) and folder ``manifest.json`` metadata that overrides or supplies what the text gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

from indexer.metadata.dates import _iso
from indexer.metadata.doc_types import DOC_TYPES
from indexer.records import DocumentMeta

OVERRIDABLE = ("organisation", "body", "date", "year", "doc_type", "title", "url")


class MetadataError(Exception):
    """A sidecar or manifest cannot be used; ``str(e)`` is the reason."""


def _load_json(path: Path) -> object:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataError(f"cannot read metadata file {path.name}: {exc}") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"invalid JSON in metadata file {path.name}: {exc.msg} "
                            f"(line {exc.lineno}, column {exc.colno})") from exc


def sidecar_paths(path: Path) -> list[Path]:
    return [path.with_name(path.name + ".meta.json"), path.with_name(path.stem + ".meta.json")]


def load_overrides(path: Path) -> dict:
    """Metadata for ``path`` from its folder's ``manifest.json`` and its sidecar (sidecar wins)."""
    overrides: dict = {}
    manifest = path.parent / "manifest.json"
    if manifest.is_file():
        data = _load_json(manifest)
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict):
            raise MetadataError(f"invalid manifest {manifest.name}: expected an object with a \"files\" object")
        entry = files.get(path.name)
        if entry is None:
            entry = files.get(str(path.name).lower())
        if entry is not None:
            overrides.update(_validate(entry, manifest.name))
    for sidecar in sidecar_paths(path):
        if sidecar.is_file() and sidecar != path:
            overrides.update(_validate(_load_json(sidecar), sidecar.name))
            break
    return overrides


def _validate(entry: object, name: str) -> dict:
    if not isinstance(entry, dict):
        raise MetadataError(f"invalid metadata in {name}: expected a JSON object")
    out = {}
    for key in OVERRIDABLE:
        if key not in entry or entry[key] is None:
            continue
        value = entry[key]
        if key == "year":
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if not isinstance(value, int) or not 1800 <= value <= 2200:
                raise MetadataError(f"invalid metadata in {name}: year must be a four-digit number")
        elif not isinstance(value, str) or not value.strip():
            raise MetadataError(f"invalid metadata in {name}: {key} must be a non-empty string")
        else:
            value = value.strip()
        if key == "date":
            m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
            if not m or _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) is None:
                raise MetadataError(f"invalid metadata in {name}: date {value!r} is not a date (YYYY-MM-DD)")
        if key == "url" and not re.fullmatch(r"https?://[^\s<>\"]+", value):
            # the publisher's address, shown as a link: only web addresses (no file paths, no javascript:)
            raise MetadataError(f"invalid metadata in {name}: url {value!r} is not an http(s) address")
        if key == "doc_type" and value not in DOC_TYPES:
            raise MetadataError(f"invalid metadata in {name}: doc_type {value!r} is not one of "
                                f"{', '.join(DOC_TYPES)}")
        out[key] = value
    return out


def apply_overrides(meta: DocumentMeta, overrides: dict) -> DocumentMeta:
    for key, value in overrides.items():
        setattr(meta, key, value)
        if key in meta.inferred:
            meta.inferred.remove(key)
        if key in {"organisation", "body", "date"}:
            meta.evidence[key] = "sidecar/manifest"
    if "date" in overrides:
        if "year" not in overrides:
            meta.year = int(overrides["date"][:4])
        if "year" in meta.inferred:
            meta.inferred.remove("year")
    return meta
