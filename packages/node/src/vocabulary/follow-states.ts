/** Where a follow request stands, on either side. */
export const FOLLOW_STATES = ["pending", "accepted", "rejected"] as const;
export type FollowState = (typeof FOLLOW_STATES)[number];
