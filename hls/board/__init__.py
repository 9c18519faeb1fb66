"""Board builds: the UART shell around ``qnn_top`` on iCEBreaker / ULX3S, from a run to a bitstream.

``boards`` describes each board (device, oscillator, pins), ``pll`` computes the PLL dividers as
``icepll`` / ``ecppll`` do, ``top`` writes the board top and its pin constraints, ``build`` folds,
synthesizes, places, routes and packs (``qnn board RUN --board NAME``).  The Verilog lives in
``hls/rtl/board``; docs/board.md describes the protocol.
"""
