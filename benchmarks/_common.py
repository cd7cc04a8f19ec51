"""Helpers that the benchmark scripts share.

A script that compares variants of the model by replacing a private name of
skae goes through :func:`patched`, which fails loudly when the name is gone or
no longer used: a rename would otherwise measure the unmodified model and
print its numbers under the variant's label.
"""

# SPDX-License-Identifier: BSD-3-Clause

from contextlib import contextmanager


@contextmanager
def patched(module, **values):
    """Set attributes of ``module`` for the block, restoring them after it.

    Raises AttributeError if ``module`` has no such attribute, and, when a
    callable replaces a callable, RuntimeError if the block never called it.
    """
    missing = [name for name in values if not hasattr(module, name)]
    if missing:
        raise AttributeError(
            f"{module.__name__} has no {', '.join(missing)}: the benchmark "
            "patches a name that was renamed or removed, so it would measure "
            "the unmodified model. Update the benchmark."
        )
    originals = {name: getattr(module, name) for name in values}
    calls = {name: 0 for name, value in values.items() if callable(value)}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name, value in values.items():
        setattr(module, name, counting(name, value) if name in calls else value)
    try:
        yield
    finally:
        for name, value in originals.items():
            setattr(module, name, value)
    unused = [name for name, count in calls.items() if count == 0]
    if unused:
        raise RuntimeError(
            f"{module.__name__}.{', '.join(unused)} was patched but never called: "
            "the model no longer goes through it. Update the benchmark."
        )
