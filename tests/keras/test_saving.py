"""model.save / load_model: round trips, files written by Keras 3, and files that must not
run code (pickle members, Lambda layers, unknown classes)."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from minidl import keras as mk
from tests.keras.reference import keras_module

X = np.random.default_rng(2).standard_normal((5, 8)).astype(np.float32)


def _model(K):
    a, b = K.Input((8,), name="a"), K.Input((3,), name="b")
    h = K.layers.BatchNormalization()(K.layers.Dense(6, activation="relu")(a))
    out1 = K.layers.Dense(2, activation="softmax", name="out1")(h)
    out2 = K.layers.Dense(1, name="out2")(K.layers.Dense(3)(b))
    return K.Model([a, b], {"p": out1, "q": out2})


def test_round_trip_sequential_and_functional(tmp_path):
    seq = mk.Sequential([mk.Input((8,)), mk.layers.Dense(4, activation="gelu"),
                         mk.layers.BatchNormalization(momentum=0.8), mk.layers.Dropout(0.1),
                         mk.layers.Dense(3, activation="softmax")])
    seq.layers[1](np.random.default_rng(0).standard_normal((9, 4)), training=True)  # move stats
    for model, x in ((seq, X), (_model(mk), [X, X[:, :3]])):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        names = zipfile.ZipFile(path).namelist()
        assert "config.json" in names and all(n.endswith((".json", ".npy")) for n in names)
        loaded = mk.models.load_model(path)
        assert type(loaded) is type(model)
        for a, b in zip(loaded.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)
        before, after = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
        for key in (before if isinstance(before, dict) else [None]):
            got = after if key is None else after[key]
            np.testing.assert_array_equal(got, before if key is None else before[key])


def test_custom_layers_need_custom_objects(tmp_path):
    class Scale(mk.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.w * self.factor

    model = mk.Sequential([mk.Input((3,)), Scale(3.0), mk.layers.Dense(2)])
    path = tmp_path / "custom.keras"
    model.save(path)
    with pytest.raises(ValueError, match="custom_objects"):
        mk.models.load_model(path)
    loaded = mk.models.load_model(path, custom_objects={"Scale": Scale})
    assert loaded.layers[0].factor == 3.0
    np.testing.assert_array_equal(loaded.predict(X[:, :3], verbose=0),
                                  model.predict(X[:, :3], verbose=0))


def test_lambda_refuses_to_save_naming_itself(tmp_path):
    model = mk.Sequential([mk.Input((3,)), mk.layers.Lambda(lambda x: x * 2, name="double")])
    with pytest.raises(ValueError, match="Lambda layer 'double' cannot be saved"):
        model.save(tmp_path / "lambda.keras")
    assert not os.path.exists(tmp_path / "lambda.keras")


class _Payload:
    """Unpickling this would create the marker file."""
    marker = None

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_members_never_execute(tmp_path):
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(2)])
    good = tmp_path / "good.keras"
    model.save(good)
    marker = tmp_path / "pwned"
    _Payload.marker = str(marker)
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "weights/00000.npy":  # an object array: np.save pickles it
                buffer = io.BytesIO()
                np.save(buffer, np.array([_Payload()], dtype=object), allow_pickle=True)
                data = buffer.getvalue()
            dst.writestr(name, data)
        dst.writestr("model.pkl", pickle.dumps(_Payload()))
    with pytest.raises(ValueError, match="never unpickles"):
        mk.models.load_model(evil)
    assert not marker.exists()


def test_foreign_and_broken_files_give_clear_errors(tmp_path):
    path = tmp_path / "notzip.keras"
    path.write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a zip"):
        mk.models.load_model(path)
    unknown = tmp_path / "unknown.keras"
    with zipfile.ZipFile(unknown, "w") as z:
        z.writestr("config.json", json.dumps({"class_name": "os.system", "config": {}}))
        z.writestr("weights.json", "[]")
    with pytest.raises(ValueError, match="Could not locate class 'os.system'"):
        mk.models.load_model(unknown)
    with pytest.raises(ValueError, match=".keras"):
        mk.Sequential([mk.Input((2,)), mk.layers.Dense(1)]).save(tmp_path / "m.h5")


def test_loads_a_file_written_by_keras(tmp_path):
    keras = keras_module()
    pytest.importorskip("h5py")
    theirs = _model(keras)
    x = [X, X[:, :3]]
    theirs.compile("adam", {"p": "sparse_categorical_crossentropy", "q": "mse"})
    y = {"p": np.array([0, 1, 1, 0, 1]), "q": np.ones((5, 1), np.float32)}
    theirs.fit(x, y, epochs=2, verbose=0)  # BatchNormalization's moving statistics move
    path = tmp_path / "keras_written.keras"
    theirs.save(path)
    ours = mk.models.load_model(path, compile=False)
    expected, got = theirs.predict(x, verbose=0), ours.predict(x, verbose=0)
    for key in ("p", "q"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)
    seq = keras.Sequential([keras.Input((8,)), keras.layers.Dense(5, activation="elu"),
                            keras.layers.Dropout(0.3), keras.layers.Dense(2)])
    seq.save(tmp_path / "seq.keras")
    loaded = mk.models.load_model(tmp_path / "seq.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), seq.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_loads_keras_written_cnn_and_embedding_models(tmp_path):
    keras = keras_module()
    pytest.importorskip("h5py")
    models = [(keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(10, 3),
                                 keras.layers.Flatten(), keras.layers.Dense(2)]),
               np.random.default_rng(0).integers(0, 10, (3, 5)))]
    if hasattr(mk.layers, "Conv2D"):
        cnn = keras.Sequential([keras.Input((12, 12, 2)),
                                keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                                keras.layers.MaxPooling2D(), keras.layers.AveragePooling2D(2),
                                keras.layers.Conv2D(3, 2, strides=2),
                                keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
        models.append((cnn, np.random.default_rng(1).random((4, 12, 12, 2), dtype=np.float32)))
    for i, (theirs, x) in enumerate(models):
        path = tmp_path / f"model{i}.keras"
        theirs.save(path)
        ours = mk.models.load_model(path)
        np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)
