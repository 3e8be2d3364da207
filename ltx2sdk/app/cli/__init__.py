"""The ``ltx2`` command line: :mod:`.main` (the entry point and ``build``, ``models``,
``schema``), :mod:`.request_flags` (the request's flags and their errors),
:mod:`.server_commands` (``generate``, ``check``) and :mod:`.batch_command` (``batch``).

Import rule: part of the application layer (see :mod:`ltx2sdk.app`); the top of it.
"""
