"""The ``ltx2`` command line: :mod:`.main` (the entry point and ``build``, ``models``,
``schema``), :mod:`.request_flags` (the request's flags and their errors),
:mod:`.server_commands` (``generate``, ``check``), :mod:`.batch_command` (``batch``), and for
scripts :mod:`.reporting` (``--json``, ``--quiet``), :mod:`.config` (the settings file) and
:mod:`.completion` (``completion``); :mod:`.status_line` fits the progress lines to the
terminal.

Import rule: part of the application layer (see :mod:`ltx2sdk.app`); the top of it.
"""
