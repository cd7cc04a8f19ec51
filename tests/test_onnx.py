"""ONNX export: the graphs compute what transform and inverse_transform do.

Needs the ``onnx`` extra (skl2onnx, onnxruntime). Each graph is run by
onnxruntime and compared with the estimator: to 1e-9 in float64, and to 1e-5
times the largest output in float32. The outlier detector's graph computes
``predict`` and ``decision_function``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import doctest
import importlib
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderOutlierDetector, AutoencoderTransformer
from skae._activations import ACTIVATIONS

NEEDS_ONNX = "needs the onnx extra: pip install '.[onnx]'"
for _module in ("skl2onnx", "onnxruntime"):
    pytest.importorskip(_module, reason=NEEDS_ONNX)

import onnxruntime as ort  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402

import skae.onnx  # noqa: E402
from skae.onnx import decoder_to_onnx  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:300]


def run(onnx_model, inputs):
    """The first output of ``onnx_model`` run by onnxruntime on ``inputs``."""
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: inputs})[0]


def assert_matches(actual, expected, dtype):
    """onnxruntime's output against the estimator's, in the graph's dtype."""
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    if dtype == np.float64:
        assert_allclose(actual, expected, rtol=0, atol=1e-9)
    else:
        assert_allclose(actual, expected, rtol=0, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("model_dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "output_activation, loss",
    [
        ("identity", "squared_error"),
        ("logistic", "squared_error"),
        ("logistic", "log_loss"),
    ],
)
@pytest.mark.parametrize("hidden_layer_sizes", [(), (16, 8)])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_graphs_compute_transform_and_inverse_transform(
    X, activation, hidden_layer_sizes, output_activation, loss, model_dtype
):
    if loss == "log_loss":
        X = X / 16
    ae = AutoencoderTransformer(
        n_components=4,
        hidden_layer_sizes=hidden_layer_sizes,
        activation=activation,
        output_activation=output_activation,
        loss=loss,
        max_iter=20,
        # Trained on all rows: the graph must compute trained corrections.
        early_stopping=False,
        random_state=0,
    ).fit(X.astype(model_dtype))
    if activation != "identity" and hidden_layer_sizes:
        # Trained corrections, which the graph must compute too: codes away
        # from PCA's projection.
        pca_codes = (X - ae.mean_) @ ae.components_.T
        assert np.abs(ae.transform(X) - pca_codes).max() > 1e-3
    for dtype in (np.float32, np.float64):
        X_in = X.astype(dtype)
        Z = ae.transform(X_in)
        assert_matches(run(to_onnx(ae, X_in[:1]), X_in), Z, dtype)
        Z = Z.astype(dtype)
        assert_matches(
            run(decoder_to_onnx(ae, dtype), Z), ae.inverse_transform(Z), dtype
        )


def test_decoder_dtype_defaults_to_the_models(X):
    for dtype in (np.float32, np.float64):
        ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5).fit(
            X.astype(dtype)
        )
        graph_input = decoder_to_onnx(ae).graph.input[0]
        expected = to_onnx(ae, X[:1].astype(dtype)).graph.input[0]
        assert graph_input.name == "Z"
        assert graph_input.type.tensor_type.elem_type == (
            expected.type.tensor_type.elem_type
        )


def test_model_fitted_on_sparse_data(X):
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    ae.fit(sp.csr_matrix(X))
    assert_matches(run(to_onnx(ae, X[:1]), X), ae.transform(X), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_scikit_learn_steps(X, dtype):
    """StandardScaler -> autoencoder -> LogisticRegression, as one graph."""
    y = load_digits().target[:300]
    pipe = make_pipeline(
        StandardScaler(),
        AutoencoderTransformer(
            n_components=8, hidden_layer_sizes=(16,), max_iter=20, random_state=0
        ),
        LogisticRegression(max_iter=1000),
    ).fit(X, y)
    onnx_model = to_onnx(
        pipe, X[:1].astype(dtype), options={LogisticRegression: {"zipmap": False}}
    )
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, {"X": X.astype(dtype)})
    assert_matches(probabilities, pipe.predict_proba(X), dtype)
    if dtype == np.float64:
        assert_array_equal(labels, pipe.predict(X))

    transformer = pipe[:-1]
    codes = run(to_onnx(transformer, X[:1].astype(dtype)), X.astype(dtype))
    assert_matches(codes, transformer.transform(X), dtype)


@pytest.mark.parametrize("model_dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "params",
    [
        {},
        dict(weighting=None, code_weight=0.0, contamination=0.2),
        dict(activation="tanh", autoencoder_params={"output_activation": "logistic"}),
    ],
)
def test_detector_graph_computes_predict_and_decision_function(X, params, model_dtype):
    detector = AutoencoderOutlierDetector(
        hidden_layer_sizes=(16,), max_iter=20, random_state=0, **params
    ).fit(X.astype(model_dtype))
    X_new = X + np.random.RandomState(0).normal(scale=2, size=X.shape)
    for dtype in (np.float32, np.float64):
        X_in = X_new.astype(dtype)
        session = ort.InferenceSession(
            to_onnx(detector, X_in[:1]).SerializeToString(),
            providers=["CPUExecutionProvider"],
        )
        assert [output.name for output in session.get_outputs()] == ["label", "scores"]
        labels, scores = session.run(None, {"X": X_in})
        decision = detector.decision_function(X_in)
        assert_matches(scores, decision[:, None].astype(dtype), dtype)
        assert labels.dtype == np.int64 and labels.shape == (len(X_in), 1)
        # Rows within float32 round-off of the threshold may go either way.
        clear = np.abs(decision) > (1e-9 if dtype == np.float64 else 1e-4)
        assert (labels[:, 0] == -1).any() and (labels[:, 0] == 1).any()
        assert_array_equal(labels[clear, 0], detector.predict(X_in)[clear])


def test_every_activation_has_an_onnx_operator():
    """A new activation fails here until the converter knows it."""
    assert set(skae.onnx._ONNX_ACTIVATIONS) == set(ACTIVATIONS)


def test_errors(X):
    with pytest.raises(NotFittedError):
        to_onnx(AutoencoderTransformer(), X[:1])
    with pytest.raises(NotFittedError):
        decoder_to_onnx(AutoencoderTransformer())
    with pytest.raises(TypeError, match="AutoencoderTransformer"):
        decoder_to_onnx(StandardScaler().fit(X))
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=2).fit(X)
    with pytest.raises(ValueError, match="float32 or float64"):
        decoder_to_onnx(ae, np.int64)
    with pytest.raises(ValueError, match=r"\(n_samples, 64\)"):
        to_onnx(ae, X[:1, :10])
    with pytest.raises(NotFittedError):
        to_onnx(AutoencoderOutlierDetector(), X[:1])
    detector = AutoencoderOutlierDetector(hidden_layer_sizes=(8,), max_iter=2).fit(X)
    with pytest.raises(ValueError, match=r"\(n_samples, 64\)"):
        to_onnx(detector, X[:1, :10])


def test_import_without_skl2onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    monkeypatch.delitem(sys.modules, "skae.onnx")
    with pytest.raises(ImportError, match=r"onnx extra: pip install 'skae\[onnx\]'"):
        importlib.import_module("skae.onnx")


def test_docstring_examples():
    """pytest's doctest collection skips skae/onnx.py (see pyproject.toml)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        failed, attempted = doctest.testmod(
            skae.onnx, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
        )
    assert attempted > 0
    assert failed == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whitened_codes(X, dtype):
    ae = AutoencoderTransformer(
        4, whiten=True, hidden_layer_sizes=(8,), max_iter=5, random_state=0
    ).fit(X.astype(dtype))
    X_in = X.astype(dtype)
    Z = ae.transform(X_in)
    assert_matches(run(to_onnx(ae, X_in[:1]), X_in), Z, dtype)
    assert_matches(run(decoder_to_onnx(ae, dtype), Z), ae.inverse_transform(Z), dtype)
