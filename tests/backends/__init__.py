"""Tests of ``ltx2sdk.backends``."""
