"""`TensorBoard`: write training logs as TensorBoard event files, without TensorFlow.

The files are written with tensorboardX in the layout tf.keras uses, so `tensorboard
--logdir logs` shows jeras runs as it shows tf.keras ones: `<log_dir>/train` holds the
`epoch_*` (and `batch_*`) scalars, weight histograms and images, the model graph and the
embedding projector; `<log_dir>/validation` holds the validation scalars.
"""

from __future__ import annotations

import errno
import os
import time
import warnings
from typing import Any

import jax
import numpy as np

from jeras.callbacks.callback import Callback

_TRAIN, _VALIDATION = "train", "validation"


def _check_update_freq(update_freq: Any) -> int | None:
    """None for "epoch", otherwise the batch interval."""
    if update_freq == "epoch":
        return None
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1:
        raise ValueError(
            f"update_freq must be 'epoch', 'batch' or a positive integer. Received: update_freq={update_freq!r}"
        )
    return update_freq


def _check_profile_batch(profile_batch: Any) -> tuple[int, int] | None:
    """None when profiling is off, else the first and last batch to profile (1-based, inclusive)."""
    value = profile_batch
    if isinstance(value, str):
        try:
            value = tuple(int(part) for part in value.split(","))
        except ValueError:
            value = None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
        and (tuple(value) == (0, 0) or 0 < value[0] <= value[1])
    )
    if not ok:
        raise ValueError(
            "profile_batch must be 0 (off), a positive integer, or a pair (start, stop) of positive integers "
            f"with start <= stop, given as a tuple or a 'start,stop' string. Received: profile_batch={profile_batch!r}"
        )
    return None if value[0] == 0 else (int(value[0]), int(value[1]))


def _all_layers(model) -> list:
    found, stack = [], list(getattr(model, "_sublayers", []))
    while stack:
        layer = stack.pop(0)
        found.append(layer)
        stack[:0] = list(getattr(layer, "_sublayers", []))
    return found


def _as_image(weight: np.ndarray) -> np.ndarray | None:
    """A weight as a one-channel `[1, height, width]` image scaled to [0, 1], or None for other ranks.

    Vectors become one row; matrices are shown with the longer side horizontal, as tf.keras
    does; convolution kernels `[..., in, out]` are tiled with one `in x out` block per
    spatial position. Values are min-max scaled (tf.keras clips them to [0, 1] instead).
    """
    if weight.ndim == 1:
        image = weight[None, :]
    elif weight.ndim == 2:
        image = weight.T if weight.shape[0] > weight.shape[1] else weight
    elif weight.ndim >= 3:
        image = weight.reshape(-1, weight.shape[-1])
    else:
        return None
    image = image.astype(np.float32)
    low, high = float(image.min()), float(image.max())
    image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return image[None]


class TensorBoard(Callback):
    """Writes TensorBoard logs: metrics, weight histograms and images, the model graph, embeddings.

    Epoch scalars go to `<log_dir>/train` as `epoch_<name>` (including `epoch_learning_rate`)
    and validation ones, without their `val_` prefix, to `<log_dir>/validation`, with the
    epoch as the step; the validation writer also gets `evaluation_<name>_vs_iterations`
    with the optimizer's step count. With `update_freq` "batch" or N, `batch_<name>` scalars
    are written every N batches at the global batch number (the optimizer's step count).

    Args:
        log_dir: the directory of the logs. Default "logs".
        histogram_freq: write histograms of every weight each this many epochs (0: never). Default 0.
        write_graph: write the model's architecture (its `to_json()`), which TensorBoard's
            Graphs tab draws for Sequential and functional models. Default True.
        write_images: with `histogram_freq`, also write each weight as an image. Needs Pillow. Default False.
        write_steps_per_second: also write `epoch_steps_per_second` (and `batch_steps_per_second`). Default False.
        update_freq: "epoch", "batch" or an integer number of batches. Default "epoch".
        profile_batch: profile these batches with `jax.profiler` into `<log_dir>/train/plugins/profile`
            (TensorBoard's Profile tab): 0 for off, a batch number, or `(start, stop)` (1-based,
            counted from the start of `fit`). Batches run in compiled chunks, so the trace holds
            whole chunks: from the chunk boundary before batch `start` (the start of training
            for batch 1, compilation included; the next boundary when the first chunk already
            ran `start`) to the end of the chunk that runs batch `stop`. Default 0.
        embeddings_freq: write the weights of layers with an `embeddings` weight for the
            Projector tab each this many epochs (0: never). Default 0.
        embeddings_metadata: a file of labels (one per line; a header line and tab-separated
            columns for several) for all embedding layers, or a dict of such files by layer name.
            Default None.

    Example:

        >>> tensorboard = TensorBoard(log_dir="logs/run1", histogram_freq=1)
        >>> model.fit(x, y, epochs=5, callbacks=[tensorboard])  # doctest: +SKIP
    """

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int | str | tuple[int, int] = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | dict[str, str] | None = None,
    ):
        super().__init__()
        for name, value in (("histogram_freq", histogram_freq), ("embeddings_freq", embeddings_freq)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer. Received: {name}={value!r}")
        if write_images:
            try:
                import PIL  # noqa: F401
            except ImportError as err:
                raise ImportError(
                    "TensorBoard(write_images=True) encodes images with Pillow: pip install pillow. "
                    "Received: write_images=True"
                ) from err
        if not isinstance(log_dir, (str, os.PathLike)) or not os.fspath(log_dir):
            raise TypeError(f"log_dir must be a non-empty directory path. Received: log_dir={log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._batch_every = _check_update_freq(update_freq)
        self._profile = _check_profile_batch(profile_batch)
        self._writers: dict[str, Any] = {}
        if self._batch_every is not None or self._profile is not None:
            # Only then does this callback need every batch's logs (an instance hook, so that
            # `fit` does not collect them for epoch-level logging).
            self.on_train_batch_end = self._on_train_batch_end

    # ------------------------------------------------------------------ writers
    def _writer(self, name: str):
        if name not in self._writers:
            from tensorboardX import SummaryWriter

            self._writers[name] = SummaryWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None) -> None:
        from jeras.saving.atomic import check_writable

        self._close()
        if os.path.exists(self.log_dir) and not os.path.isdir(self.log_dir):
            raise NotADirectoryError(
                errno.ENOTDIR,
                f"TensorBoard cannot write logs into '{self.log_dir}': it is a file. Received: log_dir={self.log_dir!r}",
            )
        check_writable(os.path.join(self.log_dir, _TRAIN, "events"), argument="log_dir", received=self.log_dir)
        self._step_base: int | None = None
        self._batches = 0
        self._tracing = False
        self._profiled = False
        self._last_chunk_end = 0
        self._epoch_start = time.perf_counter()
        self._batch_time = time.perf_counter()
        self._writer(_TRAIN)
        if self.write_graph:
            self._write_model_graph()
        if self.embeddings_freq and not self._embedding_layers():
            warnings.warn(
                f"TensorBoard(embeddings_freq={self.embeddings_freq}) found no layer with an `embeddings` weight "
                f"in model '{self.model.name}': nothing will be written for the Projector.",
                UserWarning,
                stacklevel=2,
            )

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if self._step_base is None:
            self._step_base = self.model.optimizer.iterations
            if self._profile is not None and not self._profiled and self._profile[0] == 1:
                self._start_trace()
        self._epoch_start = time.perf_counter()

    def _on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batches += 1
        logs = logs or {}
        if self._profile is not None and not self._profiled:
            self._maybe_profile()
        if self._batch_every is None:
            return
        step = self._step_base + self._batches
        if step % self._batch_every:
            return
        writer = self._writer(_TRAIN)
        for name, value in logs.items():
            writer.add_scalar(f"batch_{name}", float(value), step)
        if self.write_steps_per_second:
            now = time.perf_counter()
            writer.add_scalar("batch_steps_per_second", self._batch_every / max(now - self._batch_time, 1e-12), step)
            self._batch_time = now

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[len("val_") :]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = self.model.optimizer
        train.setdefault("learning_rate", optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start, 1e-12)
            train["steps_per_second"] = (self.params.get("steps") or 0) / elapsed
        writer = self._writer(_TRAIN)
        for name, value in train.items():
            writer.add_scalar(f"epoch_{name}", float(value), epoch)
        if validation:
            val_writer = self._writer(_VALIDATION)
            iterations = optimizer.iterations
            for name, value in validation.items():
                val_writer.add_scalar(f"epoch_{name}", float(value), epoch)
                val_writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), iterations)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings(epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None) -> None:
        if self._tracing:
            self._stop_trace()
        self._close()

    # ------------------------------------------------------------------ profiling
    def _maybe_profile(self) -> None:
        """Starts or stops the trace at the end of a compiled chunk.

        The batch hooks of a chunk are replayed after it ran, and the optimizer's step count
        then tells where the chunk ended. The trace starts at the chunk end after which the
        next chunk reaches batch `start` (or at once, when that chunk has already run) and stops
        at the first chunk end at or after batch `stop`.
        """
        start, stop = self._profile
        done = self.model.optimizer.iterations - self._step_base
        if self._batches != done:  # Not the last batch of its chunk.
            return
        chunk, self._last_chunk_end = done - self._last_chunk_end, done
        if self._tracing:
            if done >= stop:
                self._stop_trace()
        elif done + chunk >= start:
            self._start_trace()

    def _start_trace(self) -> None:
        jax.profiler.start_trace(os.path.join(self.log_dir, _TRAIN))
        self._tracing = True

    def _stop_trace(self) -> None:
        jax.profiler.stop_trace()
        self._tracing = False
        self._profiled = True

    # ------------------------------------------------------------------ weights, graph, embeddings
    def _write_weights(self, epoch: int) -> None:
        writer = self._writer(_TRAIN)
        for variable in self.model.weights:
            # tf.keras 2.x names a histogram after the TensorFlow variable: "dense/kernel_0".
            tag = f"{variable.path}_0"
            values = np.asarray(variable.numpy())
            writer.add_histogram(tag, values, epoch)
            if self.write_images:
                image = _as_image(values)
                if image is not None:
                    writer.add_image(f"{tag}/image", image, epoch, dataformats="CHW")

    def _write_model_graph(self) -> None:
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto
        from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

        try:
            if "layers" not in self.model.get_config():
                return  # A subclassed model's architecture is its Python code: there is no graph to draw.
            config = self.model.to_json()
        except (NotImplementedError, TypeError, ValueError) as err:
            warnings.warn(f"TensorBoard could not write the model graph: {err}", UserWarning, stacklevel=3)
            return
        # The Graphs plugin draws summaries tagged "keras" of the plugin "graph_keras_model".
        metadata = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
        )
        tensor = TensorProto(dtype="DT_STRING", string_val=[config.encode("utf-8")], tensor_shape=TensorShapeProto())
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        self._writer(_TRAIN).file_writer.add_summary(summary, global_step=0)

    def _embedding_layers(self) -> list:
        return [layer for layer in _all_layers(self.model) if getattr(layer, "embeddings", None) is not None]

    def _metadata_for(self, layer_name: str) -> tuple[list | None, list | None]:
        path = self.embeddings_metadata
        if isinstance(path, dict):
            path = path.get(layer_name)
        if path is None:
            return None, None
        full = path if os.path.isabs(path) else os.path.join(self.log_dir, path)
        with open(full, encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        if lines and "\t" in lines[0]:
            return [line.split("\t") for line in lines[1:]], lines[0].split("\t")
        return lines, None

    def _write_embeddings(self, epoch: int) -> None:
        writer = self._writer(_TRAIN)
        for layer in self._embedding_layers():
            matrix = np.asarray(layer.embeddings.numpy())
            metadata, header = self._metadata_for(layer.name)
            writer.add_embedding(matrix, metadata=metadata, metadata_header=header, global_step=epoch, tag=layer.name)

    def get_config(self) -> dict[str, Any]:
        return {
            "log_dir": self.log_dir,
            "histogram_freq": self.histogram_freq,
            "write_graph": self.write_graph,
            "write_images": self.write_images,
            "write_steps_per_second": self.write_steps_per_second,
            "update_freq": self.update_freq,
            "profile_batch": self.profile_batch,
            "embeddings_freq": self.embeddings_freq,
            "embeddings_metadata": self.embeddings_metadata,
        }
