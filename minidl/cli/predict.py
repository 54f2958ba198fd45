"""``python -m minidl predict RUN FILE...``: the class a trained run sees in each image.

    python -m minidl predict runs/mnist-mlp digit.png more-digits.npy t10k-images-idx3-ubyte.gz

FILEs are IDX image files, NumPy ``.npy`` arrays of pixels 0..255 (one image or a batch), or
pictures (PNG, JPEG, ... when Pillow is installed). Prints one line per image: the class and
its probability.
"""
import sys


def add_parser(subparsers):
    p = subparsers.add_parser(
        "predict", help="classify images (IDX, .npy, PNG) with a trained run",
        description="Rebuild the model of a run folder written by `python -m minidl train` "
                    "and print, for every image in the files, the predicted class and its "
                    "probability. Images are stored pixels 0..255 (IDX, .npy) or pictures "
                    "(PNG, JPEG, ... with Pillow: turned grey, resized, inverted when the "
                    "background is light), preprocessed as the run's training data was.")
    p.add_argument("run_dir", metavar="RUN", help="the run folder (or its checkpoint.npz)")
    p.add_argument("files", metavar="FILE", nargs="+", help="image files")
    p.add_argument("--device", default=None, help="device: cpu or cuda (default: cpu)")
    p.set_defaults(run=run)
    return p


def run(args):
    from minidl.cli.evaluate import load_trained_run
    from minidl.data.image_files import read_image_file
    trained = load_trained_run(args.run_dir, args.device, "predict")
    if trained is None:
        return 2
    shape = trained.input_shape or (28, 28)
    failed = False
    for path in args.files:
        try:
            images, notes = read_image_file(path, shape)
        except (OSError, ValueError, ImportError) as exc:
            print(f"minidl predict: {exc}", file=sys.stderr)
            failed = True
            continue
        for note in notes:
            print(f"{path}: {note}", file=sys.stderr)
        classes, probabilities = trained.predict(images)
        for i, (k, p) in enumerate(zip(classes.tolist(), probabilities)):
            name = trained.class_name(k)
            label = str(k) if name == str(k) else f"{k} {name}"
            where = path if len(images) == 1 else f"{path}[{i}]"
            print(f"{where}: {label} ({100 * p[k]:.1f}%)")
    return 1 if failed else 0
