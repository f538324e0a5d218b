"""The three MISO HTTP surfaces: Data Exchange, Public API, Market Reports."""
