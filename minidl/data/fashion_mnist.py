"""Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): Zalando's 28x28 clothing images, 10 classes.

Same layout as MNIST, in ``<root>/fashion-mnist/``. Classes: :data:`CLASSES`.
"""
from minidl.data.source import IDXSource

MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
]

FILES = {
    ("train", "images"): ("train-images-idx3-ubyte.gz",
                          "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
    ("train", "labels"): ("train-labels-idx1-ubyte.gz",
                          "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
    ("test", "images"): ("t10k-images-idx3-ubyte.gz",
                         "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte.gz",
                         "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
}

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")

# pixel statistics of the training set (after scaling to [0, 1]), for normalisation
MEAN = 0.2860
STD = 0.3530

SOURCE = IDXSource("Fashion-MNIST", "fashion-mnist", FILES, MIRRORS, "minidl.data.fashion_mnist")


def load(split="train", root=None, download=True, **kwargs):
    """Load one split of Fashion-MNIST; arguments and results as :func:`minidl.data.mnist.load`."""
    return SOURCE.load(split, root=root, download=download, **kwargs)
