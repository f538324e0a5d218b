"""Fake MISO server for tests and offline demos."""
