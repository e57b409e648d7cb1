"""RB403: an editor cannot edit the Logic App or authorise its connections.

## What it checks
For every Logic App that is part of a workflow automation (an automation in
the scan targets it, or one of its triggers is on a Defender connector) and
every declared editor (``--editor``, repeatable), whether the access snapshot
(``--access``) grants:

* ``Microsoft.Logic/workflows/write`` on the Logic App (save the workflow), and
* ``Microsoft.Web/connections/write`` and ``Microsoft.Web/connections/join/action``
  on each API connection bound in its ``$connections`` (authorise the Outlook,
  Teams or Slack connection and use it in the workflow).

One finding per Logic App and editor lists every missing action and the
smallest built-in role that grants all of them. Scopes with template
placeholders need ``--subscription``/``--resource-group``; undecidable
answers go to SRC003.

## Why it matters
The Defender for Cloud documentation asks for Logic App Contributor "for
logic app creation and modification". An editor without it can open the
designer but not save, and cannot re-authorise a connection whose consent
expired, so the playbook silently stops sending notifications.

## Example
An editor who holds Logic App Operator on the resource group:
```text
RB403 [medium] editor 22222222-… cannot edit Logic App 'la-soc-notify': missing
Microsoft.Logic/workflows/write on Logic App 'la-soc-notify', Microsoft.Web/connections/write and
Microsoft.Web/connections/join/action on connection 'office365' …; the smallest built-in role that grants
all of them is 'Logic App Contributor'
```

## Use instead
Assign Logic App Contributor to the editors on the Logic App's resource group
(it covers ``Microsoft.Logic/*`` and ``Microsoft.Web/connections/*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditor.findings import Finding, Rule, Severity

if TYPE_CHECKING:
    from auditor.checking import CheckContext
    from auditor.model import Inventory

RULE = Rule(
    id="RB403",
    name="editor-cannot-edit-logic-app",
    severity=Severity.MEDIUM,
    title="Editor cannot edit the Logic App or authorise its connections",
    fires_when=(
        "an editor lacks `Microsoft.Logic/workflows/write` on the Logic App or "
        "`Microsoft.Web/connections/write` / `join/action` on its connections"
    ),
    rationale=(
        "Without workflows/write the editor cannot save the workflow; without connections write/join they "
        "cannot authorise or use its API connections, so broken consent is never fixed."
    ),
    remediation="Assign Logic App Contributor to the editors on the Logic App's resource group.",
)


def check(inventory: Inventory, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per (Logic App, editor) with every missing action."""
    from auditor.checks._access import decide, editor_steps, outcome, smallest_role_for

    missing: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    order: list[tuple[str, str]] = []
    for step in editor_steps(inventory, ctx):
        decision = decide(ctx, step)
        if decision is None or outcome(decision) != "missing":
            continue
        key = (step.group, step.principal)
        if key not in missing:
            order.append(key)
        missing.setdefault(key, []).append((step, decision))
    for key in order:
        items = missing[key]
        first = items[0][0]
        by_subject: dict[str, list[str]] = {}
        for step, _decision in items:
            by_subject.setdefault(step.subject, []).append(step.action)
        parts = [f"{' and '.join(actions)} on {subject}" for subject, actions in by_subject.items()]
        blocking = [d for _s, decision in items for d in decision.denies if d.blocks]
        if blocking:
            tail = (
                f"deny assignment '{blocking[0].name}' at {blocking[0].scope} blocks part of it: remove or "
                "exclude the editor from it"
            )
        else:
            role = smallest_role_for(frozenset(step.action for step, _d in items))
            tail = (
                f"the smallest built-in role that grants all of them is '{role}'"
                if role
                else "no single built-in role grants all of them"
            )
        yield RULE.finding(
            f"{first.who} cannot edit {first.owner}: missing {'; '.join(parts)}; {tail}",
            at=first.at,
            key=first.principal,
        )
