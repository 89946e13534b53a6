"""Write use-cases of the compliance admin pages: requirement rules (as a draft policy
version), reason codes, risk settings, QC sampling rates, users and roles.

Every use-case locks what it changes, checks, saves and writes exactly one audit event in
the same transaction (several for a draft's creation: one per copied rule would be noise, so
one event names the version it copies). Side effects (the invitation e-mail, emptying the
rules cache) run after commit.

Four-eyes — which changes need a second compliance admin:

- Publishing requirement rules. Everyone who created or changed a draft is one of its
  editors; no editor may publish it, and neither may an admin whose compliance-admin role
  an editor granted (otherwise one admin could invite a second account of their own and
  publish alone). New rules change what every seller must prove, so the issue (and DESIGN)
  require a second person.
- Everything else is one admin's change, audited with before and after: reason codes
  (wording and kind; one is deactivated, never deleted, and decisions keep it), QC sampling
  rates (how much is sampled, never what is decided), risk settings (they apply to the next
  score, each change is on the trail and on the page with who made it) and users and roles
  (guarded instead: nobody leaves the platform without an active compliance admin). A
  two-admin flow for risk settings is the natural next step; it is not built here.
"""

from .policy import (
    RuleData,
    policy_draft_create,
    policy_draft_discard,
    policy_publish,
    policy_rule_delete,
    policy_rule_save,
)
from .reference import (
    MAX_POINTS,
    parse_countries,
    qc_sampling_rule_update,
    reason_code_create,
    reason_code_set_active,
    reason_code_update,
    risk_category_points_update,
    risk_country_class_update,
    risk_thresholds_update,
)
from .users import (
    invitation_send,
    user_invite,
    user_roles_set,
    user_second_factor_reset,
    user_set_active,
)

__all__ = [
    "MAX_POINTS",
    "RuleData",
    "invitation_send",
    "parse_countries",
    "policy_draft_create",
    "policy_draft_discard",
    "policy_publish",
    "policy_rule_delete",
    "policy_rule_save",
    "qc_sampling_rule_update",
    "reason_code_create",
    "reason_code_set_active",
    "reason_code_update",
    "risk_category_points_update",
    "risk_country_class_update",
    "risk_thresholds_update",
    "user_invite",
    "user_roles_set",
    "user_second_factor_reset",
    "user_set_active",
]
