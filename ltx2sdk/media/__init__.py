"""The media layer: input files checked before any GPU time, and what a file really is.

Images and audio from base64, ``data:`` URIs or URLs (:mod:`.images`, :mod:`.audio`,
:mod:`.inline_data`), the fetcher that cannot be steered to a private address
(:mod:`.safe_fetch`), and file formats told from their bytes (:mod:`.file_formats`).

Import rule: this package imports only the foundation (``ltx2sdk.errors`` and the other
top-level modules below the request); never ``ltx2sdk.graph``, the backends, the builders or the
application layer.
"""
