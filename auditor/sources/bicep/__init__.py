"""The Bicep source: ``.bicep`` and ``.bicepparam`` files translated to ARM and evaluated on the core.

:mod:`.syntax` parses with tree-sitter-bicep, :mod:`.translate` writes the ARM template ``bicep build``
would (positions kept on the Bicep text), :mod:`.source` follows local modules and parameters files and
adds the result to the inventory. Importing this package imports neither tree-sitter nor the translator.
"""
