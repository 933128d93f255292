"""Writes tiny_mlp.onnx: a two-layer perceptron, y = relu(x · W1 + b1) · W2 + b2, with small
weights so outputs are exact. Its graph has four cut points (h1, h1b, h1r, h2), so a checkpointed
run has five segments: what the audit tests bisect.

x: float32 [batch, 4] (batch is dynamic); W1: 4x5; W2: 5x3; y: float32 [batch, 3].
For x = [[1, 2, 3, 4]]: y = [[20, -4.5, 20]].

Regenerate with `python3 offchain-workers/models/make_tiny_mlp.py` (needs the `onnx` package);
the output is byte-for-byte reproducible, and the tests pin its SHA-256.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W1 = np.array(
    [[1, 0, -1, 2, 0.5], [0, 1, 1, -1, 0], [2, -1, 0, 0, 1], [0.5, 0, 1, 1, -2]],
    dtype=np.float32,
)
B1 = np.array([0, 1, -2, 0.5, 1], dtype=np.float32)
W2 = np.array(
    [[1, 0, 2], [0, -1, 0.5], [2, 0, 1], [1, -1, 0], [0.5, 2, -1]], dtype=np.float32
)
B2 = np.array([0.5, 0, -1], dtype=np.float32)


def build() -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["x", "W1"], ["h1"]),
            helper.make_node("Add", ["h1", "b1"], ["h1b"]),
            helper.make_node("Relu", ["h1b"], ["h1r"]),
            helper.make_node("MatMul", ["h1r", "W2"], ["h2"]),
            helper.make_node("Add", ["h2", "b2"], ["y"]),
        ],
        name="tiny_mlp",
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        initializer=[
            numpy_helper.from_array(W1, "W1"),
            numpy_helper.from_array(B1, "b1"),
            numpy_helper.from_array(W2, "W2"),
            numpy_helper.from_array(B2, "b2"),
        ],
    )
    model = helper.make_model(
        graph,
        producer_name="cairn",
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
    )
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    x = np.array([[1, 2, 3, 4]], dtype=np.float32)
    path = os.path.join(here, "tiny_mlp.onnx")
    onnx.save(build(), path)
    print(path, "y =", np.maximum(x @ W1 + B1, 0) @ W2 + B2)
