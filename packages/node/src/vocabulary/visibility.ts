/** Who may read a course this node publishes: anyone, the followers of its author, or nobody else. */
export const VISIBILITIES = ["public", "followers", "private"] as const;
export type Visibility = (typeof VISIBILITIES)[number];
