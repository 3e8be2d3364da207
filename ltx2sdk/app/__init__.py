"""The application layer: what people run. :func:`~.generate.generate` (a request to a video),
progress a person understands (:mod:`.progress`), batches (:mod:`.batch`) and the ``ltx2``
command line (:mod:`.cli`). ``runpod_handler.py`` at the repository root is the worker's entry
point on top of this layer.

Import rule: this is the top of the SDK. It may import ``builders`` and every layer below;
nothing below imports it. Imports inside functions here keep the command line's start-up fast
(pydantic, ``requests``, Pillow), each with a comment saying so.
"""
