"""The host side of the board shell: the byte protocol, transports (a serial port, or the Verilator model
of the board top), and the driver that sends vectors and checks the replies against the golden model."""
