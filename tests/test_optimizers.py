"""Optimizers and schedules: parity with Keras 3 (JAX backend), compiled use, API and errors."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from jeras import optimizers, schedules
from jeras.backend import Variable

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion"]


def _problem(steps: int = 5):
    """Two weights away from zero and gradients of two scales (1 and 1e-3, so epsilon
    placement matters), with one gradient column always zero."""
    rng = np.random.default_rng(0)
    weights = [rng.uniform(2, 3, (3, 4)).astype("float32"), rng.uniform(-3, -2, (4,)).astype("float32")]
    grads = []
    for _ in range(steps):
        big = rng.normal(size=(3, 4)).astype("float32")
        big[:, 0] = 0.0
        grads.append([big, (1e-3 * rng.normal(size=(4,))).astype("float32")])
    return weights, grads


def _make(library, name, kwargs):
    """Builds optimizer `name` from `library`; a `("Schedule", args, kwargs)` learning rate becomes that schedule."""
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), tuple):
        schedule, args, schedule_kwargs = kwargs["learning_rate"]
        module = schedules if library is optimizers else keras.optimizers.schedules
        kwargs["learning_rate"] = getattr(module, schedule)(*args, **schedule_kwargs)
    return getattr(library, name)(**kwargs)


def _train_keras(optimizer, weights, grads, *, lr_changes=None):
    variables = [keras.Variable(w) for w in weights]
    for step, g in enumerate(grads):
        if lr_changes and step in lr_changes:
            optimizer.learning_rate = lr_changes[step]
        optimizer.apply_gradients(zip(g, variables))
    return [np.asarray(v) for v in variables]


def _train_jeras(optimizer, weights, grads, *, lr_changes=None):
    params = [jnp.asarray(w) for w in weights]
    state = optimizer.init(params)
    update = jax.jit(optimizer.update)
    for step, g in enumerate(grads):
        if lr_changes and step in lr_changes:
            optimizer.learning_rate = lr_changes[step]
        params, state = update(g, optimizer.with_current_hyperparams(state), params)
    return [np.asarray(p) for p in params]


PARITY_CASES = [
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("SGD", {"learning_rate": ("ExponentialDecay", (0.1, 1, 0.5), {}), "momentum": 0.9}),
    ("Adam", {"learning_rate": 0.1}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.1, "global_clipnorm": 0.5}),
    ("Adam", {"learning_rate": ("CosineDecay", (0.01, 3), {"warmup_target": 0.1, "warmup_steps": 2})}),
    ("AdamW", {"learning_rate": 0.1}),
    ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {"learning_rate": 0.1}),
    ("RMSprop", {"learning_rate": 0.1, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.1, "centered": True}),
    ("RMSprop", {"learning_rate": ("InverseTimeDecay", (0.1, 1, 0.5), {}), "momentum": 0.5, "centered": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "clipnorm": 0.5}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5, "weight_decay": 0.05}),
    ("Adamax", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": ("PiecewiseConstantDecay", ([1, 3], [0.1, 0.05, 0.01]), {}), "global_clipnorm": 1.0}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "kwargs"), PARITY_CASES, ids=[f"{n}-{k}" for n, k in PARITY_CASES])
def test_updates_match_keras(name, kwargs):
    weights, grads = _problem()
    expected = _train_keras(_make(keras.optimizers, name, kwargs), weights, grads)
    got = _train_jeras(_make(optimizers, name, kwargs), weights, grads)
    assert np.abs(expected[0] - weights[0]).max() > 5e-3  # the steps are large enough to tell rules apart
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["SGD", "RMSprop"])
def test_learning_rate_set_between_steps_matches_keras(name):
    # Keras folds the rate into the momentum buffer, so a change shows in later steps.
    weights, grads = _problem()
    kwargs = {"learning_rate": 0.1, "momentum": 0.9}
    changes = {2: 0.01, 4: 0.2}
    expected = _train_keras(_make(keras.optimizers, name, kwargs), weights, grads, lr_changes=changes)
    got = _train_jeras(_make(optimizers, name, kwargs), weights, grads, lr_changes=changes)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


def test_apply_gradients_on_variables_matches_keras():
    weights, grads = _problem(steps=3)
    keras_opt = keras.optimizers.AdamW(learning_rate=0.1)
    expected = _train_keras(keras_opt, weights, grads)
    opt = optimizers.AdamW(learning_rate=0.1)
    variables = [Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    for step, g in enumerate(grads):
        pairs = list(zip(g, variables))
        opt.apply_gradients(pairs if step % 2 == 0 else pairs[::-1])  # order does not matter
        assert opt.iterations == step + 1
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-5, atol=1e-7)


def test_apply_gradients_applies_constraints_and_checks_variables():
    variable = Variable(np.ones(3, "float32"), name="w", constraint=lambda w: jnp.clip(w, 0.0, 0.95))
    opt = optimizers.SGD(learning_rate=0.1)
    opt.apply_gradients([(np.array([1.0, -1.0, 2.0], "float32"), variable)])
    np.testing.assert_allclose(variable.numpy(), [0.9, 0.95, 0.8], rtol=1e-6)
    stranger = Variable(np.ones(3, "float32"), name="other")
    with pytest.raises(ValueError, match="variables="):
        opt.apply_gradients([(np.ones(3, "float32"), stranger)])
    with pytest.raises(ValueError, match="None gradients"):
        opt.apply_gradients([(None, variable)])
    with pytest.raises(ValueError, match="Received: 0 gradients"):
        opt.apply_gradients([])


def test_changing_learning_rate_does_not_recompile():
    opt = optimizers.Adam(learning_rate=0.1)
    params = {"w": jnp.ones(3)}
    grads = {"w": jnp.array([1.0, -2.0, 0.5])}
    traces = []

    @jax.jit
    def step(state, params):
        traces.append(None)  # runs only while tracing
        return opt.update(grads, state, params)

    state = opt.init(params)
    moved, _ = step(opt.with_current_hyperparams(state), params)
    first_step = np.asarray(moved["w"]) - 1.0  # Adam's first step is -lr * sign(g)
    for lr in (0.5, 0.025):
        opt.learning_rate = lr
        moved, _ = step(opt.with_current_hyperparams(state), params)
        np.testing.assert_allclose(np.asarray(moved["w"]) - 1.0, first_step * lr / 0.1, rtol=1e-5)
    assert len(traces) == 1


def test_schedule_changes_rate_inside_one_compiled_scan():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    params, grads = jnp.zeros(()), jnp.ones(())

    @jax.jit
    def run(state, params):
        def body(carry, _):
            p, s = carry
            new_p, new_s = opt.update(grads, s, p)
            return (new_p, new_s), new_p - p

        return jax.lax.scan(body, (params, state), length=4)

    (_, state), steps = run(opt.init(params), params)
    np.testing.assert_allclose(steps, [-0.1, -0.05, -0.025, -0.0125], rtol=1e-6)
    opt.state = state
    assert opt.iterations == 4
    assert opt.learning_rate == pytest.approx(0.1 * 0.5**4)


SCHEDULE_CASES = [
    ("ExponentialDecay", (0.1, 10, 0.5), {}),
    ("ExponentialDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("PiecewiseConstantDecay", ([10, 20], [1.0, 0.5, 0.1]), {}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("PolynomialDecay", (0.1, 10), {}),
    ("PolynomialDecay", (0.1, 10), {"end_learning_rate": 0.01, "power": 2.0, "cycle": True}),
    ("CosineDecay", (0.1, 20), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 20), {"alpha": 0.1, "warmup_target": 0.2, "warmup_steps": 5}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), SCHEDULE_CASES)
def test_schedules_match_keras(name, args, kwargs):
    steps = [0, 1, 4, 5, 9, 10, 11, 19, 20, 21, 25, 26, 100]
    expected = [float(getattr(keras.optimizers.schedules, name)(*args, **kwargs)(s)) for s in steps]
    schedule = getattr(schedules, name)(*args, **kwargs)
    np.testing.assert_allclose([float(schedule(s)) for s in steps], expected, rtol=1e-6, atol=1e-9)
    traced = jax.jit(jax.vmap(schedule))(jnp.asarray(steps, jnp.int32))
    np.testing.assert_allclose(traced, expected, rtol=1e-6, atol=1e-9)
    rebuilt = schedules.deserialize(schedules.serialize(schedule))
    assert type(rebuilt) is type(schedule) and rebuilt.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps=0"),
        (lambda: schedules.CosineDecay(0.1, -5), "decay_steps=-5"),
        (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "values=.*0.2"),
        (lambda: schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3]), "boundaries=.*2"),
    ],
)
def test_schedule_bad_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_learning_rate_and_iterations_properties():
    opt = optimizers.SGD(learning_rate=0.1)
    assert opt.learning_rate == opt.lr == 0.1
    assert opt.iterations == 0 and not opt.built
    opt.lr = 0.3
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == 0.3
    variable = Variable(np.zeros(2, "float32"), name="w")
    opt.apply_gradients([(np.ones(2, "float32"), variable)])
    opt.apply_gradients([(np.ones(2, "float32"), variable)])
    assert opt.iterations == 2
    np.testing.assert_allclose(variable.numpy(), [-0.6, -0.6], rtol=1e-6)

    scheduled = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    scheduled.apply_gradients([(np.ones(2, "float32"), Variable(np.zeros(2, "float32"), name="w"))])
    assert scheduled.learning_rate == pytest.approx(0.05)
    with pytest.raises(TypeError, match="learning_rate=0.1"):
        scheduled.learning_rate = 0.1

    current = {"rate": 0.2}
    by_callable = optimizers.SGD(learning_rate=lambda: current["rate"])
    variable = Variable(np.zeros(1, "float32"), name="w")
    by_callable.apply_gradients([(np.ones(1, "float32"), variable)])
    current["rate"] = 0.4
    assert by_callable.learning_rate == 0.4
    by_callable.apply_gradients([(np.ones(1, "float32"), variable)])
    np.testing.assert_allclose(variable.numpy(), [-0.6], rtol=1e-6)


def test_legacy_arguments():
    with pytest.warns(DeprecationWarning, match="`lr` argument is deprecated.*learning_rate=0.01"):
        opt = optimizers.Adam(lr=0.01)
    assert opt.learning_rate == 0.01
    # tf.keras 2's `decay`: lr / (1 + decay * iterations).
    with pytest.warns(DeprecationWarning, match="`decay` argument is deprecated"):
        opt = optimizers.SGD(learning_rate=0.1, decay=0.5)
    variable = Variable(np.zeros(1, "float32"), name="w")
    for _ in range(2):
        opt.apply_gradients([(np.ones(1, "float32"), variable)])
    np.testing.assert_allclose(variable.numpy(), [-(0.1 + 0.1 / 1.5)], rtol=1e-6)
    assert opt.learning_rate == pytest.approx(0.1 / 2.0)


@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (lambda: optimizers.SGD(learning_rate=-1.0), ValueError, "learning_rate=-1.0"),
        (lambda: optimizers.SGD(learning_rate="fast"), TypeError, "learning_rate='fast'"),
        (lambda: optimizers.SGD(momentum=1.5), ValueError, "momentum=1.5"),
        (lambda: optimizers.Adam(beta_1=1.0), ValueError, "beta_1=1.0"),
        (lambda: optimizers.Adam(epsilon=-1e-7), ValueError, "epsilon=-1e-07"),
        (lambda: optimizers.RMSprop(rho=-0.1), ValueError, "rho=-0.1"),
        (lambda: optimizers.Adagrad(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value=-1.0"),
        (lambda: optimizers.AdamW(weight_decay=None), TypeError, "weight_decay=None"),
        (lambda: optimizers.Adam(clipnorm=0.0), ValueError, "clipnorm=0.0"),
        (lambda: optimizers.Adam(clipvalue=-1.0), ValueError, "clipvalue=-1.0"),
        (lambda: optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0), ValueError, "global_clipnorm=1.0"),
        (lambda: optimizers.Adam(clipnorm=1.0, clipvalue=1.0), ValueError, "clipvalue=1.0"),
        (lambda: optimizers.Adam(learning_rate=0.1, momentum=0.9), TypeError, "momentum"),
        (lambda: optimizers.Adam(use_ema=True), ValueError, "use_ema=True"),
        (lambda: optimizers.Adam(name=3), TypeError, "name=3"),
        (lambda: optimizers.Lion(beta_2=1.5), ValueError, r"beta_2.*in \[0, 1\].*beta_2=1.5"),
    ],
)
def test_bad_arguments(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


def test_get_resolves_names_dicts_and_instances():
    for name in NAMES:
        assert type(optimizers.get(name.lower())).__name__ == name
        assert type(optimizers.get(name.upper())).__name__ == name
    opt = optimizers.RMSprop(learning_rate=0.01)
    assert optimizers.get(opt) is opt
    rebuilt = optimizers.get({"class_name": "RMSprop", "config": opt.get_config()})
    assert rebuilt.get_config() == opt.get_config()
    with pytest.raises(ValueError, match="optimizer='adamm'"):
        optimizers.get("adamm")
    with pytest.raises(TypeError, match="optimizer=3"):
        optimizers.get(3)


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip_and_keras_defaults(name):
    opt = getattr(optimizers, name)()
    config = opt.get_config()
    assert config["name"] == name
    rebuilt = optimizers.deserialize(optimizers.serialize(opt))
    assert type(rebuilt) is type(opt) and rebuilt.get_config() == config
    keras_config = getattr(keras.optimizers, name)().get_config()
    for key, value in config.items():
        if key != "name":
            assert keras_config[key] == pytest.approx(value), key
    # A Keras 3 config (with its extra keys at their defaults) loads too.
    from_keras = getattr(optimizers, name).from_config(keras_config)
    assert {k: v for k, v in from_keras.get_config().items() if k != "name"} == pytest.approx(
        {k: v for k, v in config.items() if k != "name"}
    )


def test_config_round_trip_with_schedule():
    opt = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10))
    rebuilt = optimizers.get(optimizers.serialize(opt))
    assert isinstance(rebuilt._learning_rate, schedules.CosineDecay)
    assert rebuilt.get_config() == opt.get_config()
    keras_opt = keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    from_keras = optimizers.SGD.from_config(keras_opt.get_config())
    assert isinstance(from_keras._learning_rate, schedules.ExponentialDecay)


def test_weights_round_trip():
    weights, grads = _problem(steps=2)
    variables = [Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    opt = optimizers.Nadam(learning_rate=0.1)
    with pytest.raises(ValueError, match="build"):
        opt.set_weights([])
    opt.apply_gradients(zip(grads[0], variables))
    saved = opt.get_weights()
    assert all(isinstance(w, np.ndarray) for w in saved) and len(saved) == len(opt.variables)
    after_one = [v.numpy() for v in variables]
    opt.apply_gradients(zip(grads[1], variables))
    expected = [v.numpy() for v in variables]
    for v, w in zip(variables, after_one):
        v.assign(w)
    opt.set_weights(saved)
    assert opt.iterations == 1
    opt.apply_gradients(zip(grads[1], variables))
    for v, e in zip(variables, expected):
        np.testing.assert_array_equal(v.numpy(), e)
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights([np.zeros((7,))] * len(saved))
