"""Writes tiny_affine.onnx: y = x · W + b, with small integer weights so outputs are exact.

x: float32 [batch, 4] (batch is dynamic); W: 4x3; b: 3; y: float32 [batch, 3].
For x = [[1, 2, 3, 4]], y = [[27, -7.5, 11.5]].

Regenerate with `python3 offchain-workers/models/make_tiny_model.py` (needs the `onnx` package);
the output is byte-for-byte reproducible, and the tests pin its SHA-256.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHTS = np.array(
    [[1, 0, 2], [2, -1, 0], [3, 0, 0.5], [3, -1.5, 2]], dtype=np.float32
)
BIAS = np.array([1, 0.5, 0], dtype=np.float32)


def build() -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["x", "W"], ["xW"]),
            helper.make_node("Add", ["xW", "b"], ["y"]),
        ],
        name="tiny_affine",
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        initializer=[
            numpy_helper.from_array(WEIGHTS, "W"),
            numpy_helper.from_array(BIAS, "b"),
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
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_affine.onnx")
    onnx.save(build(), path)
    x = np.array([[1, 2, 3, 4]], dtype=np.float32)
    print(path, "y =", x @ WEIGHTS + BIAS)
