"""The one registry helper: name -> factory for models, data sources, reducers and clusterers.

``Registry.get`` gives did-you-mean errors for every kind of name; ``Registry.create`` builds estimators from
config specs ({"method": name, **params}) for kit.reduce and kit.cluster.

Specs come from YAML and the CLI, so every mistake (unknown method, unknown key, wrong type, bad value)
becomes a ConfigError that names the key and lists the valid choices.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from kit.errors import ConfigError, did_you_mean

SEED_KEYS = ("seed", "random_state")


class Registry:
    """Method name -> estimator class (or factory). ``where`` prefixes every error ("reduce", "cluster")."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._factories: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable:
        def deco(factory: Callable) -> Callable:
            self._factories[name] = factory
            return factory

        return deco

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, name: str) -> bool:
        return name in self._factories

    def __iter__(self):
        return iter(self.names)

    def get(self, name: str) -> Callable[..., Any]:
        """The factory registered as ``name``; ConfigError with a did-you-mean hint otherwise."""
        if name not in self._factories:
            raise ConfigError(f"unknown {self.where} {name!r}{did_you_mean(name, self.names)} "
                              f"(valid: {', '.join(self.names)})")
        return self._factories[name]

    def create(self, spec: dict[str, Any], seed: int | None = None) -> Any:
        """Instantiate ``spec``. ``seed`` fills ``random_state`` when the spec sets neither seed nor random_state."""
        if not isinstance(spec, dict):
            raise ConfigError(f"{self.where}: a spec must be a mapping with a 'method', got {spec!r}")
        if "method" not in spec:
            raise ConfigError(f"{self.where}: spec {spec!r} has no 'method' (valid: {', '.join(self.names)})")
        name = spec["method"]
        if name not in self._factories:
            raise ConfigError(f"{self.where}.method: unknown method {name!r}{did_you_mean(name, self.names)} "
                              f"(valid: {', '.join(self.names)})")
        factory = self._factories[name]
        where = f"{self.where}.{name}"
        params = _parameters(factory)
        kwargs = {k: v for k, v in spec.items() if k != "method"}
        for key in SEED_KEYS:  # numpy and sklearn take 0 .. 2**32 - 1 and fail deep inside fit otherwise
            check_seed(kwargs.get(key), f"{where}.{key}")
        check_seed(seed, f"{self.where} seed")
        if "seed" in kwargs:
            if "random_state" in kwargs:
                raise ConfigError(f"{where}: give 'seed' or 'random_state', not both")
            kwargs["random_state"] = kwargs.pop("seed")
        if "random_state" in params and kwargs.get("random_state") is None and seed is not None:
            kwargs["random_state"] = int(seed)
        for key, value in kwargs.items():
            if key not in params:
                valid = sorted(set(params) | ({"seed"} if "random_state" in params else set()))
                raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(key, valid)} (valid: {', '.join(valid)})")
            default = params[key]
            if value is None and default is not None and default is not inspect.Parameter.empty:
                raise ConfigError(f"{where}.{key} is null; delete the key (a ~ override) for its default ({default!r})")
            _check_type(value, default, f"{where}.{key}")
        est = factory(**kwargs)
        check = getattr(est, "_check_params", None)
        if check is not None:
            check()
        return est


def check_seed(value: Any, where: str) -> None:
    """A seed is null (the caller's) or an integer in 0 .. 2**32 - 1 (kit.train.options.SEED_MAX): a ConfigError
    naming ``where`` otherwise, at creation, before any data is read."""
    from kit.train.options import OPTIONS  # the one table of bounds (imports nothing heavy)

    OPTIONS["seed"].check(value, where)


def _parameters(factory: Callable) -> dict[str, Any]:
    """Keyword parameters of ``factory`` -> their defaults."""
    sig = inspect.signature(factory)
    return {
        n: p.default
        for n, p in sig.parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "self"
    }


def _check_type(value: Any, default: Any, where: str) -> None:
    """A value must have its default's type (ints pass for floats); None defaults accept anything."""
    if default is None or default is inspect.Parameter.empty or value is None:
        return
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return
    if expected is bool and not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if expected is int and isinstance(value, bool):
        raise ConfigError(f"{where} must be int, got {value!r}")
    if expected in (int, float, str, bool, list, dict) and not isinstance(value, expected):
        raise ConfigError(f"{where} must be {expected.__name__}, got {type(value).__name__} {value!r}")


def require(condition: bool, where: str, message: str) -> None:
    """Raise ConfigError(f"{where} {message}") unless ``condition``: for estimators' ``_check_params``."""
    if not condition:
        raise ConfigError(f"{where} {message}")


def choice(value: Any, choices: tuple, where: str) -> None:
    if value not in choices:
        raise ConfigError(f"{where} must be one of {', '.join(map(str, choices))}; got {value!r}")
