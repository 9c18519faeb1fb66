"""Everything that checks hardware: cocotb testbenches, simulator runners, vectors, the comparator."""
