"""Reading configs written by Keras 3 (and tf.keras 2.13+) in jeras's tf.keras 2.x form.

Keras 3 wraps every object as `{"module", "class_name", "config", "registered_name", ...}`,
stores dtypes as `DTypePolicy` objects, tuples and arrays as `__tuple__`/`__numpy__` objects,
names InputLayer's shape `batch_shape`, records functional connectivity as call arguments
holding `__keras_tensor__` objects, and adds settings jeras has no counterpart for. This
module rewrites such a config into the form jeras layers accept (the tf.keras 2.x form),
dropping Keras-only settings only when they hold the value that means "off". Configs already
in jeras's form pass through unchanged.
"""

from __future__ import annotations

from typing import Any

# Bookkeeping keys of Keras 3's object wrapper that carry no setting.
_WRAPPER_KEYS = ("module", "registered_name", "shared_object_id", "build_config", "compile_config")

# Settings of Keras 3 / newer tf.keras configs without a jeras counterpart, with their "off" value.
_KERAS_ONLY_DEFAULTS: dict[str, Any] = {
    "sparse": False,
    "ragged": False,
    "optional": False,
    "quantization_config": None,
    "lora_rank": None,
    "lora_alpha": None,
    "input_axes": None,
    "output_axes": None,
    "synchronized": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
    "fused": None,
    "virtual_batch_size": None,
    "adjustment": None,
    "rms_scaling": False,
    "ignore_class": None,
}


def to_jeras(value: Any) -> Any:
    """Returns `value` (any part of a saved config) rewritten in jeras's form."""
    if isinstance(value, (list, tuple)):
        return [to_jeras(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value:
        return {key: to_jeras(item) for key, item in value.items()}
    class_name = value["class_name"]
    config = value.get("config")
    if isinstance(class_name, str) and class_name.endswith("DTypePolicy") and isinstance(config, dict):
        return config.get("name")
    if class_name in ("__tuple__", "__numpy__", "__tensor__") and isinstance(config, dict):
        return to_jeras(config.get("value"))
    if class_name == "function" and isinstance(config, str):
        return config
    out = {key: to_jeras(item) for key, item in value.items() if key not in _WRAPPER_KEYS}
    if isinstance(config, dict):
        out["config"] = _settings(to_jeras(config))
    if isinstance(value.get("inbound_nodes"), list):
        out["inbound_nodes"] = [_node(node) for node in value["inbound_nodes"]]
    return out


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    config = {
        key: item
        for key, item in config.items()
        if not (key in _KERAS_ONLY_DEFAULTS and item == _KERAS_ONLY_DEFAULTS[key])
    }
    if "batch_shape" in config and "batch_input_shape" not in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    for key in ("input_layers", "output_layers"):
        endpoints = config.get(key)
        if isinstance(endpoints, list) and len(endpoints) == 3 and isinstance(endpoints[0], str):
            config[key] = [endpoints]  # Keras 3 writes a single endpoint without the outer list
    return config


def _node(node: Any) -> Any:
    """One inbound node as tf.keras 2.x writes it: `[[layer, node_index, tensor_index, kwargs], ...]`."""
    if not isinstance(node, dict) or "args" not in node:
        return node
    kwargs = to_jeras(node.get("kwargs") or {})
    if _tensor_histories(kwargs):
        raise ValueError(
            "This functional config passes symbolic tensors as keyword arguments of a layer call, which jeras "
            f"cannot rebuild. Received: kwargs={node.get('kwargs')!r}"
        )
    return [[*history, kwargs] for history in _tensor_histories(node["args"])]


def _tensor_histories(value: Any) -> list[list]:
    if isinstance(value, list):
        return [h for item in value for h in _tensor_histories(item)]
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [list(value["config"]["keras_history"])]
        return [h for item in value.values() for h in _tensor_histories(item)]
    return []
