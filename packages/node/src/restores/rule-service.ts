import type { AdminOnRecord } from "../audit/audit-log.ts";
import { CodedError } from "../coded-error.ts";
import {
  type MoodleTargetRepository,
  noSuchTargetMessage,
} from "../moodle-targets/target-repository.ts";
import type { RestoreRepository, RestoreRule } from "./restore-repository.ts";

/** Where rules are kept, and the targets they restore into. */
export interface RuleStores {
  readonly moodleTargets: MoodleTargetRepository;
  readonly restores: RestoreRepository;
}

export class RuleError extends CodedError<
  "NO_MATCHER" | "INVALID" | "TARGET_NOT_FOUND" | "NOT_FOUND"
> {
  override readonly name = "RuleError";
}

/** An auto-restore rule as an admin asks for it, by target name. */
export interface RuleRequest {
  readonly actorUri?: string | undefined;
  readonly tag?: string | undefined;
  readonly on: RestoreRule["on"];
  readonly targetName: string;
  readonly categoryId: number;
  readonly mode: RestoreRule["mode"];
  readonly createdBy: string;
}

/** A tag longer than this is a mistake (tags are words, not sentences). */
export const MAX_RULE_TAG_LENGTH = 64;

/**
 * Adds a rule once it matches something (an actor's URL, a tag of at most 64 characters),
 * restores into a real category, and its target exists; on the audit log.
 */
export async function addRule(
  services: RuleStores,
  admin: AdminOnRecord,
  rule: RuleRequest,
): Promise<RestoreRule> {
  if (!rule.actorUri && !rule.tag) {
    throw new RuleError(
      "NO_MATCHER",
      "A rule needs an actor, a tag or both: restoring every course received is not a rule.",
    );
  }
  if (
    rule.actorUri &&
    !(URL.canParse(rule.actorUri) && /^https?:$/.test(new URL(rule.actorUri).protocol))
  ) {
    throw new RuleError(
      "INVALID",
      `"${rule.actorUri}" is not an actor's address; give the URL of an institution or a teacher.`,
    );
  }
  if (rule.tag && rule.tag.length > MAX_RULE_TAG_LENGTH) {
    throw new RuleError("INVALID", `A tag is at most ${MAX_RULE_TAG_LENGTH} characters.`);
  }
  if (!Number.isSafeInteger(rule.categoryId) || rule.categoryId < 1) {
    throw new RuleError("INVALID", "A category id is a positive whole number.");
  }
  const target = await services.moodleTargets.byName(rule.targetName);
  if (!target) throw new RuleError("TARGET_NOT_FOUND", noSuchTargetMessage(rule.targetName));
  const added = await services.restores.addRule({
    actorUri: rule.actorUri ?? null,
    tag: rule.tag ?? null,
    on: rule.on,
    targetId: target.id,
    categoryId: rule.categoryId,
    mode: rule.mode,
    createdBy: rule.createdBy,
  });
  await admin.auditLog.record(admin.auditActor, "rule.add", String(added.id), ruleDetails(rule));
  return added;
}

/** Removes a rule, on the audit log; a RuleError NOT_FOUND if there is none of that id. */
export async function removeRule(
  services: Pick<RuleStores, "restores">,
  admin: AdminOnRecord,
  id: number,
): Promise<void> {
  if (!Number.isSafeInteger(id) || !(await services.restores.removeRule(id))) {
    throw new RuleError("NOT_FOUND", `There is no rule ${id}.`);
  }
  await admin.auditLog.record(admin.auditActor, "rule.remove", String(id));
}

/** What a rule matches and does, as the audit log keeps it. */
function ruleDetails(rule: RuleRequest): Record<string, unknown> {
  const { actorUri, tag, on, targetName, categoryId, mode } = rule;
  return { actor: actorUri ?? null, tag: tag ?? null, on, target: targetName, categoryId, mode };
}
