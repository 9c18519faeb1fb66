"""cocotb test modules (run inside the simulator by sim.tools.build_and_test)."""
