"""Tests of ``ltx2sdk.graph``."""
