"""Built-in checks: one module per rule, listed explicitly (a meta-test keeps this complete).

Each module's docstring is the rule's long documentation (``auditor rule ID``);
``RULE`` holds its metadata; ``check(inventory, ctx)`` yields findings.
"""

CHECKS = (
    "src001_unreadable_file",
    "src002_invalid_json",
    "src003_unresolved_value",
    "src004_invalid_expression",
    "sup001_unused_suppression",
    "sup002_expired_suppression",
    "sup003_stale_baseline_entry",
    "la101_legacy_defender_trigger",
    "la102_unknown_defender_connector",
    "la103_undefined_connection_reference",
    "la104_defender_trigger_path_mismatch",
    "la105_malformed_trigger",
    "la106_connection_needs_consent",
    "aut201_target_without_defender_trigger",
    "aut202_callback_trigger_not_found",
    "aut203_event_source_trigger_mismatch",
    "aut204_rule_set_never_matches",
    "aut205_deprecated_recommendation",
    "aut206_invalid_rule",
    "aut207_unknown_event_source",
    "aut208_automation_disabled",
    "aut209_automation_incomplete",
    "pol301_dine_trigger_name_mismatch",
    "pol302_dine_without_existence_condition",
    "rb400_role_prerequisites_not_evaluated",
    "rb401_deployer_cannot_write_automation",
    "rb402_deployer_cannot_resolve_callback",
    "rb403_editor_cannot_edit_logic_app",
    "rb404_responder_cannot_run_trigger",
    "rb405_logic_app_identity_overprivileged",
    "rb406_dine_remediation_cannot_deploy",
    "rb407_legacy_role",
    "rb408_eligible_only",
    "sec501_secret_in_definition",
    "sec502_literal_callback_url",
    "liv001_scan_incomplete",
)
