"""Tests of ``ltx2sdk.media``."""
