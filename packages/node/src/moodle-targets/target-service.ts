import { MoodleError, type MoodleSiteInfo } from "@coursefed/moodle";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import { probeTarget } from "./probe-target.ts";
import {
  type MoodleTarget,
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
