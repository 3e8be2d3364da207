"""Tests of ``ltx2sdk.interop``."""
