"""End to end: a small MLP learns MNIST from the real IDX files in $MINIDL_DATA."""
import os

import numpy as np
import pytest

import minidl as mdl
from minidl.data import DataLoader, TensorDataset, mnist


@pytest.fixture
def mnist_root():
    root = os.environ.get("MINIDL_DATA")
    if not root:
        pytest.skip("MINIDL_DATA is not set: export MINIDL_DATA=<folder holding mnist/>")
    if not os.path.isfile(os.path.join(root, "mnist", "train-images-idx3-ubyte.gz")) and \
            not os.path.isfile(os.path.join(root, "mnist", "train-images-idx3-ubyte")):
        pytest.skip(f"no MNIST files in {root}/mnist")
    return root


def _prepare(images):
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return (x - mnist.MEAN) / mnist.STD


def test_small_mlp_learns_mnist(mnist_root):
    images, labels = mnist.load("train", root=mnist_root, download=False)
    test_images, test_labels = mnist.load("test", root=mnist_root, download=False)
    assert images.shape == (60000, 28, 28) and test_labels.shape == (10000,)
    x, y = _prepare(images[:10000]), labels[:10000]
    x_test = _prepare(test_images)
    assert x.dtype == np.float32

    mdl.manual_seed(0)
    model = mdl.nn.MLP(784, [128], 10)
    trainer = mdl.Trainer(model, mdl.optim.Adam(model.parameters(), lr=1e-3),
                          mdl.nn.CrossEntropyLoss())
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    history = trainer.fit(loader, epochs=2, progress=False)
    result = trainer.evaluate(DataLoader(TensorDataset(x_test, test_labels), batch_size=1000))
    assert history.history["loss"][1] < history.history["loss"][0]
    assert result["accuracy"] >= 0.90, result  # chance is 0.10
