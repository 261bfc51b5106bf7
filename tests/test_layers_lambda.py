"""Lambda: calling, shapes, arguments and training flags, the tf.keras 2 config format (names
for module functions, bytecode for lambdas), safe-mode refusal of bytecode, and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import keras as jk
from jeras import layers


def scale_by(x, factor=2.0):
    return x * factor


def test_calls_the_function_with_arguments(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(layers.Lambda(lambda v: v**2)(x), x**2, rtol=1e-6)
    np.testing.assert_allclose(layers.Lambda(scale_by, arguments={"factor": 3.0})(x), 3 * x, rtol=1e-6)
    assert layers.Lambda(lambda v: v[:, :2])(x).shape == (3, 2)


def test_function_gets_training_when_it_accepts_it(rng):
    layer = layers.Lambda(lambda v, training=None: v + (1.0 if training else 0.0))
    x = np.zeros((1, 2), np.float32)
    np.testing.assert_array_equal(layer(x), [[0.0, 0.0]])
    np.testing.assert_array_equal(layer(x, training=True), [[1.0, 1.0]])


def test_shapes_symbolic_and_declared():
    out = layers.Lambda(lambda v: jnp.concatenate([v, v], axis=-1))(layers.Input(shape=(None, 3)))
    assert out.shape == (None, None, 6)
    assert layers.Lambda(lambda v: v[:, :2]).compute_output_shape((None, 5)) == (None, 2)
    assert layers.Lambda(lambda v: v, output_shape=(7,)).compute_output_shape((4, 7)) == (4, 7)
    assert layers.Lambda(lambda v: v, output_shape=lambda s: (s[0], 1)).compute_output_shape((4, 7)) == (4, 1)


def test_lambda_in_a_fitted_model(rng):
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = (2 * x.sum(1, keepdims=True)).astype(np.float32)
    model = jk.Sequential([jk.layers.Lambda(lambda v: v * 2.0, input_shape=[3]), jk.layers.Dense(1)])
    model.compile(optimizer=jk.optimizers.SGD(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(model.predict(x, verbose=0), model.layers[1](2 * x), rtol=1e-5)


# ---------------------------------------------------------------------------- configs
def test_named_functions_are_saved_by_name(rng):
    layer = layers.Lambda(scale_by, arguments={"factor": 0.5}, name="half")
    config = layer.get_config()
    assert config["function"] == "scale_by" and config["function_type"] == "function"
    assert config["module"] == __name__ and config["arguments"] == {"factor": 0.5}
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.function is scale_by and clone.get_config() == config
    jnp_layer = layers.deserialize(layers.serialize(layers.Lambda(jnp.tanh)))
    assert jnp_layer.function is jnp.tanh


def test_named_functions_resolve_through_custom_objects():
    def local_double(v):
        return 2 * v

    config = layers.serialize(layers.Lambda(scale_by))
    config["config"]["module"] = "not_imported_anywhere"
    with pytest.raises(ValueError, match="pass it in custom_objects. Received: function='scale_by'"):
        layers.deserialize(config)
    assert layers.deserialize(config, custom_objects={"scale_by": local_double}).function is local_double


def test_lambdas_are_saved_as_bytecode_and_refused_in_safe_mode(rng):
    offset = 1.5
    layer = layers.Lambda(lambda v, k=3.0: jnp.tanh(v) * k + offset, output_shape=(4,))
    config = layer.get_config()
    assert config["function_type"] == "lambda" and config["module"] == __name__
    code, defaults, closure = config["function"]
    assert isinstance(code, str) and defaults == [3.0] and closure == [1.5]
    assert (config["output_shape"], config["output_shape_type"]) == ([4], "raw")
    with pytest.raises(ValueError, match="refused in safe mode.*Received: function_type='lambda'"):
        layers.deserialize(layers.serialize(layer))
    with pytest.raises(ValueError, match="refused in safe mode"):
        layers.Lambda.from_config(config)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    with layers.safe_mode_scope(False):
        assert not layers.in_safe_mode()
        clone = layers.deserialize(layers.serialize(layer))
    assert layers.in_safe_mode()
    np.testing.assert_allclose(clone(x), layer(x), rtol=1e-6)
    np.testing.assert_allclose(layers.Lambda.from_config(config, safe_mode=False)(x), layer(x), rtol=1e-6)
    assert clone.get_config()["function"][1:] == config["function"][1:]


def test_tf_keras2_bytecode_layout_loads():
    # tf.keras 2 wrote base64 with line breaks every 76 characters and tuples for defaults.
    import base64
    import marshal

    func = lambda v, a=2.0: v * a  # noqa: E731
    raw = base64.encodebytes(marshal.dumps(func.__code__)).decode("ascii")
    config = {
        "name": "l",
        "function": (raw, (5.0,), None),
        "function_type": "lambda",
        "module": __name__,
        "output_shape": None,
        "output_shape_type": "raw",
        "output_shape_module": None,
        "arguments": {},
    }
    layer = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_array_equal(layer(np.ones((1, 2), np.float32)), [[5.0, 5.0]])


def test_unreadable_bytecode_is_a_clear_error():
    config = layers.Lambda(lambda v: v).get_config()
    config["function"][0] = "bm90IGJ5dGVjb2Rl"
    with pytest.raises(ValueError, match="another Python version"):
        layers.Lambda.from_config(config, safe_mode=False)


def test_callable_objects_cannot_be_serialized():
    class Doubler:
        def __call__(self, v):
            return 2 * v

    layer = layers.Lambda(Doubler())
    np.testing.assert_array_equal(layer(np.ones((1, 1), np.float32)), [[2.0]])
    with pytest.raises(TypeError, match="callable object has no name to save. Received: function="):
        layer.get_config()


# ---------------------------------------------------------------------------- errors
def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="Received: function=3"):
        layers.Lambda(3)
    with pytest.raises(TypeError, match="Received: arguments=\\[1\\]"):
        layers.Lambda(scale_by, arguments=[1])
    with pytest.raises(ValueError, match="Received: output_shape="):
        layers.Lambda(scale_by, output_shape=(0, 2))


# ---------------------------------------------------------------------------- jit and gradients
def test_grads_under_jit(rng):
    layer = layers.Lambda(lambda v, p=3.0: jnp.sin(v) * p)
    x = jnp.asarray(rng.standard_normal((2, 3)).astype(np.float32))
    grad = jax.jit(jax.grad(lambda v: jnp.sum(layer(v))))(x)
    np.testing.assert_allclose(grad, 3.0 * np.cos(np.asarray(x)), rtol=1e-5)
