import type { MoodleSiteInfo } from "@coursefed/moodle";
import type { TestNode } from "../support/test-node.ts";

/**
 * Two Moodle targets as their last probe saw them, never contacted: "moodle-45" restores
 * any small standard course, "moodle-small" refuses backups over 1 kB.
 */
export async function addProbedTargets(node: TestNode): Promise<void> {
  const targets = node.node.services.moodleTargets;
  for (const [name, maxRestoreBytes] of [
    ["moodle-45", null],
    ["moodle-small", 1000],
  ] as const) {
    const target = await targets.add({
      name,
      driver: "cli",
      url: `https://${name}.example`,
      moodleDir: "/nonexistent/moodle",
    });
    const site: MoodleSiteInfo = {
      version: "2024100706.00",
      release: "4.5.6 (Build: 20250811)",
      branch: "4.5",
      plugins: { mod_glossary: 2024100700 },
      maxRestoreBytes,
    };
    await targets.saveProbe(target, site);
  }
}
