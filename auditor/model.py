"""The normalized inventory: what every source produces and every check reads.

Sources (ARM templates, exported JSON, policies, later Terraform and live
scans) all build the same objects; checks are pure functions of an
:class:`Inventory`. Every element carries an :class:`Origin` (file, line,
column, JSON path, deployment) so a finding can point at the exact line, and
values that could not be known statically are :class:`~auditor.unknown.Unknown`
(checks never fire on them).

Links between resources (automation action → Logic App → trigger →
``$connections`` key → connection → managed API) are resolved once by
:mod:`auditor.link` and exposed through the indexes on :class:`Inventory`.
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any, Literal, TypeAlias

from auditor.budget import reraise_bugs
from auditor.records import record
from auditor.unknown import Unknown


def _str_or_unknown(value: Any) -> Any:
    """The last line of defence for names and ids: a value that is neither text nor Unknown.

    Sources validate what they read and report a wrong type with file and line
    (``invalid-template-shape``) before building an element, so this only runs when one
    forgot: the scan goes on with an Unknown instead of a ValidationError, and the test
    suite (:func:`~auditor.budget.reraise_bugs`) fails so the source gets fixed.
    """
    if value is None or isinstance(value, str | Unknown):
        return value
    if reraise_bugs():
        raise TypeError(f"a source passed a {type(value).__name__} where a string or Unknown belongs")
    return Unknown(f"the value is a {type(value).__name__}, not a string")


MaybeStr: TypeAlias = "str | Unknown"
Text: TypeAlias = "str | Unknown | None"
"""A text field: the string as written, an Unknown (not known before deployment), or None (absent).

Checks test ``isinstance(x, str)`` once and know the rest; a source that passes a number or an object
here is a bug (:func:`_str_or_unknown`).
"""
JsonValue = Any
"""A JSON value as the source read it (object, array, scalar), possibly holding Unknowns: the shape is
the check's to test, because Azure accepts several (a rule's ``expectedValue``, a role's ``permissions``).
"""
MaybeBool = bool | Unknown


# The annotations (strings: ``from __future__ import annotations``) of the fields _str_or_unknown guards.
_TEXT_ANNOTATIONS = frozenset({"Text", "MaybeStr", "MaybeStr | None"})
# Per class: (every field name, the Text / MaybeStr ones), found on first use.
_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


class _Model:
    """Base of the inventory types: each is a :func:`~auditor.records.record` (a frozen dataclass) with
    slots and keyword-only fields.

    Records rather than pydantic models, because a one-file scan must start in a few Python start-ups and
    importing pydantic alone costs more than that (issue 14, benchmarks/startup.py); records rather than
    ``@dataclass(frozen=True)``, because defining the 29 types that way costs ~15 ms of CPU, a record
    ~5 ms. What pydantic enforced is kept: immutability, no unknown field (the signature refuses one),
    keyword arguments only, and the guard on text fields (:func:`_str_or_unknown`, run by
    ``__post_init__`` on every ``Text`` / ``MaybeStr`` field). A copy with changes is
    ``dataclasses.replace(element, field=value)``.
    """

    __slots__ = ()

    def __post_init__(self) -> None:
        for name in _fields_of(type(self))[1]:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str | Unknown):
                object.__setattr__(self, name, _str_or_unknown(value))


def _fields_of(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``cls``'s field names and its ``Text`` / ``MaybeStr`` field names, found once per class."""
    found = _FIELDS.get(cls)
    if found is None:
        every = fields(cls)
        found = (
            tuple(f.name for f in every),
            tuple(f.name for f in every if f.type in _TEXT_ANNOTATIONS),
        )
        _FIELDS[cls] = found
    return found


@record(slots=True, kw_only=True)
class Origin(_Model):
    """Where an element was declared. Lines and columns are 1-based; 0 = unknown."""

    file: str | None
    line: int = 0
    column: int = 0
    json_path: str = ""
    resource: str | None = None  # ARM id when known, else the resource's symbolic description
    deployment: str | None = None  # e.g. "policy 'x' / nested deployment 'y'"
    # The deployment unit an inventory element was read in: the scanned file (ARM, Bicep with the modules
    # it calls, a policy or exported document) or Terraform root module folder it came from; None for live
    # resources, whose ids are real. Set on elements (not on their parts) by the builder; links prefer a
    # target of the same unit, so a verdict on a file does not depend on what else is scanned.
    unit: str | None = None


# ---------------------------------------------------------------- automations


@record(slots=True, kw_only=True)
class AutomationRule(_Model):
    """One triggering rule (``propertyJPath`` / ``propertyType`` / ``expectedValue`` / ``operator``)."""

    jpath: Text = None
    property_type: Text = None
    expected_value: JsonValue = None
    operator: Text = None
    origin: Origin


@record(slots=True, kw_only=True)
class RuleSet(_Model):
    """Rules that must all match (AND); rule sets of a source are OR-ed."""

    rules: list[AutomationRule] = field(default_factory=list)
    origin: Origin
    unresolved: Unknown | None = None  # the rule set (or its rules array) itself was unknown


@record(slots=True, kw_only=True)
class AutomationSource(_Model):
    """An event source (``Alerts``, ``Assessments``, …) with its rule sets."""

    event_source: Text = None
    rule_sets: list[RuleSet] = field(default_factory=list)
    rule_sets_unknown: Unknown | None = None
    origin: Origin


@record(slots=True, kw_only=True)
class AutomationScope(_Model):
    """A ``scopePath`` the automation listens on."""

    scope_path: Text = None
    origin: Origin


@record(slots=True, kw_only=True)
class TemplateParameter(_Model):
    """A parameter a deployment template declares: ARM ``parameters``, Bicep ``param``, Terraform ``variable``.

    Sources record the declarations of the templates that deploy what auditor reads (an automation, a
    Logic App, a connection, a policy definition; in Terraform, a module that maps one of them), once per
    declaration, at the declaration's line. ``type`` is as declared (``string``, ``secureString``,
    ``object``, …; Terraform: the ``type`` expression's text, None when untyped). ``secure`` says whether
    the value is kept out of what a reader sees (``securestring``/``secureObject``, Bicep ``@secure()``,
    Terraform ``sensitive = true``); Unknown when the declaration cannot be read.
    """

    name: str
    type: Text = None
    secure: MaybeBool = False
    has_default: bool = False
    language: Literal["arm", "bicep", "terraform"] = "arm"
    origin: Origin


SecretKind = Literal[
    "http-authentication",  # an Http/HttpWebhook action's authentication password, secret, pfx or raw value
    "http-header",  # a header of an Http/HttpWebhook action (the check decides which names are secret)
    "secure-parameter",  # the value (or default) a SecureString/SecureObject workflow parameter is given
    "connection-parameter",  # an entry of a connection's parameterValues (or parameterValueSet values)
    "connection-string",  # an automation EventHub action's connectionString
    "definition-text",  # a string of a workflow definition that holds 'SharedAccessKey='
]


@record(slots=True, kw_only=True)
class SecretInput(_Model):
    """A value that is a credential by where it is written (SEC503-SEC505 read these).

    ``value`` is what it evaluated to: a literal string, a workflow expression (``@parameters('x')``,
    ``@body('Get_secret')?['value']``), or Unknown (``listKeys()``, a parameter without a value, a
    Terraform attribute known after apply). ``parameter`` is the template parameter (Terraform variable)
    the value is written as directly (``[parameters('x')]``, a Bicep ``x``, ``var.x``), else None.
    ``field`` names the place (``authentication.password``, ``headers.Authorization``, ``sharedkey``),
    ``owner`` what it belongs to as a message names it (``action 'Call_API'``, ``trigger 'manual'``,
    ``workflow parameter 'apiKey'``; None for connections and automations). The value is never shown.
    """

    kind: SecretKind
    field: str
    value: Text = None
    parameter: TemplateParameter | None = None
    owner: str | None = None
    origin: Origin


@record(slots=True, kw_only=True)
class AutomationAction(_Model):
    """An action; for ``LogicApp`` the target id and the callback the ``uri`` comes from."""

    action_type: Text = None
    logic_app_id: Text = None
    uri: Text = None  # str (a literal URL), CallbackUrl, Unknown or None
    target_id: Text = None  # eventHubResourceId / workspaceResourceId for other types
    origin: Origin
    uri_origin: Origin | None = None
    connection_string: SecretInput | None = None  # EventHub actions: ``connectionString``


@record(slots=True, kw_only=True)
class Automation(_Model):
    """A ``Microsoft.Security/automations`` resource."""

    id: MaybeStr
    name: MaybeStr
    api_version: MaybeStr | None = None
    is_enabled: JsonValue = None
    scopes: list[AutomationScope] = field(default_factory=list)
    scopes_unknown: Unknown | None = None
    sources: list[AutomationSource] = field(default_factory=list)
    sources_unknown: Unknown | None = None
    actions: list[AutomationAction] = field(default_factory=list)
    actions_unknown: Unknown | None = None
    origin: Origin
    from_policy: str | None = None  # policy definition name when embedded in a DINE policy
    # The origin of the policy assignment whose parameter values this copy of the policy's automation was
    # evaluated with (None: evaluated with the definition's defaults, the verdict on the definition alone).
    from_assignment: Origin | None = None


# ---------------------------------------------------------------- logic apps


@record(slots=True, kw_only=True)
class ConnectionRef(_Model):
    """How a trigger or action names its connection: ``@parameters('$connections')['key']['connectionId']``."""

    key: str | None = None  # None when the reference could not be parsed
    raw: JsonValue = None


@record(slots=True, kw_only=True)
class Trigger(_Model):
    """A workflow trigger."""

    name: str
    type: Text = None  # ApiConnectionWebhook, Request, Recurrence, ...
    kind: Text = None
    connection: ConnectionRef | None = None
    path: Text = None
    method: Text = None
    problems: tuple[str, ...] = ()  # structural problems found while reading it (LA105)
    origin: Origin


@record(slots=True, kw_only=True)
class WorkflowAction(_Model):
    """A workflow action that uses a connection (nested scopes are flattened)."""

    name: str
    type: Text = None
    connection: ConnectionRef | None = None
    path: Text = None
    origin: Origin


@record(slots=True, kw_only=True)
class ConnectionBinding(_Model):
    """An entry of the workflow's ``parameters.$connections.value``."""

    key: str
    connection_id: Text = None
    connection_name: Text = None
    api_id: Text = None
    origin: Origin


@record(slots=True, kw_only=True)
class DefinitionParameter(_Model):
    """A workflow-definition parameter (``definition.parameters``)."""

    name: str
    type: Text = None
    default: JsonValue = None
    has_default: bool = False
    origin: Origin


@record(slots=True, kw_only=True)
class Identity(_Model):
    """A managed identity block."""

    type: Text = None
    user_assigned: tuple[str, ...] = ()
    principal_id: Text = None  # the system-assigned identity's object id (exported or live resources)
    origin: Origin


@record(slots=True, kw_only=True)
class LogicApp(_Model):
    """A ``Microsoft.Logic/workflows`` resource."""

    id: MaybeStr
    name: MaybeStr
    state: Text = None
    triggers: list[Trigger] = field(default_factory=list)
    triggers_unknown: Unknown | None = None
    actions: list[WorkflowAction] = field(default_factory=list)
    bindings: list[ConnectionBinding] = field(default_factory=list)
    bindings_unknown: Unknown | None = None
    definition_parameters: list[DefinitionParameter] = field(default_factory=list)
    # HTTP credentials and headers, values given to SecureString parameters, definition strings holding a
    # shared access key (see SecretInput.kind)
    secret_inputs: list[SecretInput] = field(default_factory=list)
    identity: Identity | None = None
    definition_problems: tuple[str, ...] = ()
    origin: Origin

    def binding(self, key: str) -> ConnectionBinding | None:
        """The ``$connections`` binding for ``key`` (keys compare case-insensitively)."""
        lowered = key.lower()
        for b in self.bindings:
            if b.key.lower() == lowered:
                return b
        return None


# ---------------------------------------------------------------- connections


@record(slots=True, kw_only=True)
class Connection(_Model):
    """A ``Microsoft.Web/connections`` resource (an API connection)."""

    id: MaybeStr
    name: MaybeStr
    api_id: Text = None
    managed_api: Text = None  # last segment of api.id, or Unknown
    api_origin: Origin | None = None
    parameter_names: tuple[str, ...] = ()  # parameterValues / parameterValueSet keys present
    has_credentials: bool = False
    # parameterValues / parameterValueType (or properties) only known at deployment: whether the
    # connection carries credentials cannot be told (None when has_credentials says it).
    credentials_unknown: Unknown | None = None
    secret_inputs: list[SecretInput] = field(default_factory=list)  # parameterValues entries (text values)
    statuses: tuple[str, ...] = ()  # live: properties.statuses[].status
    statuses_unknown: Unknown | None = None  # statuses (or one of them) only known at deployment
    origin: Origin


# ---------------------------------------------------------------- access


@record(slots=True, kw_only=True)
class RoleAssignment(_Model):
    """A role assignment as declared in a template or snapshot.

    ``scope`` is the effective scope: the ``scope`` property (a relative
    ``type/name`` resolved in the deployment's resource group) or, without one,
    the scope the template deploys to. ``principal_of`` is the id of the
    resource whose managed identity the principal is, when the template says so
    (``principalId: [reference(<logic app>, …, 'full').identity.principalId]``).
    """

    id: MaybeStr | None = None
    scope: Text = None
    role_definition_id: Text = None
    principal_id: Text = None
    principal_type: Text = None
    principal_of: str | None = None
    origin: Origin


@record(slots=True, kw_only=True)
class RolePermission(_Model):
    """One permission block of a role definition, as the source read it (patterns as written)."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    condition: str | None = None
    condition_version: str | None = None


@record(slots=True, kw_only=True)
class RoleDefinition(_Model):
    """A (custom) role definition found in a template.

    ``permissions`` is parsed by the source: the blocks, an Unknown when an expression or a wrongly
    typed value (reported as SRC006) hides them, or None when the definition has none.
    """

    id: MaybeStr | None = None
    role_name: Text = None
    permissions: tuple[RolePermission, ...] | Unknown | None = None
    assignable_scopes: JsonValue = None
    origin: Origin


# ---------------------------------------------------------------- policy


@record(slots=True, kw_only=True)
class PolicyDefinition(_Model):
    """A policy definition; DINE details are kept for the POL checks."""

    name: MaybeStr
    display_name: Text = None
    effect: Text = None
    details_type: Text = None
    deploys_automation: bool = False
    existence_condition: JsonValue = None
    has_existence_condition: bool = False
    role_definition_ids: JsonValue = None
    parameters: dict[str, Any] = field(default_factory=dict)
    origin: Origin
    effect_origin: Origin | None = None


@record(slots=True, kw_only=True)
class AssignedPolicy(_Model):
    """The definition a policy assignment assigns, evaluated with the assignment's parameter values.

    Set by the source when the definition is known: scanned in the same scan (``definition_origin`` is
    where), or one of the built-in DINE policies auditor ships as data (``builtin``; its facts are in
    ``auditor/data/builtin-policies.json``, there is no file to point at). ``default_effect`` is the
    effect with the definition's defaults alone (the verdict on the definition file; None for a built-in,
    which has no file in the scan); ``effect`` the one
    with the assignment's values over the defaults (an Unknown when a value it needs is unknown).
    ``callback_target`` (built-ins only: a scanned definition's automations carry their own) is the
    trigger id the remediation lists the callback URL of; ``callback_parameters`` the policy parameters
    that choose it, trigger first.
    """

    definition: str
    display_name: Text = None
    version: str | None = None
    builtin: bool = False
    deploys_automation: bool = False
    has_existence_condition: bool = False
    effect: Text = None
    default_effect: Text = None
    effect_parameter: str | None = None
    callback_target: Text = None
    callback_parameters: tuple[str, ...] = ()
    definition_origin: Origin | None = None


@record(slots=True, kw_only=True)
class PolicyAssignment(_Model):
    """A policy assignment; ``scope`` is where it is assigned (property, else the deployment's scope).

    ``parameter_origins``: lower-case parameter name → where the assignment sets its value.
    ``assigned``: its definition evaluated with its values, when the definition is known (see
    :class:`AssignedPolicy`).
    """

    name: MaybeStr
    id: Text = None
    scope: Text = None
    from_template: bool = False  # a resource of a scanned deployment template, which creates its identity
    policy_definition_id: Text = None
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_origins: dict[str, Origin] = field(default_factory=dict)
    identity: Identity | None = None
    assigned: AssignedPolicy | None = None
    origin: Origin

    def parameter_origin(self, name: str) -> Origin | None:
        """Where the assignment sets parameter ``name`` (ARM compares parameter names case-insensitively)."""
        return self.parameter_origins.get(name.lower())


# ---------------------------------------------------------------- files


FileKind = Literal[
    "template",
    "parameters",
    "policy-definition",
    "policy-set",
    "policy-assignment",
    "resource",
    "role-definition",
    "terraform",
    "not-ours",
    "unreadable",
    "invalid",
]


ProblemCode = Literal[
    "unreadable",
    "invalid-json",
    "invalid-hcl",
    "invalid-bicep",
    "invalid-expression",
    # A value the source could not translate or follow (a Bicep registry module, a construct auditor does
    # not read): nothing about it is checked. Reported by SRC003 with the values checks needed.
    "unresolved",
    "evaluation-limit",
    # A value of the document has the wrong JSON type for where it sits (a resource ``name``
    # that is a number, ``properties`` that is a list): Azure rejects it, auditor reads it as
    # unknown. Reported by SRC006 (checks/src006_invalid_template_shape.py).
    "invalid-template-shape",
]


@record(slots=True, kw_only=True)
class Problem(_Model):
    """Something a source could not do (read, decode, parse, evaluate)."""

    code: ProblemCode
    message: str
    origin: Origin


@record(slots=True, kw_only=True)
class FileRecord(_Model):
    """One discovered file and what became of it."""

    path: str
    kind: FileKind
    detail: str | None = None  # e.g. why it was skipped


@record(slots=True, kw_only=True)
class InlineSuppression(_Model):
    """``"metadata": {"auditor": {"ignore": [...], "reason": "..."}}`` on a resource."""

    rules: tuple[str, ...]
    reason: str | None = None
    origin: Origin  # the resource; findings at or below its JSON path are covered


@record(slots=True, kw_only=True)
class AssessmentMetadata(_Model):
    """A Defender for Cloud recommendation's metadata (``Microsoft.Security/assessmentMetadata``).

    Read live (or from an exported body); AUT205 uses it for recommendations the bundled
    deprecation list does not know yet.
    """

    key: str  # the assessment key (the metadata's name, a GUID), lower-case
    display_name: str = ""
    planned_deprecation_date: str | None = None  # e.g. "07/2024"
    preview: bool = False
    origin: Origin


CoverageStatus = Literal["ok", "forbidden", "failed", "throttled-out", "timed-out"]


@record(slots=True, kw_only=True)
class CoverageRecord(_Model):
    """What a live scan could read: one subscription (None = tenant level) × one resource type."""

    subscription: str | None
    subscription_name: str | None = None
    resource_type: str
    status: CoverageStatus
    detail: str = ""  # why not ok (status code, error code, the action the identity lacks); never a secret
    items: int = 0


@record(slots=True, kw_only=True)
class ObservedEvent(_Model):
    """A Defender for Cloud event that happened (a saved alert or assessment), read by ``auditor coverage``.

    Not something a scanned file declares: the coverage command reads it from ``--events`` files and adds it
    to the inventory, so COV001 stays a pure function of the inventory and its finding points at the
    event's file and line. ``auditor scan`` never fills it, so COV001 is silent there.
    """

    label: str  # "<file>#<index>", as auditor simulate names events
    kind: str  # Alerts | Assessments | RegulatoryComplianceAssessment
    resource: str | None = None  # ARM id (or subscription) of the resource the event is about
    body: dict[str, Any] = field(default_factory=dict)  # what propertyJPath rules read
    event_type: str = ""  # alert type (or assessment name): the coverage group
    severity: str = ""  # as the event says it (High, Medium, Low, Informational), "" when absent
    origin: Origin
    shape: str = "trigger"  # "trigger" (the Logic App trigger's document) or "arm" (a REST body, converted)
    uncertain: frozenset[str] = frozenset()  # trigger fields the body read does not tell (rules: assumptions)


@record(slots=True, kw_only=True)
class Inventory(_Model):
    """Everything the sources found, with the links between resources."""

    automations: list[Automation] = field(default_factory=list)
    logic_apps: list[LogicApp] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    role_definitions: list[RoleDefinition] = field(default_factory=list)
    policy_definitions: list[PolicyDefinition] = field(default_factory=list)
    policy_assignments: list[PolicyAssignment] = field(default_factory=list)
    template_parameters: list[TemplateParameter] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    inline_suppressions: list[InlineSuppression] = field(default_factory=list)
    # Live scans (auditor.sources.live): what each subscription × resource type read gave (LIV001), and the
    # Defender recommendations' metadata (AUT205).
    coverage: list[CoverageRecord] = field(default_factory=list)
    assessment_metadata: list[AssessmentMetadata] = field(default_factory=list)
    # auditor coverage: the events of its --events files (COV001); always empty in auditor scan.
    observed_events: list[ObservedEvent] = field(default_factory=list)


INVENTORY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Inventory))
"""The names of :class:`Inventory`'s lists, in declaration order (what a source may fill)."""
