"""`qnn train`: quantization-aware training into a run directory."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, console, int_list, parse_options, writes_run
from qnn.errors import QnnError


def register(app: typer.Typer) -> None:
    @app.command("train")
    @writes_run("run_dir")
    def train_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        dataset: str = typer.Option("mnist", help="mnist | kws"),
        model: str = typer.Option("tfc", help="tfc | sfc | lfc | mlp | cnn | kws-mlp | kws-cnn | kws-dscnn | logreg | perceptron"),
        activation: str = typer.Option("relu", help="relu | sigmoid | tanh | hardtanh | leaky-relu | elu | gelu | silu "
                                       "(at 1 bit: the bipolar sign)"),
        weight_bits: int = typer.Option(4, "-w", "--weight-bits", help="1..8, or 32 for a float model"),
        act_bits: int = typer.Option(4, "-a", "--act-bits", help="1..8, or 32 for a float model"),
        input_bits: int = typer.Option(8, help="input quantizer bits, 1..8 (1 = FINN's sign(2x - 1), bipolar)"),
        hidden: str = typer.Option(None, help="dense layer widths, e.g. 64,64 (overrides the preset)"),
        channels: str = typer.Option(None, help="conv channels, e.g. 16,32 (overrides the preset)"),
        batchnorm: bool = typer.Option(True, help="BatchNorm before each activation"),
        dropout: float = typer.Option(0.0, help="dropout after each hidden activation"),
        epochs: int = typer.Option(10),
        batch_size: int = typer.Option(128),
        lr: float = typer.Option(2e-3),
        optimizer: str = typer.Option("adam", help="adam | sgd"),
        schedule: str = typer.Option("cosine", help="cosine | step | none"),
        weight_decay: float = typer.Option(0.0),
        seed: int = typer.Option(0),
        val_fraction: float = typer.Option(0.1),
        augment_shift: int = typer.Option(0, help="random translation augmentation, pixels"),
        data_dir: Path = typer.Option(None, help="data folder (default: $QNN_DATA, else embedded data)"),
        data_option: list[str] = typer.Option([], "--data-option", help="dataset option KEY=VALUE (repeatable), "
                                               "e.g. mix_synthetic=true augment=2 for kws"),
        limit_train: int = typer.Option(None, help="train on the first N samples only"),
        float_baseline: bool = typer.Option(False, help="also train the float model of the same shape"),
        resume: bool = typer.Option(False, help="continue an interrupted run from its last checkpoint"),
        force: bool = typer.Option(False, help="retrain a run that already has a checkpoint"),
        threads: int = typer.Option(0, help="torch CPU threads (0 = all cores)"),
        quiet: bool = typer.Option(False, help="no progress bars"),
        spec_time_masks: int = typer.Option(0, help="SpecAugment: time masks per sample (online, per batch)"),
        spec_time_width: int = typer.Option(6, help="SpecAugment: max frames per time mask"),
        spec_freq_masks: int = typer.Option(0, help="SpecAugment: frequency (coefficient) masks per sample"),
        spec_freq_width: int = typer.Option(2, help="SpecAugment: max coefficients per frequency mask"),
        mixup: float = typer.Option(0.0, help="mixup Beta(alpha, alpha) (0 = off)"),
        label_smoothing: float = typer.Option(0.0),
        distill: Path = typer.Option(None, help="teacher run: distil its float model into this one (a run trained "
                                     "with --cv gives each fold its own teacher)"),
        distill_alpha: float = typer.Option(0.7, help="weight of the teacher's soft targets"),
        distill_temp: float = typer.Option(4.0, help="distillation temperature"),
        cv: int = typer.Option(0, help="k-fold cross-validation by speaker (kws): RUN/folds/fold_<i>, mean +- std "
                               "in RUN/cv.json"),
    ) -> None:
        """Train a quantized (Brevitas) model; checkpoints every epoch."""
        from qnn.data import load_dataset
        from qnn.models import spec_from_preset
        from qnn.models.spec import ModelSpec
        from qnn.run import Run
        from qnn.train import TrainConfig, train

        run = Run(run_dir)
        if resume:
            cfg_all = run.config
            spec = ModelSpec.from_dict(cfg_all["model"])
            cfg = TrainConfig(**cfg_all["train"])
            ds_cfg = cfg_all["dataset"]
            limit_train = cfg_all.get("limit_train")
            float_baseline = cfg_all.get("float_baseline", False)
        else:
            if run.checkpoint.is_file() and not force:
                raise QnnError(f"run {run_dir} already has a trained model: use --resume to continue it, --force "
                               "to retrain it, or another run directory")
            cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, schedule=schedule,
                              weight_decay=weight_decay, seed=seed, val_fraction=val_fraction,
                              augment_shift=augment_shift, threads=threads, spec_time_masks=spec_time_masks,
                              spec_time_width=spec_time_width, spec_freq_masks=spec_freq_masks,
                              spec_freq_width=spec_freq_width, mixup=mixup, label_smoothing=label_smoothing,
                              distill=str(distill) if distill else None, distill_alpha=distill_alpha,
                              distill_temp=distill_temp)
            ds_cfg = {"name": dataset, "data_dir": str(data_dir) if data_dir else None,
                      "options": parse_options(data_option)}
        if cv and not resume:
            return _train_cv(run_dir, cv, ds_cfg, cfg, model, hidden, channels, weight_bits, act_bits, input_bits,
                             batchnorm, dropout, activation, quiet)
        ds = load_dataset(ds_cfg["name"], "train", ds_cfg["data_dir"], **ds_cfg["options"]).subset(limit_train, seed)
        if not resume:
            spec = spec_from_preset(model, in_shape=ds.in_shape, num_classes=ds.num_classes,
                                    hidden=int_list(hidden, "hidden"), channels=int_list(channels, "channels"),
                                    weight_bits=weight_bits, act_bits=act_bits, input_bits=input_bits,
                                    batchnorm=batchnorm, dropout=dropout, activation=activation)
            run.write_config({"dataset": ds_cfg, "model": spec.to_dict(), "train": asdict(cfg),
                              "limit_train": limit_train, "float_baseline": float_baseline})
        console.print(f"[bold]{run_dir}[/]: {spec.tag} on {ds.source} ({len(ds)} samples), {cfg.epochs} epochs")
        _, hist = train(run, spec, cfg, ds, resume=resume, quiet=quiet)
        run.update_metrics(train=hist)
        if float_baseline and not spec.is_float:
            console.print("float baseline of the same shape:")
            _, fhist = train(run, spec.with_(weight_bits=32, act_bits=32), cfg, ds, resume=resume,
                             checkpoint_name="float_checkpoint.pt", quiet=quiet)
            run.update_metrics(train_float=fhist)
        console.print(f"trained: {run.checkpoint}")


def _train_cv(run_dir, k, ds_cfg, cfg, model, hidden, channels, weight_bits, act_bits, input_bits, batchnorm,
              dropout, activation, quiet) -> None:
    from qnn.models import spec_from_preset
    from qnn.train_cv import cross_validate

    def make_spec(ds):
        return spec_from_preset(model, in_shape=ds.in_shape, num_classes=ds.num_classes,
                                hidden=int_list(hidden, "hidden"), channels=int_list(channels, "channels"),
                                weight_bits=weight_bits, act_bits=act_bits, input_bits=input_bits,
                                batchnorm=batchnorm, dropout=dropout, activation=activation)

    s = cross_validate(run_dir, k, ds_cfg, make_spec, cfg, quiet=quiet, log=console.print)
    folds = ", ".join(f"{f['accuracy']:.2%}" for f in s["folds"])
    console.print(f"{k}-fold cross-validation by speaker: accuracy {s['mean']:.2%} +- {s['std']:.2%} (sample std "
                  f"over the folds {folds}); {run_dir}/cv.json")
