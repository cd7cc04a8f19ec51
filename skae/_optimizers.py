"""Stochastic gradient descent and Adam, updating parameter arrays in place."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

# Elements per piece of an update: the passes of a step over a piece run in
# cache, and the scratch is this small however wide the network (the flat
# parameters of a 100 000-column network are hundreds of MiB).
PIECE = 2**15


def scratch_for(params):
    """Scratch arrays for :meth:`SGD.step` and :meth:`Adam.step`, one per array."""
    return [np.empty(min(PIECE, p.size), p.dtype) for p in params]


def _matching(part, flat, other):
    """The elements of ``other`` at the places of ``part`` in ``flat``.

    ``part`` is a view of the contiguous array ``flat``; ``other`` a
    contiguous array of the same shape and dtype as ``flat`` (an optimizer's
    state of it). The result is a writeable view of ``other``.
    """
    start = part.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
    return np.lib.stride_tricks.as_strided(
        other.reshape(-1)[start // flat.itemsize :], part.shape, part.strides
    )


def _pieces(arrays, scratch):
    """Matching pieces of same-shaped ``arrays``, each with a scratch piece.

    Contiguous arrays go in flat pieces of ``scratch.size`` elements (at most
    ``PIECE`` without scratch). An update is elementwise, so its pieces give
    the same numbers as the whole. Other arrays go whole, with a scratch of
    their shape.
    """
    if not all(a.flags.c_contiguous for a in arrays):
        yield [*arrays, np.empty_like(arrays[0])]
        return
    flats = [a.reshape(-1) for a in arrays]
    size = min(PIECE, flats[0].size) if scratch is None else scratch.size
    buffer = np.empty(size, arrays[0].dtype) if scratch is None else scratch
    buffer = buffer.reshape(-1)
    for start in range(0, flats[0].size, size):
        piece = [flat[start : start + size] for flat in flats]
        yield [*piece, buffer[: piece[0].size]]


class SGD:
    """Stochastic gradient descent with momentum and a learning-rate schedule.

    Parameters
    ----------
    params : list of ndarray
        Only their shapes and dtypes are read, to size the velocities.
    learning_rate_init : float
    learning_rate : {"constant", "invscaling", "adaptive"}
    momentum : float
    nesterov : bool
    power_t : float
        Exponent of the "invscaling" schedule.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        learning_rate="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, params, grads, scratch=None):
        """Move each array of ``params`` against its gradient, in place.

        ``scratch``, one array per parameter array (:func:`scratch_for`),
        holds the temporaries of a piece of the update; the training loop
        passes the same ones at every step so that a step allocates nothing.
        """
        self.begin_step()
        scratch = scratch or [None] * len(params)
        for *arrays, spare in zip(params, grads, self.velocities, scratch, strict=True):
            self._update(*arrays, spare)

    def begin_step(self):
        """Begin a step made of :meth:`update` calls on parts of the parameters."""

    def update(self, flat, part, grad, scratch=None):
        """Move ``part``, a view of ``flat`` (the optimizer's one parameter
        array), against its gradient ``grad``, as :meth:`step` would."""
        self._update(part, grad, _matching(part, flat, self.velocities[0]), scratch)

    def _update(self, *arrays_and_scratch):
        """The update of ``(param, grad, velocity, scratch)``, piece by piece."""
        *arrays, scratch = arrays_and_scratch
        for param, grad, velocity, buffer in _pieces(arrays, scratch):
            scaled_grad = np.multiply(grad, self.learning_rate, out=buffer)
            velocity *= self.momentum
            velocity -= scaled_grad
            if self.nesterov:
                param -= scaled_grad
                param += np.multiply(velocity, self.momentum, out=scaled_grad)
            else:
                param += velocity

    def end_epoch(self, time_step):
        """Apply the "invscaling" decay after ``time_step`` samples seen."""
        if self.schedule == "invscaling":
            self.learning_rate = (
                self.learning_rate_init / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self):
        """Called when progress stalls; returns ``(stop, message)``.

        The "adaptive" schedule divides the learning rate by 5 and carries on
        until it falls below 1e-6.
        """
        if self.schedule != "adaptive":
            return True, "Training loss did not improve more than tol."
        if self.learning_rate <= 1e-6:
            return True, "Learning rate too small."
        self.learning_rate /= 5.0
        return False, f"Setting learning rate to {self.learning_rate:f}."


class Adam:
    """Adam (Kingma & Ba, 2014) with bias-corrected step size.

    Parameters
    ----------
    params : list of ndarray
        Only their shapes and dtypes are read, to size the moment estimates.
    learning_rate_init, beta_1, beta_2, epsilon : float
    """

    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moments = [np.zeros_like(p) for p in params]
        self.second_moments = [np.zeros_like(p) for p in params]

    @property
    def learning_rate(self):
        """The bias-corrected step size of the last update."""
        t = max(self.t, 1)
        # A Python float, so that float32 parameters are not promoted to float64.
        return float(
            self.learning_rate_init * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        )

    def step(self, params, grads, scratch=None):
        """Move each array of ``params`` by the Adam update, in place.

        ``scratch``, one array per parameter array (:func:`scratch_for`),
        holds the temporaries of a piece of the update; the training loop
        passes the same ones at every step so that a step allocates nothing.
        """
        self.begin_step()
        scratch = scratch or [None] * len(params)
        moments = self.first_moments, self.second_moments
        for *arrays, spare in zip(params, grads, *moments, scratch, strict=True):
            self._update(*arrays, spare)

    def begin_step(self):
        """Begin a step made of :meth:`update` calls on parts of the parameters."""
        self.t += 1
        self._step_size = self.learning_rate

    def update(self, flat, part, grad, scratch=None):
        """Move ``part``, a view of ``flat`` (the optimizer's one parameter
        array), by the Adam update of its gradient ``grad``, in the step that
        :meth:`begin_step` began, as :meth:`step` would."""
        m = _matching(part, flat, self.first_moments[0])
        v = _matching(part, flat, self.second_moments[0])
        self._update(part, grad, m, v, scratch)

    def _update(self, *arrays_and_scratch):
        """The update of ``(param, grad, m, v, scratch)``, piece by piece."""
        *arrays, scratch = arrays_and_scratch
        # Every product goes through the buffer: the update costs a dozen
        # passes over a piece (in cache) and no allocation.
        for param, grad, m, v, buffer in _pieces(arrays, scratch):
            np.multiply(grad, 1 - self.beta_1, out=buffer)
            m *= self.beta_1
            m += buffer
            np.multiply(grad, grad, out=buffer)
            buffer *= 1 - self.beta_2
            v *= self.beta_2
            v += buffer
            np.sqrt(v, out=buffer)
            buffer += self.epsilon
            np.divide(m, buffer, out=buffer)
            buffer *= self._step_size
            param -= buffer

    def end_epoch(self, time_step):
        """Adam keeps no schedule."""

    def trigger_stopping(self):
        """Called when progress stalls; Adam always stops."""
        return True, "Training loss did not improve more than tol."
