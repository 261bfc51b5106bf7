"""Metrics: parity with Keras 3 over several batches, the pure API under jit and scan,
compile-time resolution, names and serialization."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from jeras import losses, metrics

BATCH_SIZES = (5, 3, 7)
C = 3


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def _batch(kind, n, rng):
    """Returns (y_true, y_pred) for one batch of `n` samples of a kind of problem."""
    f = np.float32
    if kind == "values":
        return rng.normal(size=(n, 3)).astype(f), None
    if kind == "regression":
        return rng.normal(size=(n, 3)).astype(f), rng.normal(size=(n, 3)).astype(f)
    if kind == "classes":
        return rng.integers(0, 3, (n, 3)).astype(f), rng.integers(0, 3, (n, 3)).astype(f)
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype(f), rng.uniform(size=(n, 1)).astype(f)
    if kind == "multilabel":
        return rng.integers(0, 2, (n, 3)).astype(f), rng.uniform(size=(n, 3)).astype(f)
    if kind == "multilabel_logits":
        return rng.integers(0, 2, (n, 3)).astype(f), rng.normal(scale=2.0, size=(n, 3)).astype(f)
    if kind == "onehot":
        return np.eye(C, dtype=f)[rng.integers(0, C, n)], _softmax(rng.normal(size=(n, C)))
    if kind == "sparse":
        return rng.integers(0, C, n).astype(np.int32), _softmax(rng.normal(size=(n, C)))
    if kind == "sparse_column":
        return rng.integers(0, C, (n, 1)).astype(f), _softmax(rng.normal(size=(n, C)))
    raise AssertionError(kind)


def _batches(kind, rng, weighted):
    out = []
    for n in BATCH_SIZES:
        y_true, y_pred = _batch(kind, n, rng)
        weights = rng.uniform(0, 2, n).astype(np.float32) if weighted else None
        out.append((y_true, y_pred, weights))
    return out


def _accumulate(metric, batches):
    for y_true, y_pred, weights in batches:
        args = (y_true,) if y_pred is None else (y_true, y_pred)
        metric.update_state(*args, sample_weight=weights)
    return np.asarray(metric.result())


# (id, factory taking the metrics module (jeras or Keras), data kind)
PARITY_CASES = [
    ("mean", lambda m: m.Mean(), "values"),
    ("sum", lambda m: m.Sum(), "values"),
    ("accuracy", lambda m: m.Accuracy(), "classes"),
    ("binary_accuracy", lambda m: m.BinaryAccuracy(), "binary"),
    ("binary_accuracy_multi", lambda m: m.BinaryAccuracy(threshold=0.3), "multilabel"),
    ("categorical_accuracy", lambda m: m.CategoricalAccuracy(), "onehot"),
    ("sparse_categorical_accuracy", lambda m: m.SparseCategoricalAccuracy(), "sparse"),
    ("sparse_categorical_accuracy_column", lambda m: m.SparseCategoricalAccuracy(), "sparse_column"),
    ("top_k", lambda m: m.TopKCategoricalAccuracy(k=2), "onehot"),
    ("sparse_top_k", lambda m: m.SparseTopKCategoricalAccuracy(k=2), "sparse"),
    ("sparse_top_k_column", lambda m: m.SparseTopKCategoricalAccuracy(k=1), "sparse_column"),
    ("mse", lambda m: m.MeanSquaredError(), "regression"),
    ("mae", lambda m: m.MeanAbsoluteError(), "regression"),
    ("rmse", lambda m: m.RootMeanSquaredError(), "regression"),
    ("precision", lambda m: m.Precision(), "multilabel"),
    ("precision_thresholds", lambda m: m.Precision(thresholds=[0.3, 0.6]), "multilabel"),
    ("precision_even_thresholds", lambda m: m.Precision(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0]), "multilabel"),
    ("precision_top_k", lambda m: m.Precision(top_k=2), "multilabel"),
    ("precision_class_id", lambda m: m.Precision(class_id=1), "multilabel"),
    ("precision_top_k_class_id", lambda m: m.Precision(top_k=1, class_id=2), "onehot"),
    ("recall", lambda m: m.Recall(), "binary"),
    ("recall_thresholds", lambda m: m.Recall(thresholds=[0.2, 0.9]), "multilabel"),
    ("recall_even_thresholds", lambda m: m.Recall(thresholds=[0.0, 0.5, 1.0]), "multilabel"),
    ("recall_top_k", lambda m: m.Recall(top_k=2), "onehot"),
    ("recall_class_id", lambda m: m.Recall(class_id=0), "multilabel"),
    ("auc", lambda m: m.AUC(), "binary"),
    ("auc_flattened", lambda m: m.AUC(num_thresholds=50), "multilabel"),
    ("auc_pr", lambda m: m.AUC(curve="PR"), "multilabel"),
    ("auc_pr_majoring", lambda m: m.AUC(curve="PR", summation_method="majoring"), "multilabel"),
    ("auc_roc_minoring", lambda m: m.AUC(summation_method="minoring"), "multilabel"),
    ("auc_roc_majoring", lambda m: m.AUC(summation_method="majoring"), "binary"),
    ("auc_multi_label", lambda m: m.AUC(num_thresholds=30, multi_label=True), "multilabel"),
    ("auc_multi_label_pr", lambda m: m.AUC(curve="PR", multi_label=True, num_labels=3), "multilabel"),
    ("auc_multi_label_weights", lambda m: m.AUC(multi_label=True, label_weights=[1.0, 0.0, 3.0]), "multilabel"),
    ("auc_label_weights", lambda m: m.AUC(label_weights=[0.5, 1.0, 2.0]), "multilabel"),
    ("auc_from_logits", lambda m: m.AUC(from_logits=True), "multilabel_logits"),
    ("auc_uneven_thresholds", lambda m: m.AUC(thresholds=[0.7, 0.2, 0.5]), "multilabel"),
    ("auc_even_thresholds", lambda m: m.AUC(thresholds=[0.25, 0.5, 0.75], curve="PR"), "multilabel"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("factory, kind", [c[1:] for c in PARITY_CASES], ids=[c[0] for c in PARITY_CASES])
def test_metric_matches_keras_over_batches(factory, kind, weighted, rng):
    batches = _batches(kind, rng, weighted)
    got = _accumulate(factory(metrics), batches)
    want = _accumulate(factory(keras.metrics), batches)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_mean_weights_each_element():
    # Values (2, 2) with per-sample weights: each element counts with its row's weight.
    m = metrics.Mean()
    m.update_state([[1.0, 3.0], [10.0, 20.0]], sample_weight=[1.0, 0.0])
    m.update_state([4.0], sample_weight=[2.0])
    np.testing.assert_allclose(m.result(), (1 + 3 + 2 * 4) / (1 + 1 + 2))
    assert float(metrics.Sum()([1.0, 2.0], sample_weight=[3.0, 0.5])) == 4.0


def test_wrapper_averages_samples_not_batch_means():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0], [[0.9, 0.1]])  # one sample, right
    m.update_state([0, 0, 0], [[0.1, 0.9]] * 3)  # three samples, wrong
    assert float(m.result()) == pytest.approx(0.25)  # a mean of batch means would be 0.5
    mse = metrics.MeanMetricWrapper(metrics.mean_squared_error, name="mse")
    mse.update_state([[0.0]], [[2.0]])
    mse.update_state([[0.0], [0.0], [0.0]], [[0.0], [0.0], [0.0]])
    assert float(mse.result()) == pytest.approx(1.0)


def test_hand_computed_confusion_metrics():
    y_true = [0, 1, 1, 0, 1]
    y_pred = [0.2, 0.7, 0.4, 0.6, 0.9]
    assert float(metrics.Precision()(y_true, y_pred)) == pytest.approx(2 / 3)
    assert float(metrics.Recall()(y_true, y_pred)) == pytest.approx(2 / 3)
    np.testing.assert_allclose(metrics.Recall(thresholds=[0.3, 0.8])(y_true, y_pred), [1.0, 1 / 3], rtol=1e-6)
    # ROC AUC with these scores: 5 of the 6 positive/negative pairs are ordered right.
    assert float(metrics.AUC(num_thresholds=1000)(y_true, y_pred)) == pytest.approx(5 / 6, abs=1e-3)


def test_metric_functions_give_per_sample_values():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]], np.float32)
    np.testing.assert_allclose(metrics.sparse_categorical_accuracy([1, 1], probs), [1.0, 0.0])
    np.testing.assert_allclose(metrics.sparse_categorical_accuracy([[1], [1]], probs), [[1.0], [0.0]])
    np.testing.assert_allclose(metrics.categorical_accuracy(np.eye(3)[[1, 1]], probs), [1.0, 0.0])
    np.testing.assert_allclose(metrics.sparse_top_k_categorical_accuracy([2, 1], probs, k=2), [1.0, 0.0])
    np.testing.assert_allclose(metrics.top_k_categorical_accuracy(np.eye(3)[[2, 1]], probs, k=2), [1.0, 0.0])
    np.testing.assert_allclose(metrics.binary_accuracy([[1.0, 0.0], [1.0, 1.0]], [[0.7, 0.6], [0.2, 0.9]]), [0.5, 0.5])
    np.testing.assert_allclose(metrics.accuracy([1, 2], [1, 3]), [1.0, 0.0])


def test_top_k_ties_at_the_boundary_count_as_in():
    np.testing.assert_allclose(metrics.sparse_top_k_categorical_accuracy([2], [[0.4, 0.3, 0.3]], k=2), [1.0])


def test_empty_metrics_give_zero():
    for metric in (metrics.Mean(), metrics.Accuracy(), metrics.Precision(), metrics.Recall(), metrics.AUC()):
        assert float(metric.result()) == 0.0
    assert float(metrics.RootMeanSquaredError().result()) == 0.0


# ---------------------------------------------------------------------------- pure API
PURE_CASES = [
    (lambda: metrics.SparseCategoricalAccuracy(), "sparse"),
    (lambda: metrics.BinaryAccuracy(), "binary"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), "onehot"),
    (lambda: metrics.RootMeanSquaredError(), "regression"),
    (lambda: metrics.Precision(thresholds=[0.3, 0.7]), "multilabel"),
    (lambda: metrics.Recall(top_k=1), "multilabel"),
    (lambda: metrics.AUC(curve="PR"), "multilabel"),
    (lambda: metrics.AUC(multi_label=True, num_labels=3), "multilabel"),
]


@pytest.mark.parametrize("factory, kind", PURE_CASES)
def test_pure_api_in_jit_and_scan_matches_facade(factory, kind, rng):
    batches = [_batch(kind, 6, rng) + (rng.uniform(0, 2, 6).astype(np.float32),) for _ in range(4)]
    facade = factory()
    for y_true, y_pred, weights in batches:
        facade.update_state(y_true, y_pred, sample_weight=weights)

    metric = factory()
    stacked = tuple(jnp.stack(parts) for parts in zip(*batches))

    def step(state, batch):
        return metric.update(state, *batch), None

    state, _ = jax.jit(lambda s, b: jax.lax.scan(step, s, b))(metric.init_state(), stacked)
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(state))
    np.testing.assert_allclose(jax.jit(metric.compute)(state), facade.result(), rtol=1e-6)

    jitted_update = jax.jit(metric.update)
    state = metric.init_state()
    for y_true, y_pred, weights in batches:
        state = jitted_update(state, y_true, y_pred, weights)
    np.testing.assert_allclose(metric.compute(state), facade.result(), rtol=1e-6)

    # The facade reads back a state computed elsewhere (the training loop writes it).
    metric.state = state
    np.testing.assert_allclose(metric.result(), facade.result(), rtol=1e-6)


def test_reset_state():
    metric = metrics.AUC()
    metric.update_state([0, 1, 1], [0.2, 0.9, 0.3])
    assert float(metric.result()) > 0
    metric.reset_state()
    assert float(metric.result()) == 0.0
    jax.tree_util.tree_map(np.testing.assert_array_equal, metric.state, metric.init_state())
    mean = metrics.Mean()
    mean.update_state([3.0])
    mean.reset_states()
    mean.update_state([1.0])
    assert float(mean.result()) == 1.0


def test_multi_label_auc_learns_num_labels_from_first_batch():
    metric = metrics.AUC(multi_label=True)
    with pytest.raises(ValueError, match="num_labels=None"):
        metric.init_state()
    metric.update_state(np.eye(3)[[0, 1, 2, 0]], np.eye(3)[[0, 1, 2, 0]] * 0.8)
    assert metric.num_labels == 3
    assert metric.state["true_positives"].shape == (200, 3)
    assert float(metric.result()) == pytest.approx(1.0)


# ---------------------------------------------------------------------------- compile resolution
@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((None,), (None, 10), metrics.sparse_categorical_accuracy),
        ((32,), (32, 10), metrics.sparse_categorical_accuracy),
        ((32, 1), (32, 10), metrics.sparse_categorical_accuracy),
        ((32, 10), (32, 10), metrics.categorical_accuracy),
        ((32, 1), (32, 1), metrics.binary_accuracy),
        ((32,), (32, 1), metrics.binary_accuracy),
        ((None, 5, 1), (None, 5, 1), metrics.binary_accuracy),
    ],
)
def test_accuracy_string_follows_output_shape(y_true_shape, y_pred_shape, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.resolve_compile_metric(name, y_true_shape=y_true_shape, y_pred_shape=y_pred_shape)
        assert isinstance(metric, metrics.MeanMetricWrapper)
        assert metric.fn is expected
        assert metric.name == name


def test_crossentropy_string_follows_output_shape():
    def resolve(t, p, name="crossentropy"):
        return metrics.resolve_compile_metric(name, y_true_shape=t, y_pred_shape=p)

    assert resolve((8,), (8, 1)).fn is losses.binary_crossentropy
    assert resolve((8,), (8, 3)).fn is losses.sparse_categorical_crossentropy
    assert resolve((8, 3), (8, 3), "ce").fn is losses.categorical_crossentropy
    assert resolve((8, 3), (8, 3), "ce").name == "ce"


def test_resolved_accuracy_computes_the_right_values(rng):
    labels = rng.integers(0, C, 9)
    probs = _softmax(rng.normal(size=(9, C)))
    metric = metrics.resolve_compile_metric("accuracy", y_true_shape=(9,), y_pred_shape=(9, C))
    want = np.mean(np.argmax(probs, axis=-1) == labels)
    np.testing.assert_allclose(metric(labels, probs), want, rtol=1e-6)


def test_resolve_other_identifiers():
    shapes = {"y_true_shape": (4, 1), "y_pred_shape": (4, 1)}
    mse = metrics.resolve_compile_metric("mse", **shapes)
    assert isinstance(mse, metrics.MeanMetricWrapper) and mse.name == "mse" and mse.fn is losses.mean_squared_error
    assert metrics.resolve_compile_metric("mean_absolute_error", **shapes).name == "mean_absolute_error"
    auc = metrics.resolve_compile_metric("AUC", **shapes)
    assert isinstance(auc, metrics.AUC) and auc.name == "auc"
    assert isinstance(metrics.resolve_compile_metric(metrics.Recall, **shapes), metrics.Recall)
    instance = metrics.Precision(name="p")
    assert metrics.resolve_compile_metric(instance, **shapes) is instance

    def my_metric(y_true, y_pred):
        return jnp.sum(y_pred - y_true, axis=-1)

    custom = metrics.resolve_compile_metric(my_metric, **shapes)
    assert custom.name == "my_metric" and custom.fn is my_metric

    multi = metrics.resolve_compile_metric(metrics.AUC(multi_label=True), y_true_shape=(4, 5), y_pred_shape=(4, 5))
    assert multi.num_labels == 5 and multi.init_state()["true_positives"].shape == (200, 5)


def test_resolve_losses_as_per_sample_metrics():
    shapes = {"y_true_shape": (4, 1), "y_pred_shape": (4, 1)}
    metric = metrics.resolve_compile_metric(losses.Huber(delta=0.5), **shapes)
    assert metric.name == "huber_loss"
    metric.update_state([[0.0]], [[2.0]])  # 0.5 * 2 - 0.125
    metric.update_state([[0.0]] * 3, [[0.0]] * 3)
    assert float(metric.result()) == pytest.approx(0.875 / 4)
    restored = metrics.deserialize(metrics.serialize(metric))
    assert restored.fn is losses.huber and restored.fn_kwargs == {"delta": 0.5}


def test_unknown_metrics_raise():
    with pytest.raises(ValueError, match="metrics='nope'"):
        metrics.get("nope")
    with pytest.raises(ValueError, match="metrics='nope'"):
        metrics.resolve_compile_metric("nope", y_true_shape=(2,), y_pred_shape=(2, 3))
    with pytest.raises(TypeError, match="metrics=1.5"):
        metrics.get(1.5)


# ---------------------------------------------------------------------------- names and lookup
def test_default_names():
    expected = {
        "Mean": "mean",
        "Sum": "sum",
        "Accuracy": "accuracy",
        "BinaryAccuracy": "binary_accuracy",
        "CategoricalAccuracy": "categorical_accuracy",
        "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
        "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
        "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
        "MeanSquaredError": "mean_squared_error",
        "MeanAbsoluteError": "mean_absolute_error",
        "RootMeanSquaredError": "root_mean_squared_error",
        "Precision": "precision",
        "Recall": "recall",
        "AUC": "auc",
    }
    for cls, name in expected.items():
        assert getattr(metrics, cls)().name == name


def test_unnamed_metrics_get_unique_names():
    assert [metrics.Precision().name, metrics.Precision().name, metrics.AUC().name] == [
        "precision",
        "precision_1",
        "auc",
    ]


def test_get_resolves_names_like_keras():
    assert metrics.get("accuracy") is metrics.accuracy
    assert metrics.get("acc") is metrics.accuracy
    assert metrics.get("mse") is losses.mean_squared_error
    assert metrics.get("MAE") is losses.mean_absolute_error
    assert metrics.get("sparse_categorical_accuracy") is metrics.sparse_categorical_accuracy
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("SparseCategoricalAccuracy"), metrics.SparseCategoricalAccuracy)
    assert metrics.get(None) is None
    metric = metrics.get({"class_name": "Precision", "config": {"thresholds": [0.2, 0.4], "name": "p"}})
    assert isinstance(metric, metrics.Precision) and metric.thresholds == [0.2, 0.4] and metric.name == "p"


# ---------------------------------------------------------------------------- serialization
ROUND_TRIP = [
    (lambda: metrics.Mean(name="m"), "values"),
    (lambda: metrics.Sum(), "values"),
    (lambda: metrics.Accuracy(), "classes"),
    (lambda: metrics.BinaryAccuracy(threshold=0.3), "binary"),
    (lambda: metrics.CategoricalAccuracy(), "onehot"),
    (lambda: metrics.SparseCategoricalAccuracy(name="sca"), "sparse"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), "onehot"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=3), "sparse"),
    (lambda: metrics.MeanSquaredError(), "regression"),
    (lambda: metrics.MeanAbsoluteError(), "regression"),
    (lambda: metrics.RootMeanSquaredError(), "regression"),
    (lambda: metrics.MeanMetricWrapper(metrics.binary_accuracy, name="w", threshold=0.2), "binary"),
    (lambda: metrics.Precision(thresholds=[0.2, 0.7], class_id=1), "multilabel"),
    (lambda: metrics.Recall(top_k=2), "multilabel"),
    (lambda: metrics.AUC(num_thresholds=20, curve="PR", summation_method="minoring"), "multilabel"),
    (lambda: metrics.AUC(thresholds=[0.1, 0.5], multi_label=True, num_labels=3, label_weights=[1, 2, 3]), "multilabel"),
]


@pytest.mark.parametrize("factory, kind", ROUND_TRIP)
def test_config_round_trip(factory, kind, rng):
    metric = factory()
    config = metric.get_config()
    restored = type(metric).from_config(config)
    assert restored.get_config() == config
    deserialized = metrics.deserialize(metrics.serialize(metric))
    assert type(deserialized) is type(metric) and deserialized.get_config() == config
    for _ in range(2):
        y_true, y_pred = _batch(kind, 5, rng)
        args = (y_true,) if y_pred is None else (y_true, y_pred)
        metric.update_state(*args)
        restored.update_state(*args)
    np.testing.assert_allclose(restored.result(), metric.result())


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"thresholds=\[1.5\]"):
        metrics.Precision(thresholds=[1.5])
    with pytest.raises(ValueError, match="curve='XY'"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation_method='left'"):
        metrics.AUC(summation_method="left")
    with pytest.raises(ValueError, match="num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="num_labels=3"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="label_weights"):
        metrics.AUC(label_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match=r"y_pred.shape=\(3,\)"):
        metrics.Precision(class_id=1).update_state([0, 1, 0], [0.2, 0.3, 0.9])
    with pytest.raises(ValueError, match=r"y_true.shape=\(2, 3\)"):
        metrics.SparseCategoricalAccuracy().update_state(np.eye(3)[:2], np.eye(3)[:2])
    with pytest.raises(ValueError, match=r"sample_weight.shape=\(3,\)"):
        metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="fn='mse'"):
        metrics.MeanMetricWrapper("mse")
