"""Checks that two executions of one model agree: a mismatch raises ``CheckFailed`` naming the first one.

- ``logits``: golden logits against a reference's (exact, within the float tail's float32 rounding, ties);
- ``levels``: golden against a float32 reference (qonnx's execution of the file) at every quantizer, as integer
  levels, each layer fed the golden model's own input so a difference stays where it arises; a level that differs
  only because the reference's float32 arithmetic crossed a rounding boundary is a reported boundary case, judged
  against the exact value (the same segment executed in float64); anything else fails naming the layer;
- ``rtl``: the one-line message of an RTL simulation that is not bit-exact.
"""
from qnn.checks.logits import FLOAT32_REL, argmax_agrees, check_logits, compare_logits, tail_tolerance
from qnn.checks.rtl import rtl_mismatch

__all__ = ["FLOAT32_REL", "argmax_agrees", "check_logits", "compare_logits", "rtl_mismatch", "tail_tolerance"]
