"""ONNX export of a fitted AutoencoderTransformer, through skl2onnx.

Importing this module registers a converter for
:class:`~skae.AutoencoderTransformer` with skl2onnx, so that
``skl2onnx.to_onnx(model, X[:1])`` exports ``transform``, alone or as a step of
a :class:`~sklearn.pipeline.Pipeline`. :func:`decoder_to_onnx` exports
``inverse_transform`` as a graph of its own. A fitted
:class:`~skae.AutoencoderOutlierDetector` exports as skl2onnx exports
:class:`~sklearn.ensemble.IsolationForest`: two outputs, ``label`` (``predict``,
int64 of shape (N, 1)) and ``scores`` (``decision_function``, of shape (N, 1)).

Needs the ``onnx`` extra: ``pip install 'skae[onnx]'`` (skl2onnx; onnxruntime
to run the graphs).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

try:
    from skl2onnx import to_onnx, update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
except ImportError as error:
    raise ImportError(
        "skae.onnx needs skl2onnx, from the onnx extra: pip install 'skae[onnx]' "
        "(or, in a checkout, pip install '.[onnx]'), which also installs "
        "onnxruntime to run the exported graphs."
    ) from error

from ._autoencoder import AutoencoderTransformer
from ._outlier import AutoencoderOutlierDetector

__all__ = ["decoder_to_onnx"]

# The standard ONNX operator of each activation of skae._activations.ACTIVATIONS;
# None for the identity, which adds no node.
_ONNX_ACTIVATIONS = {
    "identity": None,
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
}

_TYPES = {np.dtype(np.float32): FloatTensorType, np.dtype(np.float64): DoubleTensorType}


class _Graph:
    """Adds the nodes and the constants of one float dtype to skl2onnx's graph.

    Every constant is cast to the dtype of the graph's input, as ONNX's
    arithmetic operators take operands of one type.
    """

    def __init__(self, scope, container, tensor_type):
        self.scope, self.container = scope, container
        self.proto_dtype = guess_proto_type(tensor_type)
        double = isinstance(tensor_type, DoubleTensorType)
        self.dtype = np.float64 if double else np.float32

    def constant(self, seed, value, integer=False):
        """The name of a new initializer holding ``value`` in the graph's dtype,
        or int64 if ``integer``."""
        value = np.asarray(value, dtype=np.int64 if integer else self.dtype)
        proto_dtype = guess_proto_type(Int64TensorType()) if integer else None
        name = self.scope.get_unique_variable_name(seed)
        self.container.add_initializer(
            name, proto_dtype or self.proto_dtype, list(value.shape), value.ravel()
        )
        return name

    def node(self, op_type, *inputs, output=None):
        """The name of the output of a new ``op_type`` node over ``inputs``."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, list(inputs), [output], name=name)
        return output


def _layers(graph, inputs, coefs, intercepts, activations):
    """Nodes of :func:`skae._network.forward`; the name of the last output."""
    for coef, intercept, activation in zip(coefs, intercepts, activations, strict=True):
        if activation not in _ONNX_ACTIVATIONS:
            raise NotImplementedError(
                f"activation={activation!r} has no ONNX operator in skae.onnx yet."
            )
        outputs = graph.node(
            "Add",
            graph.node("MatMul", inputs, graph.constant("coef", coef)),
            graph.constant("intercept", intercept),
        )
        if _ONNX_ACTIVATIONS[activation] is not None:
            outputs = graph.node(_ONNX_ACTIVATIONS[activation], outputs)
        inputs = outputs
    return inputs


def _code_scale(model, network):
    """What the network's whitened codes are multiplied by to give ``transform``'s.

    The codes' scale, divided by their standard deviations with ``whiten``.
    """
    whitening = model._whitening()
    scale = network.scales.code_scale
    return scale if whitening is None else scale / whitening.astype(scale.dtype)


def _encode(graph, network, X, output, code_scale):
    """Nodes of ``transform``: codes into ``output`` from raw rows ``X``.

    The steps of :func:`skae._evaluation.encode`: :func:`skae._network.scale_input`
    then :func:`skae._network.encode_scaled`, then ``code_scale``
    (:func:`_code_scale`).
    """
    scales = network.scales
    centred = graph.node("Sub", X, graph.constant("mean", network.mean))
    X_in = graph.node("Mul", centred, graph.constant("inverse_sigma", 1 / scales.sigma))
    n = network.n_encoder
    correction = _layers(
        graph,
        X_in,
        network.coefs[:n],
        network.intercepts[:n],
        network.activations[:n],
    )
    C = graph.node(
        "Add",
        graph.node(
            "Mul", correction, graph.constant("code_correction", scales.code_correction)
        ),
        graph.node(
            "MatMul", X_in, graph.constant("projection", network.encoder_projection())
        ),
    )
    return graph.node("Mul", C, graph.constant("code_scale", code_scale), output=output)


def _decode(graph, network, Z, output, code_scale):
    """Nodes of ``inverse_transform``: reconstructions into ``output`` from ``Z``.

    The steps of :func:`skae._evaluation.decode`: whitening (by ``code_scale``,
    :func:`_code_scale`), then :func:`skae._network.decode_scaled` and
    :func:`skae._network.unscale_output`.
    """
    scales = network.scales
    C = graph.node("Div", Z, graph.constant("code_scale", code_scale))
    n = network.n_encoder
    A = _layers(
        graph,
        C,
        network.coefs[n:],
        network.intercepts[n:],
        network.activations[n:],
    )
    if network.linear_decoder:
        A = graph.node(
            "Add",
            graph.node(
                "Mul",
                A,
                graph.constant("output_correction", scales.output_correction),
            ),
            graph.node(
                "MatMul",
                C,
                graph.constant("reconstruction", network.decoder_projection()),
            ),
        )
        scale, offset = scales.sigma, network.mean
    else:
        scale, offset = scales.output_scale, scales.output_offset
    return graph.node(
        "Add",
        graph.node("Mul", A, graph.constant("output_scale", scale)),
        graph.constant("output_offset", offset),
        output=output,
    )


def _set_output_shape(operator, width, expected_input_width):
    """Output of ``width`` columns, of the float type of the input."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    input_type = operator.inputs[0].type
    shape = input_type.shape
    if len(shape) != 2 or shape[1] not in (None, expected_input_width):
        raise ValueError(
            f"{operator.type} takes input of shape (n_samples, "
            f"{expected_input_width}), got {shape}."
        )
    operator.outputs[0].type = input_type.__class__([shape[0], width])


def _transform_shape(operator):
    """skl2onnx's shape calculator of ``transform``.

    (N, n_features) -> (N, n_components), of the input's float type.
    """
    model = operator.raw_operator
    check_is_fitted(model)
    _set_output_shape(operator, model.n_components_, model.n_features_in_)


def _convert_transform(scope, operator, container):
    """skl2onnx converter of ``transform``."""
    graph = _Graph(scope, container, operator.inputs[0].type)
    model = operator.raw_operator
    network = model._network()
    _encode(
        graph,
        network,
        operator.inputs[0].full_name,
        operator.outputs[0].full_name,
        _code_scale(model, network),
    )


def _detector_shape(operator):
    """skl2onnx's shape calculator of the outlier detector.

    (N, n_features) -> labels (N, 1) int64 and scores (N, 1) of the input's
    float type, as skl2onnx's IsolationForest.
    """
    model = operator.raw_operator
    check_is_fitted(model)
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    input_type = operator.inputs[0].type
    shape = input_type.shape
    if len(shape) != 2 or shape[1] not in (None, model.n_features_in_):
        raise ValueError(
            f"{operator.type} takes input of shape (n_samples, "
            f"{model.n_features_in_}), got {shape}."
        )
    operator.outputs[0].type = Int64TensorType([shape[0], 1])
    operator.outputs[1].type = input_type.__class__([shape[0], 1])


def _convert_detector(scope, operator, container):
    """skl2onnx converter of ``predict`` and ``decision_function``.

    ``score_samples`` is ``-(mean(errors / feature_scales_) + code_weight *
    mean(((Z - code_mean_) / code_scale_) ** 2))``: each mean is a product
    with a column of weights, which keeps the (N, 1) shape.
    """
    model = operator.raw_operator
    graph = _Graph(scope, container, operator.inputs[0].type)
    network = model.autoencoder_._network()
    code_scale = _code_scale(model.autoencoder_, network)
    X = operator.inputs[0].full_name
    Z = _encode(graph, network, X, None, code_scale)
    residual = graph.node("Sub", _decode(graph, network, Z, None, code_scale), X)
    feature_weights = 1 / (model.feature_scales_ * model.n_features_in_)
    errors = graph.node(
        "MatMul",
        graph.node("Mul", residual, residual),
        graph.constant("feature_weights", feature_weights[:, None]),
    )
    standard = graph.node(
        "Mul",
        graph.node("Sub", Z, graph.constant("code_mean", model.code_mean_)),
        graph.constant("inverse_code_scale", 1 / model.code_scale_),
    )
    n_components = len(model.code_scale_)
    distances = graph.node(
        "MatMul",
        graph.node("Mul", standard, standard),
        graph.constant(
            "code_weights", np.full((n_components, 1), model.code_weight / n_components)
        ),
    )
    decision = graph.node(
        "Sub",
        graph.constant("minus_offset", [-model.offset_]),
        graph.node("Add", errors, distances),
        output=operator.outputs[1].full_name,
    )
    graph.node(
        "Where",
        graph.node("Less", decision, graph.constant("zero", [0.0])),
        graph.constant("outlier", [-1], integer=True),
        graph.constant("inlier", [1], integer=True),
        output=operator.outputs[0].full_name,
    )


class _Decoder:
    """A fitted model's ``inverse_transform``, as a model skl2onnx converts."""

    def __init__(self, model):
        self.model = model


def _inverse_transform_shape(operator):
    """skl2onnx's shape calculator of the decoder.

    (N, n_components) -> (N, n_features), of the input's float type.
    """
    model = operator.raw_operator.model
    _set_output_shape(operator, model.n_features_in_, model.n_components_)


def _convert_inverse_transform(scope, operator, container):
    """skl2onnx converter of the decoder."""
    graph = _Graph(scope, container, operator.inputs[0].type)
    model = operator.raw_operator.model
    network = model._network()
    _decode(
        graph,
        network,
        operator.inputs[0].full_name,
        operator.outputs[0].full_name,
        _code_scale(model, network),
    )


def decoder_to_onnx(model, dtype=None, *, target_opset=None):
    """The ``inverse_transform`` of a fitted model as an ONNX graph.

    ``skl2onnx.to_onnx(model, X[:1])`` exports ``transform`` (the encoder);
    this exports the decoder, which maps codes back to the units of X.

    Parameters
    ----------
    model : AutoencoderTransformer
        A fitted autoencoder.

    dtype : {numpy.float32, numpy.float64} or None, default=None
        Type of the graph's input and output; None uses that of the model's
        weights (float32 if it was fitted on float32 data, float64 otherwise).

    target_opset : int or None, default=None
        ONNX opset of the graph, as for ``skl2onnx.to_onnx``; None for the
        newest that skl2onnx supports.

    Returns
    -------
    onnx_model : onnx.ModelProto
        A graph with one input ``"Z"``, codes of shape (n_samples,
        n_components), and one output ``"X_hat"``, the reconstructions of
        shape (n_samples, n_features).

    See Also
    --------
    skae.AutoencoderTransformer.inverse_transform : What the graph computes.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.onnx import decoder_to_onnx
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(
    ...     n_components=8, hidden_layer_sizes=(32,), tol=1e-2, random_state=0
    ... ).fit(X)
    >>> onnx_model = decoder_to_onnx(ae)  # float64, as the model
    >>> session = ort.InferenceSession(
    ...     onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> Z = ae.transform(X[:5])
    >>> X_hat = session.run(None, {"Z": Z})[0]
    >>> X_hat.shape
    (5, 64)
    >>> bool(np.allclose(X_hat, ae.inverse_transform(Z), rtol=0, atol=1e-9))
    True
    """
    if not isinstance(model, AutoencoderTransformer):
        raise TypeError(
            f"decoder_to_onnx takes a fitted AutoencoderTransformer, got {model!r}."
        )
    check_is_fitted(model)
    dtype = np.dtype(model.coefs_[0].dtype if dtype is None else dtype)
    if dtype not in _TYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    tensor_type = _TYPES[dtype]
    return to_onnx(
        _Decoder(model),
        initial_types=[("Z", tensor_type([None, model.n_components_]))],
        final_types=[("X_hat", tensor_type([None, model.n_features_in_]))],
        target_opset=target_opset,
    )


update_registered_converter(
    AutoencoderTransformer,
    "SkaeAutoencoderTransformer",
    _transform_shape,
    _convert_transform,
)
update_registered_converter(
    AutoencoderOutlierDetector,
    "SkaeAutoencoderOutlierDetector",
    _detector_shape,
    _convert_detector,
)
update_registered_converter(
    _Decoder,
    "SkaeAutoencoderDecoder",
    _inverse_transform_shape,
    _convert_inverse_transform,
)
