"""Live-scanning tests against the local ARM / Entra ID emulator (a package, so that its conftest
does not shadow the suite's top-level ``conftest`` module)."""
