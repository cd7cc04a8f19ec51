"""Activation functions paired with their derivatives."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import expit


def identity(Z):
    """Return ``Z`` unchanged; shape (n_samples, n_units)."""
    return Z


def logistic(Z):
    """Logistic sigmoid, computed stably by SciPy's ``expit``; keeps the dtype."""
    return expit(Z)


def tanh(Z):
    """Hyperbolic tangent; keeps the dtype."""
    return np.tanh(Z)


def relu(Z):
    """Rectified linear unit ``max(Z, 0)``; keeps the dtype."""
    return np.maximum(Z, 0)


# Derivatives take the activation's *output* A = f(Z): the forward pass keeps only A,
# so the backward pass never needs Z.
def identity_derivative(A):
    """Derivative of the identity: ones shaped like ``A``."""
    return np.ones_like(A)


def logistic_derivative(A):
    """Derivative of the logistic sigmoid, ``A * (1 - A)``."""
    return A * (1 - A)


def tanh_derivative(A):
    """Derivative of tanh, ``1 - A ** 2``."""
    return 1 - A**2


def relu_derivative(A):
    """Derivative of ReLU, 1 where ``A > 0`` and 0 elsewhere, in ``A``'s dtype."""
    return (A > 0).astype(A.dtype)


# Second derivatives, also in terms of the output A: the contractive penalty's
# gradient differentiates the first derivative once more.
def identity_second_derivative(A):
    """Second derivative of the identity: zeros shaped like ``A``."""
    return np.zeros_like(A)


def logistic_second_derivative(A):
    """Second derivative of the logistic sigmoid, ``A * (1 - A) * (1 - 2 * A)``."""
    return A * (1 - A) * (1 - 2 * A)


def tanh_second_derivative(A):
    """Second derivative of tanh, ``-2 * A * (1 - A ** 2)``."""
    return -2 * A * (1 - A**2)


def relu_second_derivative(A):
    """Second derivative of ReLU: zero wherever it is defined (``A != 0``)."""
    return np.zeros_like(A)


SECOND_DERIVATIVES = {
    "identity": identity_second_derivative,
    "logistic": logistic_second_derivative,
    "tanh": tanh_second_derivative,
    "relu": relu_second_derivative,
}

ACTIVATIONS = {
    "identity": (identity, identity_derivative),
    "logistic": (logistic, logistic_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
}


# The training loop calls these on every layer of every minibatch; working in
# place saves one or two temporaries the size of the layer's output each time.
def activate_inplace(name, Z):
    """Overwrite the pre-activation ``Z`` with the activation ``name`` of it."""
    if name == "relu":
        # Multiplying by the mask takes half the time of np.maximum here.
        np.multiply(Z, Z > 0, out=Z)
    elif name == "tanh":
        np.tanh(Z, out=Z)
    elif name == "logistic":
        expit(Z, out=Z)
    return Z


def multiply_derivative_inplace(name, delta, A):
    """Multiply ``delta`` in place by the derivative of ``name`` at output ``A``."""
    if name == "relu":
        # A bool mask costs a quarter of a float32 derivative array.
        np.multiply(delta, A > 0, out=delta)
    elif name != "identity":
        delta *= ACTIVATIONS[name][1](A)
    return delta
