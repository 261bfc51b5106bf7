"""Mixed precision (jeras.mixed_precision, jeras.loss_scale): parity with Keras 3's mixed policies
within bfloat16/float16 tolerance, float32 weights and losses, dynamic loss scaling."""

import jax
import jax.numpy as jnp
import keras as keras3
import numpy as np
import pytest

from jeras import keras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 10)).astype("float32")
Y = RNG.integers(0, 3, 256)


@pytest.fixture
def policy():
    def use(name):
        keras.mixed_precision.set_global_policy(name)
        keras3.mixed_precision.set_global_policy(name)

    yield use
    keras.mixed_precision.set_global_policy(None)
    keras3.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name, rtol", [("mixed_bfloat16", 3e-2), ("mixed_float16", 3e-3)])
def test_mixed_policies_match_keras3(policy, name, rtol):
    policy(name)
    ours = keras.Sequential(
        [
            keras.layers.Dense(32, activation="relu", input_shape=[10]),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3),
            keras.layers.Activation("softmax", dtype="float32"),
        ]
    )
    theirs = keras3.Sequential(
        [
            keras3.Input((10,)),
            keras3.layers.Dense(32, activation="relu"),
            keras3.layers.BatchNormalization(),
            keras3.layers.Dense(3),
            keras3.layers.Activation("softmax", dtype="float32"),
        ]
    )
    theirs.set_weights(ours.get_weights())
    compute = name.split("_")[1]
    assert [layer.compute_dtype for layer in ours.layers] == [compute] * 3 + ["float32"]
    assert all(w.dtype == np.float32 for w in ours.get_weights())  # weights stay float32
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=rtol, atol=rtol / 10)
    for model in (ours, theirs):
        model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__  # LossScaleOptimizer for float16
    mine = ours.fit(X, Y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    expected = theirs.fit(X, Y, epochs=3, batch_size=32, shuffle=False, verbose=0).history
    np.testing.assert_allclose(mine["loss"], expected["loss"], rtol=rtol)
    assert all(w.dtype == np.float32 for w in ours.get_weights())


def test_a_layer_dtype_policy_and_its_config(policy):
    layer = keras.layers.Dense(4, dtype="mixed_bfloat16")
    out = layer(np.ones((2, 3), "float32"))
    assert out.dtype == jnp.bfloat16 and layer.kernel.dtype == jnp.float32 and layer.dtype == "float32"
    assert layer.get_config()["dtype"] == "mixed_bfloat16"
    assert keras.layers.Dense.from_config(layer.get_config()).compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ValueError, match="Unknown dtype policy 'mixed_float8'"):
        keras.mixed_precision.set_global_policy("mixed_float8")


def test_loss_scaling_skips_overflowing_steps_and_adapts_the_scale():
    opt = keras.mixed_precision.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0, dynamic_growth_steps=2)
    params = [jnp.ones(2)]
    state = opt.init(params)
    assert float(opt.scale_loss(jnp.asarray(1.5), state)) == 12.0
    grads = [jnp.asarray([8.0, 16.0])]  # scaled by 8: the true gradients are [1, 2]
    params1, state = opt.update(grads, state, params)
    np.testing.assert_allclose(params1[0], [0.9, 0.8], rtol=1e-6)
    assert float(state.scale) == 8.0 and int(state.good_steps) == 1
    params2, state = opt.update([jnp.asarray([jnp.inf, 1.0])], state, params1)
    np.testing.assert_array_equal(params2[0], params1[0])  # skipped
    assert float(state.scale) == 4.0 and int(state.good_steps) == 0
    for _ in range(2):
        params2, state = opt.update([jnp.asarray([4.0, 4.0])], state, params2)
    assert float(state.scale) == 8.0  # doubled after 2 finite steps
    with pytest.raises(ValueError, match="initial_scale must be a positive number"):
        keras.mixed_precision.LossScaleOptimizer("sgd", initial_scale=0)


def test_float16_training_saves_and_loads(policy, tmp_path):
    policy("mixed_float16")
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=[10]), keras.layers.Dense(3)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    model.fit(X, Y, epochs=2, verbose=0)
    assert model.optimizer.loss_scale > 1 and model.optimizer.iterations == 16
    path = tmp_path / "m.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored.optimizer).__name__ == "LossScaleOptimizer"
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    restored.fit(X, Y, epochs=1, verbose=0)
    assert jax.tree_util.tree_leaves(restored.get_weights())[0].dtype == np.float32
