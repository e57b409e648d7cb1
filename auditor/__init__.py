"""auditor: a linter and auditor for Microsoft Defender for Cloud workflow automation.

Only the version lives here so that ``auditor --version`` imports nothing else.
"""

__version__ = "0.1.0"
