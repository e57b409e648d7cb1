"""Whether a name says it holds a secret, and what a secret looks like (shared by the SEC rules).

Names are split into words (``camelCase``, ``snake_case``, ``kebab-case``) and the secret word must end
the name: ``keyVaultName``, ``keyword``, ``monkey``, ``secretName`` or ``tokenUrl`` are not secrets, and
neither are the ``Key``s of other systems (``JiraProjectKey``, ``issueKey``, ``partitionKey``,
``publicKey``, …). SEC501 (workflow parameters), SEC503 (template parameters, connection parameters) and
SEC504 (HTTP headers) all decide by :func:`looks_secret`, so a name is a secret for all of them or none.
"""

from __future__ import annotations

import re

from auditor import lazyre

SECURE_TYPES = frozenset({"securestring", "secureobject"})

# The word that must end a parameter name for it to hold a secret (compared on word boundaries).
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "key",
        "credential",
        "credentials",
        # names written in one lower-case word, where no word boundary is visible
        "clientsecret",
        "accesskey",
        "accountkey",
        "sharedkey",
        "workspacekey",
        "secretkey",
        "privatekey",
        "subscriptionkey",
        "masterkey",
        "primarykey",
        "secondarykey",
        "accesstoken",
        "apitoken",
        "bearertoken",
        "sastoken",
    }
)
# Two-word endings that are secrets although their last word alone is not.
SECRET_PAIRS = frozenset({("connection", "string"), ("sas", "url"), ("sas", "uri")})
# Words before 'key' / 'token' that make it an identifier of another system, not a secret.
NOT_SECRET_BEFORE = {
    "key": frozenset(
        {
            "project",
            "issue",
            "partition",
            "row",
            "sort",
            "assessment",
            "recommendation",  # a Defender recommendation's assessment key (a GUID), not a secret
            "managed",  # customer_managed_key: a reference to a Key Vault key, not key material
            "vault",  # keyVaultKey: the same
            "cmk",
            "idempotency",
            "routing",
            "foreign",
            "lookup",
            "public",
            "group",
            "object",
            "item",
            "entity",
            "record",
            "unique",
            "composite",
            "cache",
            "map",
            "dictionary",
            "ssh",
            "hash",
            "search",
            "registry",
            "sku",
            "label",
            "field",
            "index",
        }
    ),
    "token": frozenset({"continuation", "next", "page", "skip", "cancellation", "resume"}),
}

_WORD = lazyre.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(name: str) -> list[str]:
    """``ASCWorkspaceKey`` → ``['asc', 'workspace', 'key']``; ``api_key`` → ``['api', 'key']``."""
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORD.findall(part)]


def looks_secret(name: str) -> bool:
    """True when the parameter name ends with a secret word (see the module docs for the exclusions)."""
    parts = words(name)
    if not parts:
        return False
    if len(parts) >= 2 and (parts[-2], parts[-1]) in SECRET_PAIRS:
        return True
    last = parts[-1]
    if last not in SECRET_WORDS:
        return False
    before = parts[-2] if len(parts) >= 2 else None
    return not (before is not None and before in NOT_SECRET_BEFORE.get(last, frozenset()))


# ---------------------------------------------------------------- values

# HTTP headers that carry a credential although their name has no secret word.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})

# An Event Hub / Service Bus connection string with its key: the key is base64 (a real one is 44
# characters); at least 16 such characters, so placeholders ('<key>', '{key}', '...') are not keys.
_SAS_CONNECTION_STRING = lazyre.compile(
    r"Endpoint\s*=\s*sb://[^;]*;(?:[^;]*;)*?\s*SharedAccessKey\s*=\s*([A-Za-z0-9+/]{16,}={0,2})\s*(?:;|$)",
    re.IGNORECASE,
)
_WORKFLOW_PARAMETER = lazyre.compile(r"parameters\(\s*'([^']+)'\s*\)", re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    """``Authorization``, ``x-api-key``, ``Ocp-Apim-Subscription-Key``, ``X-Auth-Token``, …"""
    return name.strip().lower() in SECRET_HEADERS or looks_secret(name)


def is_workflow_expression(value: str) -> bool:
    """A Logic App expression (``@parameters('x')``, ``Bearer @{body('Get_token')?['token']}``): the value is
    computed when the workflow runs, so nothing secret is written in it. ``@@`` escapes a literal ``@``."""
    stripped = value.lstrip()
    return (stripped.startswith("@") and not stripped.startswith("@@")) or "@{" in value


def workflow_parameters_read(value: str) -> list[str]:
    """The workflow parameters a workflow expression reads (``parameters('x')``), in order."""
    return _WORKFLOW_PARAMETER.findall(value) if is_workflow_expression(value) else []


def has_literal_connection_string(value: str) -> bool:
    """True when ``value`` holds ``Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=<a key>``
    with the key written out (not a workflow expression, not a placeholder)."""
    return _SAS_CONNECTION_STRING.search(value) is not None
