/**
 * Why a course is reported: a fixed list, so that the publisher's admins can sort their
 * queue and a Flag from another node maps onto the same words.
 */
export const REPORT_REASONS = [
  "personal-data",
  "copyright",
  "broken",
  "inappropriate",
  "other",
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** A report this node sent about another node's course, or one it received about its own. */
export const REPORT_DIRECTIONS = ["sent", "received"] as const;
export type ReportDirection = (typeof REPORT_DIRECTIONS)[number];

/** Open until an admin answers it or closes it (with or without acting on it). */
export const REPORT_STATES = ["open", "answered", "resolved"] as const;
export type ReportState = (typeof REPORT_STATES)[number];
