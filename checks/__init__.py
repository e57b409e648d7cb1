"""Built-in checks: one module per rule, found by name (``auditor.registry``).

Each module's docstring is the rule's long documentation (``auditor rule ID``);
``RULE`` holds its metadata; ``check(inventory, ctx)`` yields findings. Modules
whose names start with ``_`` are shared helpers, not checks. Adding a module here
adds the rule: the catalog, ``auditor rules``, SARIF, ``docs/rules.md`` and the
README table all follow from it.
"""
