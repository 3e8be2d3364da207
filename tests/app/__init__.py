"""Tests of ``ltx2sdk.app``."""
