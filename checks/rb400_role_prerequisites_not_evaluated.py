"""RB400: role prerequisites were not evaluated (no access snapshot or no declared principal).

## What it checks
The RB rules check *who must be able to do what* against an access snapshot:
the deployer writes the automations and resolves their callback URLs (RB401,
RB402), editors edit the Logic Apps and their connections (RB403), responders
run the triggers (RB404), DINE policy assignments' identities deploy the
automations (RB406), and RB407/RB408 report legacy and PIM-eligible-only grants.
Without a snapshot (``--access``) or without the principals whose steps are in
the scan (``--deployer``, ``--editor``, ``--responder``) those rules do not
guess: they stay silent. When role checks were asked for (a snapshot or a
principal was given, or RB rules were selected by name or prefix, e.g.
``--select RB``) but cannot run completely, this rule says so **once per
scan**, at the first automation, Logic App or policy assignment they would
have checked, naming what is missing and how to supply it. A plain
``auditor scan`` that asked for nothing stays quiet about role prerequisites,
so a clean template still gives an empty report.

RB405 (an over-privileged Logic App identity from the template's own role
assignments) and the static part of RB406 (a DINE assignment without managed
identity, or whose template-created identity is granted none of the policy's
roles) need no snapshot and run regardless.

Why a rule of its own rather than SRC003: SRC003 reports *values* of a
template that are only known at deployment, one per place, and is fixed with
``--parameters``; this is one run-level switch that is off, fixed with other
flags, and a team that does not want role checks can turn the notice off with
``ignore = ["RB400"]`` without hiding SRC003.

## Why it matters
The most common reason workflow automation "does nothing" is permissions, not
the template: a Security Admin deploys the automation but cannot list the Logic
App's callback URL, a responder with Logic App Operator cannot run the trigger.
A green scan without role checks says nothing about that.

## Example
`auditor scan deploy/ --select RB` on a folder with automations, no snapshot:
```text
deploy/azuredeploy.json:12:5 RB400 [info] role prerequisites were not evaluated for 1 automation and
1 Logic App: no access snapshot (--access FILE), no deployer (--deployer ID), …
```

## Use instead
Export the role data with ``az``, assemble one snapshot and name the principals (the README's "Role
prerequisites" has the full walk-through, with groups, PIM and the management-group tree):
```sh
az role assignment list --all --assignee <objectId> --include-inherited --include-groups -o json > assignments.json
az role definition list --custom-role-only true -o json > custom-roles.json
jq -n --slurpfile a assignments.json --slurpfile d custom-roles.json \\
  '{roleAssignments: $a[0], roleDefinitions: $d[0]}' > access.json
auditor scan deploy/ --access access.json --deployer <objectId> --editor <objectId> --responder <objectId> \\
  --subscription <subscriptionId> --resource-group <resourceGroup>
auditor access explain access.json --principal <objectId> --scope <scope> --action <action>
```
or in the configuration:
```toml
access = "access.json"
[tool.auditor.principals]
deployer = "<objectId>"
editors = ["<objectId>"]
responders = ["<objectId>"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory, Origin

RULE = Rule(
    id="RB400",
    name="role-prerequisites-not-evaluated",
    severity=Severity.INFO,
    title="Role prerequisites were not evaluated (no access snapshot or principal)",
    fires_when=(
        "role checks were asked for (`--select RB`, a snapshot or a principal) but the snapshot, a "
        "principal or the deployment target is missing; once per scan"
    ),
    rationale=(
        "RB rules never guess who holds which role; without an access snapshot and the principals' object ids "
        "the permission steps of the workflow automation go unchecked, and this says so once."
    ),
    remediation=(
        "Pass --access SNAPSHOT.json with --deployer, --editor and --responder object ids (or 'access' and "
        "[principals] in the configuration); see 'Role prerequisites' in the README."
    ),
)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per scan when there is something to check and the means to check it are missing."""
    from auditor.checks._access import (
        DEPLOYER,
        EDITORS,
        FLAG,
        PLACEHOLDER,
        RESPONDERS,
        dine_assignments,
        workflow_logic_apps,
    )

    automations = [a for a in inventory.automations if a.from_policy is None]
    logic_apps = [la for la, _triggers in workflow_logic_apps(inventory, ctx)]
    if not ctx.settings.roles_requested:
        return
    assignments = [a for a, _definition in dine_assignments(inventory)]
    needed = {DEPLOYER: bool(automations), EDITORS: bool(logic_apps), RESPONDERS: bool(logic_apps)}
    if not (automations or logic_apps or assignments):
        return
    missing: list[str] = []
    if ctx.access is None:
        missing.append("no access snapshot (--access FILE)")
    for role, wanted in needed.items():
        if wanted and not ctx.principals(role):
            missing.append(f"no {role} ({FLAG[role]} ID)")
    placeholders = sum(
        1 for e in [*automations, *logic_apps] if isinstance(e.id, str) and PLACEHOLDER.search(e.id)
    )
    if placeholders:
        missing.append(
            f"no deployment target ({placeholders} of their ids still hold template placeholders such as "
            "{subscriptionId}: pass --subscription ID --resource-group NAME)"
        )
    if not missing:
        return
    subjects = [
        _plural(len(automations), "automation") if automations else "",
        _plural(len(logic_apps), "Logic App") if logic_apps else "",
        _plural(len(assignments), "DINE policy assignment") if assignments else "",
    ]
    subject = " and ".join(s for s in subjects if s)
    first: Origin = (automations or logic_apps or assignments)[0].origin
    if ctx.access is None:
        lead = f"role prerequisites were not evaluated for {subject}"
    else:
        lead = f"role prerequisites of {subject} were only partly evaluated"
    yield RULE.finding(
        f"{lead}: {', '.join(missing)}; pass --access access.json with the principals' object ids "
        "(--deployer, --editor, --responder), or set 'access' and [principals] in the configuration "
        "('auditor rule RB400')",
        at=first,
    )
