/** The HTTP signature schemes the node can try first with a server it has not met. */
export const FIRST_KNOCKS = ["rfc9421", "draft-cavage"] as const;
export type FirstKnock = (typeof FIRST_KNOCKS)[number];
