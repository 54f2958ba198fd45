"""``python -m minidl train``: train an MLP on MNIST (or Fashion-MNIST) end to end.

Loads the IDX files (downloading them if needed), holds out a validation split of the training
set for per-epoch validation, trains with a progress bar, evaluates once on the test set, and
writes to ``--out``: ``checkpoint.npz`` (after every epoch: model, optimizer, scheduler,
history, RNG, and plain-data records of the architecture and the preprocessing, so that
``minidl.load_run(folder)``, ``python -m minidl evaluate`` and ``predict`` can use it;
``--resume`` continues from it exactly, in the same folder), ``metrics.json``, and
``curves.png`` (loss and accuracy per epoch, when matplotlib is installed; for ``--model cnn``
also ``filters.png`` and ``feature_maps.png``: all drawn by ``minidl.cli.plots``).

A run never replaces another one unasked: without ``--out``, a new run whose default folder
(``runs/mnist-mlp``) already holds a run goes to the next free ``runs/mnist-mlp-2``, ``-3``…;
an explicit ``--out`` holding a run is refused unless ``--overwrite`` is given.

``mpiexec -n N python -m minidl train --distributed`` trains data-parallel on N processes:
each rank takes its shard of every batch (``--batch-size`` per rank, so the global batch is
N × that), gradients are averaged in ``backward()``, only rank 0 prints and writes files,
and a failing rank ends the whole job.
"""
import json
import os
import sys
import time
import traceback

import numpy as np

from minidl.cli.plots import write_run_pictures
from minidl.files import atomic_write
from minidl.training.callbacks import Callback
from minidl.training.trainer import NonFiniteLossError

DEFAULTS = {
    "dataset": "mnist",
    "model": "mlp",
    "hidden": "256,128",
    "activation": "relu",
    "dropout": 0.1,
    "batchnorm": False,
    "optimizer": "adam",
    "lr": None,  # the optimizer's own default (LEARNING_RATES)
    "weight_decay": 0.0,
    "schedule": "cosine",
    "epochs": 10,
    "batch_size": 128,
    "val_split": 0.1,
    "limit": None,
    "seed": 0,
}
# options that may differ from the checkpoint's when resuming
RESUMABLE = {"epochs"}

# learning rate when --lr is not given
LEARNING_RATES = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 1e-3, "adamw": 1e-3,
                  "rmsprop": 1e-3, "adagrad": 1e-2, "adadelta": 1.0, "adamax": 2e-3,
                  "nadam": 2e-3, "radam": 1e-3}
SCHEDULES = ("none", "step", "cosine", "onecycle", "exponential", "plateau")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "identity")
CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.json"


def mlp_architecture(config, in_features=784, classes=10):
    """The MLP that ``config`` describes, as an architecture record (minidl.nn.registry)."""
    from minidl import nn
    return nn.architecture("mlp", in_features=in_features,
                           hidden_sizes=hidden_sizes(config["hidden"]), out_features=classes,
                           activation=config["activation"], dropout=config["dropout"],
                           batchnorm=config["batchnorm"])


def cnn_architecture(config, classes=10):
    """Keras's MNIST convnet (``nn.convnet.mnist_convnet``), as an architecture record."""
    from minidl import nn
    return nn.architecture("mnist_convnet", classes=classes)


# --model NAME -> architecture(config) -> record; another model kind adds an entry here
ARCHITECTURES = {"mlp": mlp_architecture, "cnn": cnn_architecture}


def add_parser(subparsers):
    p = subparsers.add_parser(
        "train", help="train an MLP on MNIST end to end",
        description="Train a multi-layer perceptron on MNIST (or Fashion-MNIST): per-epoch "
                    "loss/accuracy on a held-out validation split, then the test accuracy. "
                    "Writes checkpoint.npz, metrics.json and curves.png to --out.")
    d = DEFAULTS
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=None,
                   help=f"dataset (default {d['dataset']})")
    p.add_argument("--data", metavar="DIR", default=None,
                   help="data root holding mnist/ or fashion-mnist/ (default: $MINIDL_DATA, "
                        "else ~/.cache/minidl; missing files are downloaded there)")
    p.add_argument("--model", choices=sorted(ARCHITECTURES), default=None,
                   help=f"model kind (default {d['model']}): mlp = 784 -> --hidden -> 10; cnn "
                        "= Keras's MNIST convnet, conv 32@3x3 -> pool -> conv 64@3x3 -> pool -> "
                        "dropout 0.5 -> linear (34,826 parameters; --hidden, --activation, "
                        "--dropout and --batchnorm are the MLP's)")
    p.add_argument("--hidden", default=None,
                   help=f"hidden layer sizes, comma-separated, '' for none "
                        f"(default {d['hidden']})")
    p.add_argument("--activation", choices=ACTIVATIONS, default=None,
                   help=f"hidden activation (default {d['activation']})")
    p.add_argument("--dropout", type=float, default=None,
                   help=f"dropout after each hidden layer (default {d['dropout']})")
    p.add_argument("--batchnorm", action="store_true", default=None,
                   help="BatchNorm1d after each hidden Linear")
    p.add_argument("--optimizer", choices=sorted(LEARNING_RATES), default=None,
                   help=f"optimizer (default {d['optimizer']}; momentum = SGD with momentum "
                        "0.9, nesterov = the same with Nesterov's update)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (peak rate with --schedule onecycle); default per "
                        "optimizer: " + ", ".join(f"{k} {v:g}" for k, v in
                                                 sorted(LEARNING_RATES.items())))
    p.add_argument("--weight-decay", type=float, default=None,
                   help=f"weight decay (default {d['weight_decay']}; AdamW's is decoupled)")
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help=f"learning-rate schedule (default {d['schedule']}): step = x0.1 every "
                        "third of the epochs, cosine = cosine annealing to 0 over all steps, "
                        "onecycle = OneCycleLR, exponential = x0.01 over the run, plateau = "
                        "ReduceLROnPlateau on val_loss")
    p.add_argument("--epochs", type=int, default=None, help=f"epochs (default {d['epochs']})")
    p.add_argument("--batch-size", type=int, default=None,
                   help=f"batch size (default {d['batch_size']})")
    p.add_argument("--val-split", type=float, default=None,
                   help=f"fraction of the training set held out for validation (default "
                        f"{d['val_split']}; 0 for none). The test set is used once, at the end")
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N training images (quick runs)")
    p.add_argument("--seed", type=int, default=None, help=f"random seed (default {d['seed']})")
    p.add_argument("--device", default=None, help="device: cpu or cuda (default: the default "
                   "device, $MINIDL_DEVICE or cpu)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: runs/DATASET-MODEL, e.g. runs/mnist-mlp, or "
                        "the next free runs/mnist-mlp-2, ... when it holds a run; with "
                        "--resume, the resumed run's folder)")
    p.add_argument("--overwrite", action="store_true",
                   help="let a new run replace the run already in --out")
    p.add_argument("--resume", metavar="PATH", default=None,
                   help="continue the run saved in PATH (a checkpoint.npz or its folder) with "
                        "its configuration, exactly as if it had not stopped, writing into "
                        "its own folder; --epochs may raise the total of runs with --schedule "
                        "none or plateau")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar, one plain line per epoch instead")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel training on the processes of an MPI launcher: "
                        "mpiexec -n N python -m minidl train --distributed (needs pip install "
                        "minidl[dist]). Each rank trains on its shard of every batch: "
                        "--batch-size is per rank, so the global batch is N x --batch-size; "
                        "the optimizer step is split over the ranks (ZeRO stage 1, the same "
                        "numbers). "
                        "Only rank 0 prints and writes files; every rank resumes from the "
                        "same --resume checkpoint")
    p.set_defaults(run=run)
    return p


def run(args):
    if not getattr(args, "distributed", False):
        return _run(args, None)
    from minidl import distributed as dist
    try:
        world = dist.init()
    except ImportError as exc:
        print(f"minidl train: --distributed: {exc}", file=sys.stderr)
        return 2
    if world.size == 1:
        return _run(args, world)
    # A rank that fails or stops must end the job: the others would wait in a collective.
    try:
        code = _run(args, world)
    except BaseException as exc:  # noqa: BLE001  (Ctrl-C and errors alike)
        traceback.print_exc()
        dist.abort(130 if isinstance(exc, KeyboardInterrupt) else 1)
    if code:
        dist.abort(code)
    return code


def _run(args, world):
    import minidl as mdl
    from minidl.data import DataUnavailableError
    from minidl.data.idx import IDXFormatError

    started = time.perf_counter()
    main = world is None or world.is_main_process
    say = print if main else _silent
    resume_state = None
    if args.resume:
        resume_state, resume_path = _load_resume(args.resume)
        if resume_state is None:
            return 2
    try:
        config = resolve_config(args, resume_state)
    except ValueError as exc:
        print(f"minidl train: {exc}", file=sys.stderr)
        return 2
    try:
        out, note = choose_out(args, config, resume_path if resume_state is not None else None)
    except ValueError as exc:
        print(f"minidl train: {exc}", file=sys.stderr)
        return 2
    if note:
        say(note)
    args.out = out
    device = args.device or mdl.backends.default_device()
    try:
        mdl.backends.get_backend(device)  # fail now, with the install hint, if it cannot run
    except (RuntimeError, ValueError) as exc:
        print(f"minidl train: --device {device}: {exc}", file=sys.stderr)
        return 2
    if main:
        _print_config(config, args, device, resume_state, world)

    try:
        data = load_data(config, args.data)
    except (DataUnavailableError, IDXFormatError) as exc:
        print(f"minidl train: {exc}", file=sys.stderr)
        return 1
    x_train, y_train, x_val, y_val, x_test, y_test = data

    mdl.manual_seed(config["seed"])
    model = build_model(config).to(device)
    if world is not None:  # the same model everywhere; BatchNorm statistics over all ranks
        model = mdl.distributed.DistributedDataParallel(
            mdl.distributed.SyncBatchNorm.convert_sync_batchnorm(model))
    optimizer = build_optimizer(config, model, world)
    train_loader = make_loader(x_train, y_train, config["batch_size"], device,
                               shuffle=True, seed=config["seed"], world=world)
    val_loader = (make_loader(x_val, y_val, 1000, device, world=world) if len(y_val) else None)
    test_loader = make_loader(x_test, y_test, 1000, device, world=world)
    scheduler, interval = build_scheduler(config, optimizer, len(train_loader))
    os.makedirs(args.out, exist_ok=True)
    checkpoint_path = os.path.join(args.out, CHECKPOINT)
    saver = SaveCheckpoint(checkpoint_path, config, run_record_of(config))
    trainer = mdl.Trainer(model, optimizer, mdl.nn.CrossEntropyLoss(), scheduler=scheduler,
                          scheduler_interval=interval, callbacks=[saver])
    if resume_state is not None:
        if world is not None:  # checkpoints hold the unwrapped model's keys
            resume_state = dict(resume_state, model={"module." + k: v for k, v in
                                                     resume_state["model"].items()})
        trainer.load_state_dict(resume_state)
        say(f"resumed from {resume_path} after epoch {trainer.epoch}")

    remaining = config["epochs"] - trainer.epoch
    train_start = time.perf_counter()
    try:
        if remaining > 0:
            trainer.fit(train_loader, epochs=remaining, val_data=val_loader,
                        progress="line" if args.no_progress else True)
        else:  # nothing left to train: still leave this run's checkpoint in --out
            saver.on_epoch_end(trainer, trainer.epoch - 1, {})
    except NonFiniteLossError as exc:
        print(f"minidl train: {exc}", file=sys.stderr)
        if saver.written:
            print(f"minidl train: {checkpoint_path} holds the run after epoch {trainer.epoch}",
                  file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if saver.written:
            print(f"\ninterrupted; continue with: python -m minidl train --resume "
                  f"{checkpoint_path}", file=sys.stderr)
        raise
    train_time = time.perf_counter() - train_start

    test = trainer.evaluate(test_loader)
    history = trainer.history.history
    metrics = {
        "dataset": config["dataset"],
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "epochs": trainer.epoch,
        "train_samples": int(len(y_train)),
        "val_samples": int(len(y_val)),
        "test_samples": int(len(y_test)),
        "parameters": sum(p.size for p in model.parameters()),
        "train_time_s": round(train_time, 3),
        "wall_time_s": round(time.perf_counter() - started, 3),
        "device": device,
        "ranks": 1 if world is None else world.size,
        "config": config,
        "history": history,
    }
    if history.get("val_accuracy"):
        best = int(np.argmax(history["val_accuracy"]))
        metrics["best_val_accuracy"] = history["val_accuracy"][best]
        metrics["best_epoch"] = best + 1
    if not main:
        return 0
    metrics.update({k: v for k, v in saver.record.items() if k != "classes"})
    metrics_path = os.path.join(args.out, METRICS)
    with atomic_write(metrics_path, "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    written = [checkpoint_path, metrics_path]
    written += write_run_pictures(args.out, history, config, model, x_test, y_test)
    print(f"test accuracy {100 * test['accuracy']:.2f}% (loss {test['loss']:.4f}) after "
          f"{_plural(trainer.epoch, 'epoch')}; training took {train_time:.1f}s")
    print("wrote " + ", ".join(written))
    return 0


# -- configuration ----------------------------------------------------------------------------
def resolve_config(args, resume_state=None):
    """The run's configuration: defaults < the resumed checkpoint's < options given now."""
    config = dict(DEFAULTS)
    saved = None
    if resume_state is not None:
        saved = resume_state.get("config")
        if not isinstance(saved, dict):
            raise ValueError("the checkpoint to resume has no run configuration (it was not "
                             "written by `python -m minidl train`)")
        config.update(saved)
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is None:
            continue
        if saved is not None and key not in RESUMABLE and value != saved.get(key, DEFAULTS[key]):
            raise ValueError(f"--{key.replace('_', '-')} {value} differs from the resumed run's "
                             f"{saved.get(key)!r}; a resumed run keeps its configuration "
                             "(only --epochs may change)")
        config[key] = value
    if saved is not None and config["epochs"] != saved.get("epochs") \
            and config["schedule"] not in ("none", "plateau"):
        raise ValueError(f"--epochs cannot change when resuming a run with --schedule "
                         f"{config['schedule']}: its learning rates were laid out for "
                         f"{saved.get('epochs')} epochs (only --schedule none or plateau runs "
                         "can be extended)")
    _check_config(config)
    return config


def _check_config(config):
    hidden_sizes(config["hidden"])
    if config["epochs"] < 1:
        raise ValueError(f"--epochs must be at least 1, got {config['epochs']}")
    if config["batch_size"] < 1:
        raise ValueError(f"--batch-size must be at least 1, got {config['batch_size']}")
    if not 0 <= config["dropout"] < 1:
        raise ValueError(f"--dropout must be in [0, 1), got {config['dropout']}")
    if not 0 <= config["val_split"] < 1:
        raise ValueError(f"--val-split must be in [0, 1), got {config['val_split']}")
    if config["limit"] is not None and config["limit"] < 2:
        raise ValueError(f"--limit must be at least 2, got {config['limit']}")
    if config["lr"] is not None and config["lr"] <= 0:
        raise ValueError(f"--lr must be positive, got {config['lr']}")


def hidden_sizes(text):
    """``'256,128'`` -> ``[256, 128]``; ``''`` -> ``[]`` (a linear model)."""
    text = str(text).strip()
    if not text:
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--hidden must be comma-separated sizes such as 256,128, got "
                         f"{text!r}") from None
    if any(s < 1 for s in sizes):
        raise ValueError(f"--hidden sizes must be positive, got {text!r}")
    return sizes


def _print_config(config, args, device, resume_state, world=None):
    lr = config["lr"] if config["lr"] is not None else LEARNING_RATES[config["optimizer"]]
    data = args.data or os.environ.get("MINIDL_DATA") or "~/.cache/minidl"
    lines = [
        ("dataset", f"{config['dataset']} (data root {data})"),
        ("model", describe_model(config)),
        ("optimizer", f"{config['optimizer']}, lr {lr:g}, weight decay {config['weight_decay']:g}"
                      f", schedule {config['schedule']}"),
        ("training", f"{_plural(config['epochs'], 'epoch')}, batch {config['batch_size']}"
                     + (f" per rank x {world.size} ranks = {config['batch_size'] * world.size}"
                        if world is not None else "")
                     + f", validation split {config['val_split']:g}"
                     + (f", first {config['limit']} images" if config["limit"] else "")),
        ("run", f"seed {config['seed']}, device {device}, output {args.out}"
                + (", resuming" if resume_state is not None else "")),
    ]
    print("minidl train")
    for key, value in lines:
        print(f"  {key:<10} {value}")


def _silent(*args, **kwargs):
    pass


def describe_model(config):
    """One line saying what ``config``'s model is."""
    if config["model"] == "cnn":
        return ("CNN conv 32@3x3 -> relu -> maxpool 2 -> conv 64@3x3 -> relu -> maxpool 2 -> "
                "dropout 0.5 -> linear 1600 -> 10 (34,826 parameters)")
    if config["model"] != "mlp":
        return f"{config['model']} ({config['dataset']})"
    hidden = ", ".join(map(str, hidden_sizes(config["hidden"]))) or "none"
    return (f"MLP 784 -> [{hidden}] -> 10, {config['activation']}, dropout "
            f"{config['dropout']}, batchnorm {'on' if config['batchnorm'] else 'off'}")


def _holds_run(folder):
    return any(os.path.isfile(os.path.join(folder, name)) for name in (CHECKPOINT, METRICS))


def choose_out(args, config, resume_path=None):
    """``(folder, note or None)``: where this run writes, never over another run unasked.

    A resumed run continues in its own folder (unless ``--out`` names another). Without
    ``--out``, a new run takes ``runs/DATASET-MODEL`` or, when that holds a run, the next free
    ``-2``, ``-3``, … (the note says so). An explicit ``--out`` that holds another run is
    refused (ValueError) unless ``--overwrite``.
    """
    if resume_path is not None:
        own = os.path.dirname(os.path.abspath(resume_path))
        if args.out is None or os.path.abspath(args.out) == own:
            return (args.out or os.path.relpath(own)), None
    if args.out is not None:
        if _holds_run(args.out) and not args.overwrite:
            raise ValueError(f"--out {args.out} already holds a run ({CHECKPOINT} / {METRICS}); "
                             f"choose another --out, add --overwrite to replace it, or continue "
                             f"it with --resume {args.out}")
        return args.out, None
    default = os.path.join("runs", f"{config['dataset']}-{config['model']}")
    if not _holds_run(default):
        return default, None
    n = 2
    while _holds_run(f"{default}-{n}"):
        n += 1
    fresh = f"{default}-{n}"
    return fresh, (f"{default} holds an earlier run; this run goes to {fresh} "
                   "(--out DIR chooses the folder, --overwrite replaces a run)")


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _load_resume(path):
    import minidl as mdl
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT)
    if not os.path.isfile(path):
        print(f"minidl train: --resume {path}: no such checkpoint", file=sys.stderr)
        return None, path
    try:
        return mdl.load(path), path
    except ValueError as exc:
        print(f"minidl train: --resume: {exc}", file=sys.stderr)
        return None, path


# -- data, model, optimizer, schedule -----------------------------------------------------------
def load_data(config, root=None):
    """Normalised float32 inputs [N, 784] and int64 labels: train, validation, test."""
    module = dataset_module(config)
    images, labels = module.load("train", root=root)
    test_images, test_labels = module.load("test", root=root)
    if config["limit"]:
        images, labels = images[:config["limit"]], labels[:config["limit"]]
    preprocess = preprocessing_of(config)
    x = preprocess(images)
    x_test = preprocess(test_images)
    n_val = int(round(len(labels) * config["val_split"]))
    order = np.random.default_rng(config["seed"]).permutation(len(labels))
    val, train = order[:n_val], order[n_val:]
    return x[train], labels[train], x[val], labels[val], x_test, test_labels


def make_loader(x, y, batch_size, device, shuffle=False, seed=None, world=None):
    """A loader over (x, y); on an accelerator the whole set is uploaded once. Data-parallel
    (``world``): this rank's shard, reshuffled each epoch alike on every rank."""
    import minidl as mdl
    from minidl.data import DataLoader, DistributedSampler, TensorDataset
    if device != "cpu":
        x, y = mdl.tensor(x, device=device), mdl.tensor(y, device=device)
    dataset = TensorDataset(x, y)
    if world is not None:
        sampler = DistributedSampler(dataset, world.size, world.rank, shuffle=shuffle,
                                     seed=seed or 0)
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler, device=device)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed, device=device)


def dataset_module(config):
    from minidl.data import fashion_mnist, mnist
    return mnist if config["dataset"] == "mnist" else fashion_mnist


def preprocessing_of(config):
    """How stored pixels become this run's inputs: scaled, standardised, flattened."""
    from minidl.data import Standardize
    module = dataset_module(config)
    return Standardize(module.MEAN, module.STD, flatten=True)


def run_record_of(config):
    """What the checkpoint records so that the run can be used without this file's code."""
    from minidl.training.run import run_record
    module = dataset_module(config)
    classes = getattr(module, "CLASSES", None) or [str(i) for i in range(10)]
    return run_record(ARCHITECTURES[config["model"]](config), preprocessing_of(config),
                      dataset=config["dataset"], classes=classes, input_shape=(28, 28))


def build_model(config):
    from minidl import nn
    return nn.build_model(ARCHITECTURES[config["model"]](config))


def build_optimizer(config, model, world=None):
    """The configured optimizer over ``model``'s parameters; on several ranks its step is
    split over them (``ZeroRedundancyOptimizer``: the same numbers, 1/N of the work each)."""
    from minidl import optim
    name = config["optimizer"]
    lr = config["lr"] if config["lr"] is not None else LEARNING_RATES[name]
    wd = config["weight_decay"]
    if name in ("sgd", "momentum", "nesterov"):
        cls, options = optim.SGD, {"lr": lr, "momentum": 0.0 if name == "sgd" else 0.9,
                                   "weight_decay": wd, "nesterov": name == "nesterov"}
    elif name == "adamw" and config["weight_decay"] == 0.0:
        cls, options = optim.AdamW, {"lr": lr}  # AdamW's own default decay (1e-2)
    else:
        cls, options = optim.OPTIMIZERS[name], {"lr": lr, "weight_decay": wd}
    if world is not None and world.size > 1 and cls.flat_groups:
        from minidl.distributed import ZeroRedundancyOptimizer
        return ZeroRedundancyOptimizer(model.parameters(), cls, **options)
    return cls(model.parameters(), **options)


def build_scheduler(config, optimizer, steps_per_epoch):
    """``(scheduler or None, 'epoch' | 'batch')`` for ``config['schedule']``."""
    from minidl.optim import lr_scheduler
    name = config["schedule"]
    epochs = config["epochs"]
    if name == "none":
        return None, "epoch"
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), "epoch"
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch), "batch"
    if name == "onecycle":
        max_lr = optimizer.param_groups[0]["lr"]
        return lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr,
                                       total_steps=epochs * steps_per_epoch), "batch"
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.01 ** (1.0 / epochs)), "epoch"
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=2), "epoch"
    raise ValueError(f"unknown schedule {name!r}; choose from {SCHEDULES}")


# -- outputs --------------------------------------------------------------------------------
class SaveCheckpoint(Callback):
    """After every epoch: the trainer's whole state plus the run configuration, atomically."""

    def __init__(self, path, config, record):
        self.path = path
        self.config = config
        self.record = record
        self.written = False

    def on_epoch_end(self, trainer, epoch, logs):
        if not trainer.is_main_process:  # data-parallel: rank 0 writes
            return
        from minidl.serialization import save
        state = trainer.state_dict()
        if trainer.world is not None:  # the wrapped model's own keys (no "module."), so that
            state["model"] = trainer.model.module.state_dict()  # any run can load it
        state["config"] = self.config
        state.update(self.record)
        save(state, self.path)
        self.written = True
