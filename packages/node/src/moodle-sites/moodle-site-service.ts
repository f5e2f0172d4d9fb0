import { MoodleError, type MoodleSiteInfo, WsDriver } from "@coursefed/moodle";
import { HANDLE } from "../actors/handle.ts";
import type { LocalActor, LocalActorRepository } from "../actors/local-actors.ts";
import type { AuditActor, AuditLog } from "../audit/audit-log.ts";
import { CodedError } from "../coded-error.ts";
import type { MoodleTarget, MoodleTargetRepository } from "../moodle-targets/target-repository.ts";
import type { TokenRepository } from "../tokens/token-repository.ts";
import type { MoodleUser } from "./acting-user.ts";
import type { MoodleUserRepository } from "./moodle-user-repository.ts";
import { registrationCode } from "./registration-code.ts";

/** Why the node will not act for a Moodle user; the message says what the person may do. */
export class MoodleUserRefused extends CodedError<
  "MAPPING_REVOKED" | "TEACHER_DISABLED" | "TEACHER_GONE" | "FIRST_USE_NOT_ALLOWED"
> {
  override readonly name = "MoodleUserRefused";
}

/** Why a site's web-service token is not taken; the message says what to do. */
export class MoodleAccessError extends CodedError<"NOT_WS" | "INVALID_TOKEN" | "PROBE_FAILED"> {
  override readonly name = "MoodleAccessError";
}

/** How long checking a site's new token may take: the site's admin is waiting on its page. */
const ACCESS_PROBE_TIMEOUT_MS = 60_000;

/** What the service reads from the node's settings. */
export interface MoodleSitePolicy {
  /** Whether a Moodle user the node does not know yet gets a teacher account at once. */
  moodleUsersBecomeTeachers(): Promise<boolean>;
}

export interface MoodleSiteServiceParts {
  readonly users: MoodleUserRepository;
  readonly actors: LocalActorRepository;
  readonly tokens: TokenRepository;
  readonly targets: MoodleTargetRepository;
  readonly policy: MoodleSitePolicy;
  readonly audit: AuditLog;
  /** The actor a site token acts as when it names no Moodle user. */
  readonly institution: () => Promise<LocalActor>;
  /** The node's public URL, which registration codes carry. */
  readonly publicUrl: URL;
}

/**
 * Moodle sites connected to the node: their registration (a site token bound to one
 * target, carried in a code the plugin's settings page takes) and the Moodle users they
 * act for, each mapped to a teacher of the node.
 */
export class MoodleSiteService {
  readonly #parts: MoodleSiteServiceParts;
  /** The answers being made, by target and Moodle user id. */
  readonly #answering = new Map<string, Promise<LocalActor>>();

  constructor(parts: MoodleSiteServiceParts) {
    this.#parts = parts;
  }

  /**
   * Issues the target's registration code: a new site token, the previous one (if any)
   * revoked at once. The code holds the token in clear: it is shown once.
   */
  async register(
    target: MoodleTarget,
    by: AuditActor,
  ): Promise<{ code: string; replaced: boolean }> {
    const { tokens, audit, publicUrl } = this.#parts;
    const institution = await this.#parts.institution();
    const { token, revoked } = await tokens.replaceSiteToken(
      target.id,
      `site ${target.name}`,
      institution.id,
    );
    await audit.record(by, "site.register", target.name, { replaced: revoked.length > 0 });
    return {
      // The site calls the node at the address it reaches it by (the target's nodeUrl).
      code: registrationCode({ node: target.nodeUrl ?? publicUrl.href.replace(/\/$/, ""), token }),
      replaced: revoked.length > 0,
    };
  }

  /** Withdraws the target's registration: its site token is refused from now on. */
  async unregister(target: MoodleTarget, by: AuditActor): Promise<boolean> {
    const revoked = await this.#parts.tokens.revokeSiteTokens(target.id);
    if (revoked.length > 0)
      await this.#parts.audit.record(by, "site.unregister", target.name, null);
    return revoked.length > 0;
  }

  /**
   * Takes the token of the plugin's service a registered site sends ("Give the node
   * access"), once a probe of the site with it succeeds: the target's driver uses it from
   * then on, and the probe's answer is kept as an admin's probe is. A ws target only: a cli
   * target runs Moodle's scripts on this host and needs no token.
   */
  async giveMoodleAccess(
    target: MoodleTarget,
    token: string,
    by: AuditActor,
  ): Promise<{ target: MoodleTarget; site: MoodleSiteInfo }> {
    if (target.driver !== "ws") {
      throw new MoodleAccessError(
        "NOT_WS",
        `The Moodle target "${target.name}" uses the ${target.driver} driver: the node runs Moodle's scripts on its own host and needs no web-service token.`,
      );
    }
    if (!/^[A-Za-z0-9]{16,128}$/.test(token)) {
      throw new MoodleAccessError(
        "INVALID_TOKEN",
        "This is not a Moodle web-service token (16 to 128 letters and digits): send the token of the local_coursefed plugin's service.",
      );
    }
    let site: MoodleSiteInfo;
    try {
      site = await new WsDriver({
        url: target.url,
        token,
        timeoutMs: ACCESS_PROBE_TIMEOUT_MS,
      }).probe(AbortSignal.timeout(ACCESS_PROBE_TIMEOUT_MS));
    } catch (error) {
      if (!(error instanceof MoodleError) && !(error instanceof DOMException)) throw error;
      throw new MoodleAccessError(
        "PROBE_FAILED",
        `The node could not use this token at ${target.url}: ${error.message} The target's token is unchanged; check that the node reaches the site at that address (the target's URL on the node).`,
      );
    }
    const { targets, audit } = this.#parts;
    const saved = await targets.saveProbe(await targets.setWsToken(target, token), site);
    await audit.record(by, "site.moodle-access", target.name, { release: site.release });
    return { target: saved, site };
  }

  /**
   * The teacher the node acts as for `user` of `target`: the one linked before, or a new
   * one when the node's policy allows it. Refused when an admin revoked the link or
   * disabled the teacher's account. `by` names the site token, for the audit log.
   *
   * A Moodle page sends several requests at once; in this process they share one answer,
   * so a user's first visit makes one teacher without racing itself for a handle (the
   * retries below are for other processes sharing the database).
   */
  async actingTeacher(target: MoodleTarget, user: MoodleUser, by: AuditActor): Promise<LocalActor> {
    const key = `${target.id} ${user.id}`;
    const pending = this.#answering.get(key);
    if (pending) return await pending;
    const answer = this.#teacherFor(target, user, by);
    this.#answering.set(key, answer);
    try {
      return await answer;
    } finally {
      this.#answering.delete(key);
    }
  }

  async #teacherFor(
    target: MoodleTarget,
    user: MoodleUser,
    by: AuditActor,
    attempt = 1,
  ): Promise<LocalActor> {
    const { users, actors, policy, audit } = this.#parts;
    const link = await users.find(target.id, user.id);
    if (link) {
      if (link.revokedAt !== null) {
        throw new MoodleUserRefused(
          "MAPPING_REVOKED",
          `The coursefed node's admin withdrew ${user.username}'s access from the Moodle site "${target.name}"; ask them to give it back.`,
        );
      }
      const actor = await actors.byId(link.actorId);
      if (!actor) {
        throw new MoodleUserRefused(
          "TEACHER_GONE",
          `${user.username}'s teacher account on the coursefed node was removed; ask the node's admin.`,
        );
      }
      if (await users.accountDisabled(actor.id)) {
        throw new MoodleUserRefused(
          "TEACHER_DISABLED",
          `The coursefed node's admin disabled the teacher account @${actor.handle} that ${user.username} uses; ask them to enable it.`,
        );
      }
      await users.seen(link, user);
      return actor;
    }
    if (!(await policy.moodleUsersBecomeTeachers())) {
      throw new MoodleUserRefused(
        "FIRST_USE_NOT_ALLOWED",
        `${user.username} has no teacher account on the coursefed node, and the node does not make them from Moodle users (its setting "Moodle users become teachers at first use" is off); ask the node's admin.`,
      );
    }
    let teacher: LocalActor;
    try {
      teacher = await actors.createTeacher(
        await this.#freeHandle(user.username),
        user.fullname || user.username,
      );
    } catch (error) {
      // Another first request took the handle between the check and the insert (the
      // same user's, which is now linked, or another's): look again, a few times at most.
      if (attempt >= 3) throw error;
      return await this.#teacherFor(target, user, by, attempt + 1);
    }
    const linked = await users.link(target.id, user, teacher.id);
    if (linked.actorId !== teacher.id) {
      // Another request of the same user linked first: theirs holds, this actor is unused.
      await users.discardActor(teacher.id);
      return await this.#teacherFor(target, user, by, attempt + 1);
    }
    await audit.record(by, "site.teacher-add", teacher.handle, {
      target: target.name,
      moodleUserId: user.id,
      username: user.username,
    });
    return teacher;
  }

  /** The target's Moodle users the node acted for. */
  async users(target: MoodleTarget) {
    return await this.#parts.users.ofTarget(target.id);
  }

  /** Refuses a Moodle user from now on; false when the node never acted for them. */
  async revokeUser(target: MoodleTarget, moodleUserId: number, by: AuditActor): Promise<boolean> {
    const revoked = await this.#parts.users.revoke(target.id, moodleUserId, by.name);
    if (revoked) {
      await this.#parts.audit.record(by, "site.user-revoke", target.name, { moodleUserId });
    }
    return revoked;
  }

  /**
   * A handle for a new teacher from a Moodle username: what a handle may not hold becomes
   * "-", and a taken handle gets a number; never an existing actor's, which the Moodle
   * user would otherwise become.
   */
  async #freeHandle(username: string): Promise<string> {
    const base =
      username
        .toLowerCase()
        .replace(/[^a-z0-9_.-]+/g, "-")
        .replace(/^[.-]+/, "")
        .slice(0, 56) || "teacher";
    for (let n = 1; ; n++) {
      const handle = n === 1 ? base : `${base}-${n}`;
      if (HANDLE.test(handle) && !(await this.#parts.actors.byHandle(handle))) return handle;
    }
  }
}
