"""MNIST handwritten digits (LeCun, Cortes & Burges): 60,000 training and 10,000 test images.

Files: ``<root>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``, root from
``root``, else ``$MINIDL_DATA``, else ``~/.cache/minidl``. Missing files are downloaded from
the mirrors below, tried in turn, and verified against their SHA-256 before use.
"""
from minidl.data.source import IDXSource

MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]

FILES = {
    ("train", "images"): ("train-images-idx3-ubyte.gz",
                          "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    ("train", "labels"): ("train-labels-idx1-ubyte.gz",
                          "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    ("test", "images"): ("t10k-images-idx3-ubyte.gz",
                         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte.gz",
                         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}

# pixel statistics of the training set (after scaling to [0, 1]), for normalisation
MEAN = 0.1307
STD = 0.3081

SOURCE = IDXSource("MNIST", "mnist", FILES, MIRRORS, "minidl.data.mnist")


def load(split="train", root=None, download=True, **kwargs):
    """Load one split of MNIST.

    Args:
        split: ``'train'`` (60,000 images) or ``'test'`` (10,000).
        root: the data root; default ``$MINIDL_DATA``, else ``~/.cache/minidl``.
        download: fetch missing files from the mirrors (verified by SHA-256).
        **kwargs: ``mirrors`` (a list of base URLs to use instead of :data:`MIRRORS`) and
            ``timeout`` (seconds per connection attempt).

    Returns:
        ``(images, labels)``: uint8 array [N, 28, 28] and int64 array [N].

    Raises:
        DataUnavailableError: the files are missing and could not be downloaded; the message
            says how to provide them.
        IDXFormatError: a file is corrupt or truncated.
    """
    return SOURCE.load(split, root=root, download=download, **kwargs)
