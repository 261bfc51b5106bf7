"""`Lambda`: wraps any function of tensors as a layer, and the safe-mode switch its loading obeys.

A named module-level function is saved by name (and module), and found again by name when
loaded: through `custom_objects`, or in its module if that is imported. A lambda or nested
function has no importable name, so its config carries its bytecode (marshal, base64), in the
format tf.keras 2 wrote: `function_type: "lambda"` marks that field. Loading bytecode runs
arbitrary code, so it is refused in safe mode (the default), as Keras 3 refuses it; load a
trusted file with `safe_mode=False` (or inside `safe_mode_scope(False)`). Bytecode loads only
in the Python version that wrote it.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import inspect
import marshal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import jax

from jeras.layers.layer import Layer, _shapes_via_eval, normalize_shape
from jeras.serialization import _custom_lookup, custom_object_scope

_safe_mode = threading.local()
_unsafe_everywhere = {"enabled": False}


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool) -> Iterator[None]:
    """Sets, inside the block, whether deserialization may load bytecode (`safe_mode=False` allows it).

    Args:
        safe_mode: True to refuse bytecode (the default outside any scope), False to allow it.
    """
    stack = getattr(_safe_mode, "stack", None)
    if stack is None:
        stack = _safe_mode.stack = []
    stack.append(bool(safe_mode))
    try:
        yield
    finally:
        stack.pop()


def enable_unsafe_deserialization() -> None:
    """Allows loading bytecode everywhere in this process (as `keras.config.enable_unsafe_deserialization`)."""
    _unsafe_everywhere["enabled"] = True


def in_safe_mode() -> bool:
    """Whether deserialization refuses bytecode here: the innermost `safe_mode_scope`, else True
    unless `enable_unsafe_deserialization()` was called."""
    stack = getattr(_safe_mode, "stack", None)
    if stack:
        return stack[-1]
    return not _unsafe_everywhere["enabled"]


def _has_importable_name(fn: Callable) -> bool:
    qualname = getattr(fn, "__qualname__", "") or ""
    name = getattr(fn, "__name__", "") or ""
    return bool(name) and name != "<lambda>" and "<locals>" not in qualname and qualname == name


def _serialize_callable(fn, argument: str) -> tuple[Any, str, str | None]:
    """Returns (value, type, module) for a config: a name, bytecode, or a raw value."""
    if fn is None or isinstance(fn, (tuple, list)):
        return (None if fn is None else list(fn)), "raw", None
    if isinstance(fn, types.FunctionType) and not _has_importable_name(fn):
        code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
        defaults = None if fn.__defaults__ is None else list(fn.__defaults__)
        closure = None if fn.__closure__ is None else [cell.cell_contents for cell in fn.__closure__]
        return [code, defaults, closure], "lambda", fn.__module__
    if callable(fn) and _has_importable_name(fn):
        return fn.__name__, "function", getattr(fn, "__module__", None)
    raise TypeError(
        f"Lambda can serialize functions, lambdas and shape tuples only; a callable object has no "
        f"name to save. Received: {argument}={fn!r}"
    )


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _deserialize_callable(value, kind: str, module: str | None, argument: str, safe_mode: bool):
    if kind == "raw":
        return None if value is None else tuple(value)
    module_dict = vars(sys.modules[module]) if module in sys.modules else {}
    if kind == "function":
        fn = _custom_lookup(value)
        if fn is None:
            fn = module_dict.get(value)
        if fn is None:
            raise ValueError(
                f"Cannot find the function {value!r} of module {module!r} to rebuild a Lambda layer; pass it in "
                f"custom_objects. Received: {argument}={value!r}"
            )
        return fn
    if kind != "lambda":
        raise ValueError(f"Unknown {argument}_type {kind!r}; expected 'function', 'lambda' or 'raw'.")
    if safe_mode:
        raise ValueError(
            "This Lambda layer's config holds Python bytecode, and loading it would run arbitrary code. "
            "It is refused in safe mode. If you trust the source, load with safe_mode=False (or inside "
            f"jeras.layers.safe_mode_scope(False)). Received: {argument}_type='lambda'"
        )
    code_b64, defaults, closure = value
    try:
        code = marshal.loads(base64.b64decode(code_b64))
    except (ValueError, EOFError, TypeError) as err:
        raise ValueError(
            f"Cannot read the bytecode of a Lambda layer; it may come from another Python version "
            f"(this is {sys.version.split()[0]}). Received: {argument}_type='lambda'"
        ) from err
    scope = {"__builtins__": builtins, **module_dict}
    for name in _code_names(code):
        found = _custom_lookup(name)
        if found is not None:
            scope[name] = found
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    return types.FunctionType(code, scope, code.co_name, None if defaults is None else tuple(defaults), cells)


class Lambda(Layer):
    """Wraps a function of tensors (`lambda x: x ** 2`) as a layer without weights.

    Args:
        function: the function, called as `function(inputs, **arguments)`; it is also given
            `training=` when it accepts that argument.
        output_shape: optional output shape without the batch axis (a tuple), or a function of
            the input shape, for `compute_output_shape`; by default the shape is inferred by
            tracing `function`. Default None.
        arguments: optional dict of keyword arguments for `function`. Default None.

    Input shape: any. Output shape: whatever `function` returns.

    Example:
        >>> Lambda(lambda x: x[:, :2])(np.ones((4, 3))).shape
        (4, 2)
    """

    def __init__(self, function: Callable, output_shape=None, arguments: dict | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"function must be callable. Received: function={function!r}")
        if output_shape is not None and not callable(output_shape):
            output_shape = normalize_shape(output_shape, argument="output_shape")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"arguments must be a dict or None. Received: arguments={arguments!r}")
        self.function = function
        self.output_shape = output_shape
        self.arguments = dict(arguments or {})
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            parameters = {}
        self._function_takes_training = "training" in parameters

    def call(self, inputs, training=None):
        kwargs = dict(self.arguments)
        if self._function_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self.output_shape is None:
            return _shapes_via_eval(self, input_shape)
        if callable(self.output_shape):
            return self.output_shape(input_shape)
        first = jax.tree_util.tree_leaves(input_shape, is_leaf=lambda s: isinstance(s, tuple))[0]
        return (first[0],) + tuple(self.output_shape)

    def get_config(self) -> dict[str, Any]:
        function, function_type, module = _serialize_callable(self.function, "function")
        shape, shape_type, shape_module = _serialize_callable(self.output_shape, "output_shape")
        return {
            **super().get_config(),
            "function": function,
            "function_type": function_type,
            "module": module,
            "output_shape": shape,
            "output_shape_type": shape_type,
            "output_shape_module": shape_module,
            "arguments": dict(self.arguments),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict | None = None, safe_mode: bool | None = None
    ) -> Lambda:
        """Rebuilds a Lambda layer; bytecode (`function_type="lambda"`) loads only outside safe mode.

        Args:
            config: a `get_config()` dict.
            custom_objects: names of user functions, for functions saved by name.
            safe_mode: False to allow bytecode. Default None: `in_safe_mode()`, True unless changed.
        """
        config = dict(config)
        safe = in_safe_mode() if safe_mode is None else bool(safe_mode)
        with custom_object_scope(custom_objects):
            config["function"] = _deserialize_callable(
                config.pop("function"),
                config.pop("function_type", "function"),
                config.pop("module", None),
                "function",
                safe,
            )
            config["output_shape"] = _deserialize_callable(
                config.pop("output_shape", None),
                config.pop("output_shape_type", "raw"),
                config.pop("output_shape_module", None),
                "output_shape",
                safe,
            )
        return cls(**config)
