"""Exact single-step updates and schedules of the SGD and Adam optimizers."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import skae._optimizers
from skae._optimizers import SGD, Adam

SHAPES = [(4, 6), (6, 8), (8,)]


def _random_arrays(rng, dtype=np.float64):
    return [rng.random_sample(shape).astype(dtype) for shape in SHAPES]


@pytest.mark.parametrize("learning_rate_init", [10.0**i for i in range(-3, 4)])
def test_sgd_without_momentum(learning_rate_init):
    rng = np.random.RandomState(0)
    params = _random_arrays(rng)
    grads = _random_arrays(rng)
    expected = [p - learning_rate_init * g for p, g in zip(params, grads, strict=True)]
    optimizer = SGD(params, learning_rate_init, momentum=0.0, nesterov=False)
    optimizer.step(params, grads)
    for exp, param in zip(expected, params, strict=True):
        assert_array_equal(param, exp)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.5, 0.6, 0.7, 0.8, 0.9])
def test_sgd_with_momentum(momentum, nesterov):
    rng = np.random.RandomState(0)
    lr = 0.1
    params = _random_arrays(rng)
    optimizer = SGD(params, lr, momentum=momentum, nesterov=nesterov)
    velocities = _random_arrays(rng)
    optimizer.velocities = [v.copy() for v in velocities]
    grads = _random_arrays(rng)
    velocities = [momentum * v - lr * g for v, g in zip(velocities, grads, strict=True)]
    # Nesterov's step looks ahead: one more momentum step along the new velocity.
    updates = (
        [momentum * v - lr * g for v, g in zip(velocities, grads, strict=True)]
        if nesterov
        else velocities
    )
    expected = [p + u for p, u in zip(params, updates, strict=True)]
    optimizer.step(params, grads)
    for exp, param, velocity, new_velocity in zip(
        expected, params, velocities, optimizer.velocities, strict=True
    ):
        assert_allclose(param, exp, rtol=1e-14, atol=1e-15)
        assert_allclose(new_velocity, velocity, rtol=1e-14, atol=1e-15)


def test_sgd_first_steps_from_zero_velocity():
    """Two plain momentum steps from rest, written out by hand."""
    params = [np.zeros(3)]
    grad = [np.array([1.0, -2.0, 0.5])]
    optimizer = SGD(params, 0.1, momentum=0.9, nesterov=False)
    optimizer.step(params, grad)
    assert_allclose(params[0], -0.1 * grad[0], rtol=1e-14)
    optimizer.step(params, grad)
    assert_allclose(params[0], -(0.1 + 0.19) * grad[0], rtol=1e-14)


def _adam_reference(params, ms, vs, grads, t, lr, beta_1, beta_2, epsilon):
    """Adam's update written out: the new parameters, moments and step size."""
    ms = [beta_1 * m + (1 - beta_1) * g for m, g in zip(ms, grads, strict=True)]
    vs = [beta_2 * v + (1 - beta_2) * g**2 for v, g in zip(vs, grads, strict=True)]
    step = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    params = [
        p - step * m / (np.sqrt(v) + epsilon)
        for p, m, v in zip(params, ms, vs, strict=True)
    ]
    return params, ms, vs, step


@pytest.mark.parametrize("beta_1", [0.9, 0.95])
@pytest.mark.parametrize("beta_2", [0.995, 0.999])
def test_adam_step_from_state(beta_1, beta_2):
    rng = np.random.RandomState(0)
    lr, epsilon, t = 0.001, 1e-8, 10
    params = _random_arrays(rng)
    optimizer = Adam(params, lr, beta_1, beta_2, epsilon)
    ms = _random_arrays(rng)
    vs = _random_arrays(rng)
    optimizer.first_moments = [m.copy() for m in ms]
    optimizer.second_moments = [v.copy() for v in vs]
    optimizer.t = t - 1
    grads = _random_arrays(rng)
    expected, _, _, learning_rate = _adam_reference(
        params, ms, vs, grads, t, lr, beta_1, beta_2, epsilon
    )
    optimizer.step(params, grads)
    assert optimizer.t == t
    assert_allclose(optimizer.learning_rate, learning_rate, rtol=1e-14)
    for exp, param in zip(expected, params, strict=True):
        assert_allclose(param, exp, rtol=1e-12, atol=1e-15)


def test_adam_first_steps():
    """From zero moments, the bias-corrected Adam steps by about lr * sign(grad)."""
    rng = np.random.RandomState(0)
    lr, beta_1, beta_2, epsilon = 0.01, 0.9, 0.999, 1e-8
    params = _random_arrays(rng)
    start = [p.copy() for p in params]
    # Gradients of either sign, kept well above epsilon in magnitude.
    grads = [(g + 0.1) * rng.choice([-1.0, 1.0], g.shape) for g in _random_arrays(rng)]
    optimizer = Adam(params, lr, beta_1, beta_2, epsilon)
    expected = [p.copy() for p in start]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    for t in (1, 2):
        expected, ms, vs, _ = _adam_reference(
            expected, ms, vs, grads, t, lr, beta_1, beta_2, epsilon
        )
        optimizer.step(params, grads)
        for exp, param in zip(expected, params, strict=True):
            assert_allclose(param, exp, rtol=1e-12, atol=1e-15)
    # With a constant gradient the bias-corrected step is lr * sign(grad) each time.
    for param, begin, grad in zip(params, start, grads, strict=True):
        assert_allclose(param - begin, -2 * lr * np.sign(grad), rtol=1e-4)


@pytest.mark.parametrize("power_t", [0.25, 0.5])
@pytest.mark.parametrize("time_step", [1, 100, 5000])
def test_invscaling_schedule(time_step, power_t):
    params = [np.zeros(3)]
    optimizer = SGD(params, 0.1, learning_rate="invscaling", power_t=power_t)
    assert optimizer.learning_rate == 0.1
    optimizer.end_epoch(time_step)
    assert_allclose(
        optimizer.learning_rate, 0.1 / (time_step + 1) ** power_t, rtol=1e-14
    )
    # The schedule restarts from learning_rate_init, it does not compound.
    optimizer.end_epoch(time_step)
    assert_allclose(
        optimizer.learning_rate, 0.1 / (time_step + 1) ** power_t, rtol=1e-14
    )


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_ignore_end_epoch(schedule):
    optimizer = SGD([np.zeros(3)], 0.1, learning_rate=schedule)
    optimizer.end_epoch(1000)
    assert optimizer.learning_rate == 0.1


def test_adaptive_trigger_stopping():
    optimizer = SGD([np.zeros(3)], 0.1, learning_rate="adaptive")
    stop, _ = optimizer.trigger_stopping()
    assert not stop
    assert_allclose(optimizer.learning_rate, 0.02, rtol=1e-14)
    # Keeps dividing by 5 while the rate is above 1e-6, then stops.
    n_calls = 1
    while not stop:
        stop, message = optimizer.trigger_stopping()
        n_calls += 1
    assert isinstance(message, str) and message
    # 0.1 / 5**8 = 2.56e-7 is the first rate at or below 1e-6, and one more
    # call is needed to notice it.
    assert n_calls == 9
    assert_allclose(optimizer.learning_rate, 0.1 / 5**8, rtol=1e-12)


def test_adaptive_trigger_stopping_like_sklearn():
    lr = 2e-6
    optimizer = SGD([np.zeros(3)], lr, learning_rate="adaptive")
    stop, _ = optimizer.trigger_stopping()
    assert not stop
    assert optimizer.learning_rate == lr / 5
    stop, _ = optimizer.trigger_stopping()
    assert stop


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_non_adaptive_schedule_stops_at_once(schedule):
    optimizer = SGD([np.zeros(3)], 0.1, learning_rate=schedule)
    stop, message = optimizer.trigger_stopping()
    assert stop
    assert isinstance(message, str) and message
    assert optimizer.learning_rate == 0.1


def test_adam_stops_at_once():
    stop, _ = Adam([np.zeros(3)]).trigger_stopping()
    assert stop


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: SGD(p, 0.1, momentum=0.9, nesterov=True),
        lambda p: SGD(p, 0.1, momentum=0.9, nesterov=False),
        lambda p: Adam(p, 0.001),
    ],
    ids=["sgd-nesterov", "sgd-momentum", "adam"],
)
def test_float32_params_stay_float32(make_optimizer):
    rng = np.random.RandomState(0)
    params = _random_arrays(rng, np.float32)
    params64 = [p.astype(np.float64) for p in params]
    grads = _random_arrays(rng, np.float32)
    optimizer = make_optimizer(params)
    optimizer64 = make_optimizer(params64)
    for _ in range(3):
        optimizer.step(params, grads)
        optimizer64.step(params64, [g.astype(np.float64) for g in grads])
    for param, param64 in zip(params, params64, strict=True):
        assert param.dtype == np.float32
        assert_allclose(param, param64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda p: SGD(p, 0.1), lambda p: Adam(p, 0.01)])
def test_reused_scratch_gives_the_same_steps(make):
    """The training loop's scratch arrays, dirty from earlier steps, change nothing."""
    rng = np.random.RandomState(0)
    params = _random_arrays(rng)
    params_scratch = [p.copy() for p in params]
    plain, reused = make(params), make(params_scratch)
    scratch = [np.full_like(p, np.nan) for p in params]
    for _ in range(3):
        grads = _random_arrays(rng)
        plain.step(params, grads)
        reused.step(params_scratch, grads, scratch)
    for a, b in zip(params, params_scratch, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make",
    [lambda p: SGD(p, 0.1), lambda p: SGD(p, 0.1, nesterov=False), lambda p: Adam(p)],
)
def test_steps_in_pieces_are_bitwise_the_whole_step(monkeypatch, make):
    """An update is elementwise: pieces of 5 elements change none of its numbers."""
    rng = np.random.RandomState(0)
    params = _random_arrays(rng)
    pieces = [p.copy() for p in params]
    # A view that is not contiguous goes whole.
    strided = [rng.random_sample((6, 8))[:, ::2]]
    whole, pieced = make(params + strided), make(pieces + [strided[0].copy()])
    pieces.append(strided[0].copy())
    params += strided
    monkeypatch.setattr(skae._optimizers, "PIECE", 5)
    scratch = skae._optimizers.scratch_for(pieces)
    assert max(s.size for s in scratch) == 5
    for _ in range(3):
        grads = _random_arrays(rng) + [rng.random_sample((6, 4))]
        whole.step(params, grads, [np.empty_like(p) for p in params])
        pieced.step(pieces, grads, scratch)
    for a, b in zip(params, pieces, strict=True):
        assert_array_equal(a, b)
