"""SEC501-SEC505 report secrets: no output format may ever print one.

Every positive fixture of both rules is scanned through the real CLI in every
report format, with the two rules selected and with every rule, and the
secret values written in those fixtures must appear nowhere in stdout or
stderr (the ``sig=`` values are redacted to ``sig=***``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
RULES = ("SEC501", "SEC502", "SEC503", "SEC504", "SEC505")
CASES = sorted(p for rule in RULES for p in (FIXTURES / rule).glob("positive_*"))

# Literal secrets (and secret placeholders) written in the positive fixtures.
SECRETS = (
    "Q~x8Yk2Lm7Np3Rs9Tv1Wz5Bc0Df4Gh6Jk8Lm2Np",  # client_secret of the exported workflow
    "tiKey_9f3b7d1e5a2c8f4b6d0e1a7c3b9d5f2e",  # ThreatIntelApiKey default
    "your-workspace-primary-key",  # WorkspaceKey default
    "3f9c1b7e4d2a48a6b1c0e5f7d8a9b2c4",  # ticketingApiKey default (Terraform)
    "replace-me",  # siem_client_secret default (SEC503, Terraform)
    "d29ya3NwYWNlLXNoYXJlZC1rZXktZml4dHVyZQ==",  # workspaceSharedValue default (SEC503)
    "Tk7#pLq2!vW9sRz4",  # Basic password of an HTTP action (SEC504)
    "Zx8Q~mN3vB6cT1yU4iO7pA0sD2fG5hJ9kL",  # OAuth client secret of an HTTP action (SEC504)
    "ak_live_5c1f9e3b7a2d4f608e1b9c3d5a7f2e4b",  # x-api-key header (SEC504)
    "c2VjcmV0LXNhcy1rZXktZm9yLWZpeHR1cmVzLW9ubHk=",  # Event Hub shared access key (SEC505)
    "bm90LWEtcmVhbC1rZXktanVzdC1hLXRlc3QtdmFsdWU=",  # Service Bus shared access key (SEC505)
)
_SIG = re.compile(r"sig=([^&\"\s]+)", re.IGNORECASE)


def _formats() -> list[str]:
    try:
        from auditor.reports import FORMATS
    except ImportError:  # pragma: no cover - older layout
        return ["text", "json"]
    return sorted(FORMATS)


def _secrets_in(case: Path) -> set[str]:
    files = (
        [case]
        if case.is_file()
        else sorted(p for p in case.rglob("*") if p.suffix in (".json", ".tf", ".bicep", ".bicepparam"))
    )
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    found = {m.group(1) for m in _SIG.finditer(text)}
    found.update(s for s in SECRETS if s in text)
    return found


def test_fixtures_hold_secrets() -> None:
    assert CASES
    for case in CASES:
        assert _secrets_in(case), f"{case.name} holds none of the known secrets"


@pytest.mark.parametrize("fmt", _formats())
@pytest.mark.parametrize("select", [["--select", ",".join(RULES)], []], ids=["sec-only", "all-rules"])
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_no_secret_in_any_output(
    case: Path, fmt: str, select: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", str(case), "--format", fmt, *select])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "SEC50" in out
    for secret in _secrets_in(case):
        assert secret not in out, f"{fmt} output prints a secret of {case.name}"
        assert secret not in err, f"stderr prints a secret of {case.name}"


def test_callback_url_is_shown_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    main(["scan", str(FIXTURES / "SEC502" / "positive_uri_parameter_default.json"), "--format", "json"])
    out = capsys.readouterr().out
    assert "/triggers/When_an_Azure_Security_Center_Alert_is_created_or_triggered/paths/invoke?" in out
    assert "&sv=1.0&sig=***" in out
