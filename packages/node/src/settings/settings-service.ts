import type { AdminOnRecord } from "../audit/audit-log.ts";
import { checkLogo, type InstitutionLogo } from "./institution-logo.ts";
import type { FederationSettings, NodeSettings, SettingName } from "./node-settings.ts";

/** A change an admin asks for: each setting given replaces the configured one. */
export type SettingsChange = Parameters<NodeSettings["update"]>[0];

/**
 * Changes the settings given (refused with a SettingsError), each change on the audit log
 * with the value now in force.
 */
export async function changeSettings(
  settings: NodeSettings,
  admin: AdminOnRecord,
  changes: SettingsChange,
): Promise<FederationSettings> {
  const { auditActor, auditLog } = admin;
  const changed = await settings.update(changes, auditActor.name);
  if (changes.policy) {
    await auditLog.record(auditActor, "settings.federation", null, {
      mode: changed.policy.value.mode,
      domains: changed.policy.value.domains,
    });
  }
  if (changes.autoAccept !== undefined) {
    await auditLog.record(auditActor, "settings.auto-accept", null, {
      domains: changed.autoAccept.value,
    });
  }
  return changed;
}

/** Puts a setting back to the node's configuration, on the audit log. */
export async function resetSetting(
  settings: NodeSettings,
  admin: AdminOnRecord,
  setting: SettingName,
): Promise<FederationSettings> {
  const reset = await settings.reset(setting);
  await admin.auditLog.record(admin.auditActor, "settings.reset", setting);
  return reset;
}

/**
 * Sets the institution's logo from the bytes an admin gave (refused with a LogoError
 * unless a PNG, JPEG or WebP within MAX_LOGO_BYTES), or removes it with null; on the
 * audit log with the image's digest. Servers that display the institution pick the new
 * logo up when they next fetch its actor.
 */
export async function changeInstitutionLogo(
  settings: NodeSettings,
  admin: AdminOnRecord,
  bytes: Uint8Array | null,
): Promise<InstitutionLogo | undefined> {
  const logo = bytes === null ? null : checkLogo(bytes);
  await settings.setInstitutionLogo(logo, admin.auditActor.name);
  await admin.auditLog.record(
    admin.auditActor,
    logo ? "settings.logo" : "settings.logo-removed",
    null,
    logo ? { sha256: logo.sha256, mediaType: logo.mediaType, size: logo.bytes.length } : {},
  );
  return logo ?? undefined;
}
