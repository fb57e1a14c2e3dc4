"""Safe image handling: decode untrusted bytes, re-encode without metadata, resize, data URLs."""

from __future__ import annotations

import base64
import functools
import io
import math
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
EXTRACTION_SIDE = 1024
CRITIQUE_SIDE = 512
STORAGE_SIDE = 2048

MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


class ImageError(ValueError):
    """A file the user gave us that we cannot use; the message is for the user."""

    def __init__(self, reason: str, name: str | None = None) -> None:
        self.reason = reason
        self.name = name
        super().__init__(f"{name}: {reason}" if name else reason)


def _human_bytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def decode_image(
    data: bytes,
    *,
    name: str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int | None = None,
) -> Image.Image:
    """Decode untrusted bytes into an upright RGB image, or raise ImageError saying why.

    `max_side` lets JPEG decoding use draft mode, so a 12-megapixel photo needed at 1024 px
    is never held in memory at full size.
    """
    if not data:
        raise ImageError("the file is empty (0 bytes)", name)
    if len(data) > max_bytes:
        raise ImageError(
            f"the file is {_human_bytes(len(data))}; the limit is {_human_bytes(max_bytes)}", name
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise ImageError(
            "this is not an image we can read (JPEG, PNG, WebP or GIF expected)", name
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"the image has too many pixels (limit {max_pixels / 1e6:.0f} megapixels)", name
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image is truncated or corrupt ({exc})", name) from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(
            f"the image is {width}×{height} = {width * height / 1e6:.0f} megapixels; "
            f"the limit is {max_pixels / 1e6:.0f} megapixels",
            name,
        )
    if width < 1 or height < 1:
        raise ImageError("the image has no pixels", name)
    try:
        if max_side is not None and image.format == "JPEG":
            image.draft("RGB", (max_side, max_side))
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image is truncated or corrupt ({exc})", name) from None
    try:
        image = ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - a broken EXIF block must not reject a good image
        pass
    rgb = _to_rgb(image)
    if max_side is not None:
        rgb = resize_max_side(rgb, max_side)
    return rgb


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def resize_max_side(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink so the longest side is at most `max_side`, keeping aspect ratio; never enlarge."""
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 90) -> bytes:
    """Encode pixels only: no EXIF, GPS, ICC or text chunks survive."""
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=quality, optimize=True)
    elif fmt == "WEBP":
        clean.save(out, "WEBP", quality=quality)
    else:
        # zlib level 1: a 1024 px painting encodes four times faster than at the default 6
        # (0.12 s against 0.51 s on the 2-core machine) for 15 % more bytes, and a worker
        # re-encodes every image a model sends
        clean.save(out, "PNG", compress_level=1)
    return out.getvalue()


def reencode_upload(data: bytes, *, name: str | None = None) -> tuple[bytes, int, int]:
    """Validate an uploaded file and return clean JPEG bytes (≤ 2048 px) with their size."""
    image = decode_image(data, name=name, max_side=STORAGE_SIDE)
    return encode(image, "JPEG", quality=92), image.width, image.height


def to_data_url(data: bytes, mime_type: str) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


@functools.lru_cache(maxsize=64)
def data_url_for_model(data: bytes, max_side: int) -> str:
    """Resize stored image bytes to `max_side` and return a JPEG data URL for a vision model.

    Cached: a run sends the same references (and its best image) with every request, and
    decoding, resizing and encoding them each time is most of a worker's CPU.
    """
    image = decode_image(data, max_side=max_side)
    return to_data_url(encode(image, "JPEG", quality=88), "image/jpeg")


def sniff_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:3] == b"GIF":
        return "image/gif"
    return "application/octet-stream"


SHEET_GAP = 8


def contact_sheet(
    images: list[bytes] | tuple[bytes, ...], max_side: int = EXTRACTION_SIDE
) -> bytes:
    """The references side by side in one JPEG no larger than `max_side` (one image to send).

    A grid as square as the count allows; each cell keeps its image's aspect ratio.
    """
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    cell = (max_side - SHEET_GAP * (columns + 1)) // columns
    cell = min(cell, (max_side - SHEET_GAP * (rows + 1)) // rows)
    width = columns * cell + SHEET_GAP * (columns + 1)
    height = rows * cell + SHEET_GAP * (rows + 1)
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    for k, data in enumerate(images):
        tile = resize_max_side(decode_image(data, max_side=max_side), cell)
        col, row = k % columns, k // columns
        x = SHEET_GAP + col * (cell + SHEET_GAP) + (cell - tile.width) // 2
        y = SHEET_GAP + row * (cell + SHEET_GAP) + (cell - tile.height) // 2
        sheet.paste(tile, (x, y))
    return encode(sheet, "JPEG", quality=88)
