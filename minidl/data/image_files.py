"""Images from files for a trained model: IDX (as MNIST's), NumPy ``.npy``, or pictures (PNG,
JPEG, ... with Pillow), always as stored pixels 0..255 ``[N, H, W]``.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "digits.npy")
    >>> np.save(path, np.zeros((2, 28, 28), np.uint8))
    >>> images, notes = read_image_file(path)
    >>> images.shape, images.dtype, notes
    ((2, 28, 28), dtype('uint8'), [])
"""
import os

import numpy as np

from minidl.data import idx

PICTURES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def read_image_file(path, shape=(28, 28)):
    """The images in ``path`` as a pixel array ``[N, *shape]``, and notes on what was done.

    Args:
        path: a ``.npy`` file (one image ``[H, W]``, a batch ``[N, H, W]``, or flattened
            ``[N, H·W]`` / ``[H·W]``, pixel values 0..255), an IDX image file (``.gz`` or not),
            or a picture Pillow can open (turned to grey levels, resized to ``shape`` when it
            has another size, and inverted when its background is light: MNIST digits are
            light on dark).
        shape: the image shape the model was trained on.

    Returns:
        ``(images, notes)``: the array and a list of strings (e.g. ``'inverted ...'``).

    Raises:
        ValueError: the file is none of these, or its images do not have ``shape``.
        ImportError: a picture, but Pillow is not installed.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    notes = []
    if ext == ".npy":
        try:
            images = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"{path}: not a NumPy array file without objects ({exc})") from None
    elif ext in PICTURES:
        images = _read_picture(path, shape, notes)[None]
    else:
        try:
            images = idx.read_idx(path)
        except idx.IDXFormatError as exc:
            raise ValueError(f"{path}: not an image file minidl reads ({exc}); give IDX "
                             f"files, .npy arrays or pictures ({', '.join(PICTURES)})") from None
    return _as_batch(images, shape, path), notes


def _as_batch(images, shape, path):
    images = np.asarray(images)
    if images.dtype.kind not in "uif":
        raise ValueError(f"{path}: holds {images.dtype} values, not pixel numbers")
    size = int(np.prod(shape))
    shape = tuple(shape)
    if images.shape == shape or images.shape == (size,):
        images = images[None]
    if images.ndim >= 2 and images.shape[1:] in (shape, (size,)):
        return images.reshape((len(images),) + shape)
    raise ValueError(f"{path}: images of shape {images.shape}, expected one image {shape} or a "
                     f"batch (N, {', '.join(map(str, shape))}) (or flattened to {size} values)")


def _read_picture(path, shape, notes):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{path}: reading pictures needs Pillow (pip install pillow); "
                          ".npy and IDX files need nothing") from None
    with Image.open(path) as picture:
        grey = picture.convert("L")
        height, width = shape
        if grey.size != (width, height):
            notes.append(f"resized from {grey.size[0]}x{grey.size[1]} to {width}x{height}")
            grey = grey.resize((width, height), Image.LANCZOS)
        pixels = np.asarray(grey, dtype=np.uint8).copy()
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if border.mean() > 127:
        notes.append("inverted: a dark digit on a light background (MNIST's are light on dark)")
        pixels = 255 - pixels
    return pixels
