import type { RestoreDestination } from "@coursefed/moodle";
import type { RevisionReceived } from "../catalog/catalog-events.ts";
import { type RestoreRequestStores, requestRestore } from "./restore-service.ts";

/**
 * Queues the restores that the auto-restore rules ask for. "update-in-place" restores a
 * new revision over the Moodle course restored from the same object before (replace
 * keeps the course id); the first time, it makes a new course in the rule's category.
 */
export async function applyRestoreRules(
  services: RestoreRequestStores,
  arrived: RevisionReceived,
): Promise<number> {
  const actors = arrived.announcedBy ? [arrived.actorUri, arrived.announcedBy] : [arrived.actorUri];
  const rules = (await services.restores.rulesMatching(actors, arrived.tags)).filter(
    (rule) => rule.on === "both" || (rule.on === "new") === arrived.isNew,
  );
  for (const rule of rules) {
    const target = await services.moodleTargets.byId(rule.targetId);
    if (!target) continue;
    const previous =
      rule.mode === "update-in-place"
        ? (await services.restores.restoredFrom(arrived.objectUri, rule.targetId))[0]
        : undefined;
    const destination: RestoreDestination = previous
      ? { kind: "existing-course", courseId: previous.moodleCourseId, mode: "replace" }
      : { kind: "new-course", categoryId: rule.categoryId };
    await requestRestore(services, {
      objectUri: arrived.objectUri,
      revision: arrived.revision,
      targetName: target.name,
      destination,
      requestedBy: `rule ${rule.id}`,
      ruleId: rule.id,
    });
  }
  return rules.length;
}
