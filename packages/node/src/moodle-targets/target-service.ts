import { MoodleError, type MoodleSiteInfo } from "@coursefed/moodle";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import { probeTarget, probeWithin } from "./probe-target.ts";
import {
  CONNECTION_FIELDS,
  driverFor,
  type MoodleTarget,
  type MoodleTargetChanges,
  type MoodleTargetRepository,
  type NewMoodleTarget,
  noSuchTargetMessage,
  TargetError,
} from "./target-repository.ts";

/** The target of that name, or a TargetError NOT_FOUND that says where the names are. */
export async function targetNamed(
  targets: MoodleTargetRepository,
  name: string,
): Promise<MoodleTarget> {
  const target = await targets.byName(name);
  if (!target) throw new TargetError("NOT_FOUND", noSuchTargetMessage(name));
  return target;
}

/** Adds a Moodle target (refused with a TargetError), on the audit log. */
export async function addTarget(
  targets: MoodleTargetRepository,
  admin: AdminOnRecord,
  request: NewMoodleTarget,
): Promise<MoodleTarget> {
  const target = await targets.add(request);
  await admin.auditLog.record(admin.auditActor, "target.add", target.name, {
    driver: target.driver,
    url: target.url,
    ...(target.nodeUrl === null ? {} : { nodeUrl: target.nodeUrl }),
  });
  return target;
}

/**
 * Sets the node's address as the target's site reaches it (null: the public URL), for
 * the links it downloads archives by and its registration code; on the audit log.
 */
export async function setTargetNodeUrl(
  targets: MoodleTargetRepository,
  admin: AdminOnRecord,
  name: string,
  nodeUrl: string | null,
): Promise<MoodleTarget> {
  const target = await targetNamed(targets, name);
  const saved = await targets.setNodeUrl(target, nodeUrl);
  await admin.auditLog.record(admin.auditActor, "target.node-url", name, {
    before: target.nodeUrl,
    after: saved.nodeUrl,
  });
  return saved;
}

/** What an edit changed of a target, by the names its API and CLI give them. */
export type EditedField = keyof MoodleTargetChanges;

/**
 * Changes a target in place, so that its rules, jobs, lineage, grants and node address
 * stay. A changed connection is probed first and nothing is saved unless the site answers
 * (a MoodleError says why not), and answers as the same Moodle site: the target's lineage,
 * rules and grants name courses by their ids on that site, which on another site are other
 * courses (a teacher's grant of course 42 would reach somebody else's course 42), so
 * another site is refused outright (TargetError OTHER_SITE) and is added as a new target.
 * On the audit log, without the token.
 */
export async function editTarget(
  targets: MoodleTargetRepository,
  admin: AdminOnRecord,
  name: string,
  changes: MoodleTargetChanges,
): Promise<{ saved: MoodleTarget; changed: EditedField[] }> {
  const target = await targetNamed(targets, name);
  const edited = targets.edited(target, changes);
  const changed = editedFields(target, edited);
  if (changed.length === 0) return { saved: target, changed };
  const reconnected = changed.some((field) =>
    (CONNECTION_FIELDS as readonly string[]).includes(field),
  );
  let info: MoodleSiteInfo | undefined;
  let siteCompared = false;
  // A ws target waiting for its registration has no token to probe with, nor restores.
  if (reconnected && !(edited.driver === "ws" && !edited.settings.token)) {
    info = await probeWithin(edited, driverFor(edited));
    const before = await siteIdentityOf(targets, target);
    if (before !== undefined) {
      siteCompared = true;
      if (info.siteIdentifierHash !== before) {
        throw new TargetError(
          "OTHER_SITE",
          info.siteIdentifierHash === undefined
            ? `${edited.url} answered, but its local_coursefed plugin is too old to say which Moodle site it is, so it cannot be told from ${target.name}'s site: update the plugin there and edit again. Nothing was changed.`
            : `${edited.url} is another Moodle site than ${target.name}'s (its site identifier differs): the restores, rules and teacher grants of ${target.name} name courses of its own site. Nothing was changed; to restore into that site, add it as a new target (coursefed moodle add).`,
        );
      }
    }
  }
  const saved = await targets.saveEdit(target, edited, info);
  await admin.auditLog.record(admin.auditActor, "target.edit", name, {
    changed,
    ...Object.fromEntries(
      changed
        .filter((field) => field !== "token")
        .map((field) => [field, { before: fieldOf(target, field), after: fieldOf(saved, field) }]),
    ),
    ...(info ? { release: info.release, siteCompared } : {}),
  });
  return { saved, changed };
}

const EDITABLE_FIELDS = [
  "url",
  "moodleDir",
  "php",
  "runAsUser",
  "token",
  "defaultCategoryId",
  "timeoutMs",
  "nodeUrl",
] as const satisfies readonly EditedField[];

function fieldOf(target: MoodleTarget, field: EditedField): unknown {
  switch (field) {
    case "url":
    case "defaultCategoryId":
    case "timeoutMs":
    case "nodeUrl":
      return target[field];
    default:
      return target.settings[field] ?? null;
  }
}

function editedFields(target: MoodleTarget, edited: MoodleTarget): EditedField[] {
  return EDITABLE_FIELDS.filter((field) => fieldOf(target, field) !== fieldOf(edited, field));
}

/**
 * Which Moodle site a target reached: as its last probe said, or, when that probe predates
 * the site identifier, as its current connection says now; undefined when neither can tell
 * (never probed, or a site that no longer answers there, e.g. one that moved).
 */
async function siteIdentityOf(
  targets: MoodleTargetRepository,
  target: MoodleTarget,
): Promise<string | undefined> {
  const known = (target.siteInfo as MoodleSiteInfo | null)?.siteIdentifierHash;
  if (known !== undefined || target.siteInfo === null) return known;
  try {
    return (await probeWithin(target, targets.driverOf(target))).siteIdentifierHash;
  } catch (error) {
    if (error instanceof MoodleError) return undefined;
    throw error;
  }
}

/** Removes the target of that name, on the audit log; a TargetError NOT_FOUND if none. */
export async function removeTarget(
  targets: MoodleTargetRepository,
  admin: AdminOnRecord,
  name: string,
): Promise<void> {
  if (!(await targets.remove(name))) throw new TargetError("NOT_FOUND", noSuchTargetMessage(name));
  await admin.auditLog.record(admin.auditActor, "target.remove", name);
}

/**
 * Probes the target of that name for an admin: what the site answered, or why it did not
 * (a MoodleError), goes on the audit log either way.
 */
export async function probeTargetNamed(
  targets: MoodleTargetRepository,
  admin: AdminOnRecord,
  name: string,
): Promise<{ saved: MoodleTarget; info: MoodleSiteInfo }> {
  const target = await targetNamed(targets, name);
  try {
    const probed = await probeTarget(targets, target);
    await admin.auditLog.record(admin.auditActor, "target.probe", name, {
      release: probed.info.release,
    });
    return probed;
  } catch (error) {
    if (error instanceof MoodleError) {
      await admin.auditLog.record(admin.auditActor, "target.probe", name, { error: error.code });
    }
    throw error;
  }
}
