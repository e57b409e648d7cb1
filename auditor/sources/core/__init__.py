"""The core every source builds on: positioned JSON, cursors, resource bodies → model, ARM evaluation.

A source (``arm``, ``terraform``, ``live``) finds and reads its own files or
answers and hands resource bodies to this core; no source imports another.
``evaluation`` is the ARM template language (expressions, functions, the
template evaluator): ARM files are its first user, but a DINE policy's embedded
deployment (from any source) and Bicep's compiled output are ARM too.
"""
