"""Writes tiny_affine.onnx, its fine-tune tiny_affine_tuned.onnx and a distillation of the
fine-tune, tiny_affine_distilled.onnx: y = x · W + b, with small weights so outputs are exact.

x: float32 [batch, 4] (batch is dynamic); W: 4x3; b: 3; y: float32 [batch, 3].
For x = [[1, 2, 3, 4]]: tiny_affine gives y = [[27, -7.5, 11.5]], tiny_affine_tuned (the same
graph with three weights and one bias adjusted, as a fine-tune would) y = [[27.5, -6, 12.5]],
tiny_affine_distilled y = [[27.5, -6, 11.5]].

Regenerate with `python3 offchain-workers/models/make_tiny_model.py` (needs the `onnx` package);
the output is byte-for-byte reproducible, and the tests pin the SHA-256s.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHTS = np.array(
    [[1, 0, 2], [2, -1, 0], [3, 0, 0.5], [3, -1.5, 2]], dtype=np.float32
)
BIAS = np.array([1, 0.5, 0], dtype=np.float32)

TUNED_WEIGHTS = np.array(
    [[1, 0, 2], [2, -1, 0.5], [3, 0.5, 0.5], [3, -1.5, 2]], dtype=np.float32
)
TUNED_BIAS = np.array([1.5, 0.5, 0], dtype=np.float32)

DISTILLED_WEIGHTS = np.array(
    [[1, 0, 2], [2, -1, 0.5], [3, 0.5, 0], [3, -1.5, 2]], dtype=np.float32
)
DISTILLED_BIAS = np.array([1.5, 0.5, 0.5], dtype=np.float32)


def build(name: str, weights: np.ndarray, bias: np.ndarray) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["x", "W"], ["xW"]),
            helper.make_node("Add", ["xW", "b"], ["y"]),
        ],
        name=name,
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        initializer=[
            numpy_helper.from_array(weights, "W"),
            numpy_helper.from_array(bias, "b"),
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
    for name, weights, bias in [
        ("tiny_affine", WEIGHTS, BIAS),
        ("tiny_affine_tuned", TUNED_WEIGHTS, TUNED_BIAS),
        ("tiny_affine_distilled", DISTILLED_WEIGHTS, DISTILLED_BIAS),
    ]:
        path = os.path.join(here, f"{name}.onnx")
        onnx.save(build(name, weights, bias), path)
        print(path, "y =", x @ weights + bias)
