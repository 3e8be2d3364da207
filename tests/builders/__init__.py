"""Tests of ``builders``."""
