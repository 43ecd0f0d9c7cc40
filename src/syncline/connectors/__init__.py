"""Connectors: one package per external system; ``base`` holds the protocol they implement."""
