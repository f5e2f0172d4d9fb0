/** How the node reaches a Moodle site: its PHP on this host (cli), or web services (ws). */
export const MOODLE_DRIVERS = ["cli", "ws"] as const;
export type MoodleDriverName = (typeof MOODLE_DRIVERS)[number];
