"""Model registry: one name per comparable model, MS-Bridge variants and baselines alike.

A builder has the signature `builder(spec, vocab, config) -> keras.Model`, where `spec` is a
`DatasetSpec`, `vocab` maps each id input (`user_id`, `item_id`, `artist_id`) to its vocabulary
size (index 0 = out-of-vocabulary), and `config` is a plain dict of options (keys a builder does not
know are ignored, so one run configuration can serve every model).

Example:
>>> from ms_bridge import registry
>>> @registry.register_model("doc_example", label="Doc example", family="ablation")
... def build(spec, vocab, config):
...     ...
>>> registry.get_model("doc_example").label
'Doc example'
>>> "doc_example" in registry.list_models(family="ablation")
True
>>> registry.unregister_model("doc_example")
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

#: Families used in the paper's tables; any non-empty string is accepted.
FAMILIES = ("single-objective", "multi-objective", "ms-bridge", "ablation")

Builder = Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """A registered model: call it like its builder.

    Attributes:
        name: registry key (a slug such as `ms_bridge_ncf`).
        builder: `builder(spec, vocab, config) -> keras.Model`.
        label: name printed in tables (e.g. "MS-Bridge (NCF)").
        family: table group (see `FAMILIES`).
    """

    name: str
    builder: Builder
    label: str
    family: str

    def __call__(self, spec, vocab, config: dict | None = None):
        return self.builder(spec, vocab, dict(config or {}))


_REGISTRY: dict[str, ModelEntry] = {}
_BUILTINS_LOADED = False


def _load_builtins() -> None:
    # ms_bridge.model registers the MS-Bridge variants on import; importing it here (lazily, to
    # avoid a cycle) means `get_model("ms_bridge_ncf")` works without importing the model first.
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        import ms_bridge.model  # noqa: F401


def register_model(name: str, builder: Builder | None = None, *, label: str, family: str):
    """Registers `builder` under `name`; without `builder`, returns a decorator.

    Args:
        name: unique key, non-empty, no whitespace.
        builder: callable `(spec, vocab, config) -> keras.Model`.
        label: human-readable name for tables.
        family: table group, e.g. one of `FAMILIES`.

    Returns:
        The builder (so the decorator form leaves the function usable).

    Raises:
        ValueError: on a duplicate or malformed name, an empty label or family, or a
            non-callable builder.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"model name must be a non-empty string without spaces, got {name!r}")
    if not isinstance(label, str) or not label:
        raise ValueError(f"model {name!r}: label must be a non-empty string, got {label!r}")
    if not isinstance(family, str) or not family:
        raise ValueError(f"model {name!r}: family must be a non-empty string, got {family!r}")

    def decorate(fn: Builder) -> Builder:
        _load_builtins()
        if not callable(fn):
            raise ValueError(f"model {name!r}: builder must be callable, got {fn!r}")
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered "
                             f"(label {_REGISTRY[name].label!r}, family {_REGISTRY[name].family!r})")
        _REGISTRY[name] = ModelEntry(name=name, builder=fn, label=label, family=family)
        return fn

    if builder is None:
        return decorate
    return decorate(builder)


def unregister_model(name: str) -> None:
    """Removes `name` (for tests and interactive use); unknown names raise ValueError."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {sorted(_REGISTRY)}")
    del _REGISTRY[name]


def get_model(name: str) -> ModelEntry:
    """The entry registered as `name`; call it as `get_model(name)(spec, vocab, config)`.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    _load_builtins()
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def list_models(family: str | None = None) -> list[str]:
    """Registered names in registration order, optionally only those of `family`."""
    _load_builtins()
    if family is not None:
        known = sorted({e.family for e in _REGISTRY.values()})
        if family not in known and family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; known: {known}")
    return [n for n, e in _REGISTRY.items() if family is None or e.family == family]


def build_model(name: str, spec, vocab, config: dict | None = None):
    """Shortcut for `get_model(name)(spec, vocab, config)`."""
    return get_model(name)(spec, vocab, config)
