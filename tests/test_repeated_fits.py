"""Memory under repetition: many fits of new small models in one process, as a search runs them,
keep the peak resident memory flat after the first few (issue 12, point 5)."""

import os
import resource

import numpy as np
import pytest

from jeras import keras

FITS = int(os.environ.get("JERAS_REPEATED_FITS", "300"))


def _peak_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return peak / 1024


def _resident_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident size from Linux's /proc")
def test_hundreds_of_fits_of_new_models_keep_memory_flat(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = rng.integers(0, 3, 256)
    on_epoch_path = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    report = []
    for fit in range(1, FITS + 1):
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3, activation="softmax")]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        # Both paths of fit, evaluate and predict: each keeps its compiled programs, nothing more.
        callbacks = [on_epoch_path] if fit % 2 else []
        model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=0, callbacks=callbacks)
        model.evaluate(x, y, verbose=0)
        model.predict(x[:5], verbose=0)
        if fit % 50 == 0 or fit == 10:
            report.append((fit, _resident_mb(), _peak_mb()))
    with capsys.disabled():
        print("\nfits, resident MB, peak MB: " + "; ".join(f"{n}: {r:.0f}, {p:.0f}" for n, r, p in report))
    after_warmup = next(peak for n, _, peak in report if n == 50)
    assert report[-1][2] - after_warmup < 48, f"peak resident memory grew: {report}"
