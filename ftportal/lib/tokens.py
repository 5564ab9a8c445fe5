"""tiktoken, offline: point it at the encoding files that ship with the project.

tiktoken looks for a file named by the SHA-1 of the encoding's download URL in
TIKTOKEN_CACHE_DIR and verifies its SHA-256 before use. We copy our shipped
files into such a cache folder once, so nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import tiktoken

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "tokenizers"
ENCODINGS = ("o200k_base", "cl100k_base")
_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"ftportal-tiktoken-{os.getuid()}"


def ensure_offline_cache() -> Path:
    folder = _cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ENCODINGS:
        target = folder / hashlib.sha1(_URL.format(name=name).encode()).hexdigest()
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            shutil.copyfile(SHIPPED_DIR / f"{name}.tiktoken", tmp)
            tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    return folder


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    if name not in ENCODINGS:
        raise ValueError(f"Unknown encoding {name!r}; the project ships {', '.join(ENCODINGS)}.")
    ensure_offline_cache()
    return tiktoken.get_encoding(name)


def encoding_name_for_model(model: str) -> str:
    """o200k_base for the gpt-4o, gpt-4.1 and later families; cl100k_base for older ones."""
    base = model.removeprefix("ft:").lower()
    if base.startswith(("gpt-3.5", "gpt-4-", "gpt-4")) and not base.startswith(
        ("gpt-4o", "gpt-4.1", "gpt-4.5")
    ):
        return "cl100k_base"
    if base.startswith(("babbage", "davinci", "text-")):
        return "cl100k_base"
    return "o200k_base"
