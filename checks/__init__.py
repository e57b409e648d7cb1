"""Built-in checks: one module per rule, listed explicitly (a meta-test keeps this complete).

Each module's docstring is the rule's long documentation (``auditor rule ID``);
``RULE`` holds its metadata; ``check(inventory, ctx)`` yields findings.
"""

CHECKS = (
    "src001_unreadable_file",
    "src002_invalid_json",
    "src003_unresolved_value",
    "src004_invalid_expression",
    "la101_legacy_defender_trigger",
    "la102_unknown_defender_connector",
    "la103_undefined_connection_reference",
)
