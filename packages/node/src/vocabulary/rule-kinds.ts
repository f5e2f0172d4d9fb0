/** What an auto-restore rule reacts to, and how it restores. */
export const RULE_EVENTS = ["new", "updated", "both"] as const;
export const RULE_MODES = ["new-course", "update-in-place"] as const;
