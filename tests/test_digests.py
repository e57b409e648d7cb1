"""auditor.digests: the same bytes as hashlib, without loading OpenSSL's _hashlib."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from auditor import digests


@pytest.mark.parametrize("data", [b"", b"abc", "é\u2603\U0001f600".encode(), bytes(range(256)) * 300])
def test_digests_equal_hashlibs(data: bytes) -> None:
    assert digests.sha1(data).hexdigest() == hashlib.sha1(data).hexdigest()
    assert digests.sha256(data).digest() == hashlib.sha256(data).digest()


def test_a_scan_with_findings_and_placeholder_hashes_does_not_load_openssl(tmp_path) -> None:
    template = tmp_path / "t.json"
    template.write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
        '"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Security/automations",'
        '"apiVersion": "2019-01-01-preview", "name": "[concat(\'a\', uniqueString(resourceGroup().id),'
        ' guid(\'x\'))]", "location": "westeurope", "properties": {}}]}'
    )
    probe = (
        "import sys\nfrom auditor.cli import main\n"
        f"code = main(['scan', {str(template)!r}, '--no-config', '--format', 'json'])\n"
        "print('LOADED', sorted(m for m in ('hashlib', '_hashlib') if m in sys.modules), code)"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert '"fingerprint"' in run.stdout  # findings were fingerprinted
    assert run.stdout.rstrip().endswith("LOADED [] 1"), run.stdout[-500:] + run.stderr
