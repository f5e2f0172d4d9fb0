/**
 * The node's database schema, written once: every table is described here, with why it
 * and its columns exist, and both engines take their tables from these descriptions.
 *
 * The descriptions are drizzle's PostgreSQL tables (pg-core), used as they are:
 * repositories are typed against PostgreSQL's builders (see NodeDatabase in database.ts),
 * so these keep their exact types. SQLite's tables are derived from them when
 * schema.sqlite.ts loads, by reading each table's columns, keys and indexes back
 * (getTableConfig): milliseconds since the epoch are `bigint` here and `integer` there,
 * JSON `jsonb` here and `text` there. A derivation the other way would lose PostgreSQL's
 * types, and an engine-neutral description (a "column kit" per engine) would have to
 * re-create drizzle's builder types for both engines; SQLite's tables need no exact types
 * (the SQLite database hands them out under PostgreSQL's), so they are the derived ones.
 *
 * What one engine has and the other cannot express (the catalog's text search: SQLite's
 * FTS5 table, PostgreSQL's generated tsvector column) is in hand-written migrations
 * (migrations/<engine>/0001_catalog_search.sql), not here. Migrations for both engines are
 * generated from these descriptions by drizzle-kit (`npm run db:generate`) and applied at
 * start.
 */
import type { JsonWebKey } from "node:crypto";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { WEB_ROLES } from "../vocabulary/account-roles.ts";
import { AUDIT_ACTORS } from "../vocabulary/audit-actors.ts";
import { FOLLOW_STATES } from "../vocabulary/follow-states.ts";
import { MOODLE_DRIVERS } from "../vocabulary/moodle-drivers.ts";
import { REPORT_DIRECTIONS, REPORT_REASONS, REPORT_STATES } from "../vocabulary/report-kinds.ts";
import { RESTORE_JOB_STATES } from "../vocabulary/restore-job-states.ts";
import { RULE_EVENTS, RULE_MODES } from "../vocabulary/rule-kinds.ts";
import { ROLES } from "../vocabulary/token-roles.ts";
import { VISIBILITIES } from "../vocabulary/visibility.ts";

/**
 * Fedify's key-value store (caches, idempotence records, ...). Keys are JSON arrays of
 * strings, stored as their JSON text so that a prefix of segments is a prefix of text.
 */
export const kv = pgTable(
  "kv",
  {
    key: text("key").primaryKey(),
    /** JSON text: JSON null is a value, unlike SQL NULL. */
    value: text("value").notNull(),
    /** Milliseconds since the epoch; null never expires. */
    expiresAt: bigint("expires_at", { mode: "number" }),
  },
  (table) => [index("kv_expires_at").on(table.expiresAt)],
);

/**
 * What many queued messages have in common, stored once: a fan-out's signed activity and
 * its sender's keys, which each of its deliveries (a message per inbox) would otherwise
 * hold a copy of. Deleted once no message names it.
 */
export const queuePayloads = pgTable("queue_payloads", {
  /** The SHA-256 of its JSON, base64url: the same parts queued again are the same row. */
  id: text("id").primaryKey(),
  payload: jsonb("payload").notNull(),
});

/**
 * Fedify's durable message queue (outgoing deliveries, inbox processing). A message is
 * deleted once handled; a worker that dies leaves a lease that runs out, and the message
 * is taken again.
 */
export const queueMessages = pgTable(
  "queue_messages",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    /** Which queue: incoming activities and deliveries are handled by different workers. */
    channel: text("channel").notNull().default("outbox"),
    message: jsonb("message").notNull(),
    /** Messages sharing a key are handled one at a time, in the order they were queued. */
    orderingKey: text("ordering_key"),
    /** Not to be handled before this time (ms since the epoch). */
    availableAt: bigint("available_at", { mode: "number" }).notNull(),
    /** Set while a worker holds the message; once past, the message may be taken again. */
    leasedUntil: bigint("leased_until", { mode: "number" }),
    /** How many times a worker has taken it. */
    attempts: integer("attempts").notNull().default(0),
    enqueuedAt: bigint("enqueued_at", { mode: "number" }).notNull(),
    /** The parts it shares with other messages, put back into it when it is taken. */
    payloadId: text("payload_id").references(() => queuePayloads.id),
  },
  (table) => [
    index("queue_messages_available_at").on(table.channel, table.availableAt),
    index("queue_messages_ordering_key").on(table.orderingKey, table.id),
    index("queue_messages_payload").on(table.payloadId),
  ],
);

/**
 * Actors this node speaks for: the institution (an Organization) and its teachers
 * (Persons). `identifier` is the stable path segment of the actor URL; `handle` the
 * user part of @handle@host, which may be renamed.
 */
export const localActors = pgTable("local_actors", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  identifier: text("identifier").notNull().unique(),
  handle: text("handle").notNull().unique(),
  type: text("type", { enum: ["Organization", "Person"] }).notNull(),
  name: text("name").notNull(),
  summary: text("summary"),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

/** Each local actor's key pairs, kept as JWK: RSA for HTTP signatures, Ed25519 for proofs and the manifest JWS. */
export const actorKeys = pgTable(
  "actor_keys",
  {
    actorId: integer("actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    algorithm: text("algorithm", { enum: ["RSASSA-PKCS1-v1_5", "Ed25519"] }).notNull(),
    privateKey: jsonb("private_key").$type<JsonWebKey>().notNull(),
    publicKey: jsonb("public_key").$type<JsonWebKey>().notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.actorId, table.algorithm] })],
);

/** Remote actors this node has dealt with, as last fetched (signatures were checked by Fedify). */
export const remoteActors = pgTable("remote_actors", {
  uri: text("uri").primaryKey(),
  /** user@host, when known. */
  handle: text("handle"),
  type: text("type").notNull(),
  name: text("name"),
  inbox: text("inbox").notNull(),
  sharedInbox: text("shared_inbox"),
  fetchedAt: bigint("fetched_at", { mode: "number" }).notNull(),
});

/** Remote actors following local ones: pending until accepted (by an admin or by policy). */
export const followers = pgTable(
  "followers",
  {
    localActorId: integer("local_actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri")
      .notNull()
      .references(() => remoteActors.uri),
    /** The id of their Follow activity, quoted back in Accept/Reject. */
    followId: text("follow_id").notNull(),
    state: text("state", { enum: FOLLOW_STATES }).notNull(),
    requestedAt: bigint("requested_at", { mode: "number" }).notNull(),
    decidedAt: bigint("decided_at", { mode: "number" }),
  },
  (table) => [primaryKey({ columns: [table.localActorId, table.actorUri] })],
);

/** Local actors following remote ones: pending until the remote side accepts. */
export const followings = pgTable(
  "followings",
  {
    localActorId: integer("local_actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri")
      .notNull()
      .references(() => remoteActors.uri),
    /** The id of our Follow activity; the Accept or Reject names it. */
    followId: text("follow_id").notNull().unique(),
    state: text("state", { enum: FOLLOW_STATES }).notNull(),
    requestedAt: bigint("requested_at", { mode: "number" }).notNull(),
    decidedAt: bigint("decided_at", { mode: "number" }),
    /**
     * When the actor's outbox was last read to catch up on what deliveries missed
     * (federation/catch-up.ts), and how that went, in one line; the same on every local
     * actor's follow of it.
     */
    caughtUpAt: bigint("caught_up_at", { mode: "number" }),
    catchUpResult: text("catch_up_result"),
    /** Since when an activity of the actor failed for good: its outbox is read first. */
    behindSince: bigint("behind_since", { mode: "number" }),
    /** Not read again before this (its server answered 429 with a Retry-After). */
    catchUpNotBefore: bigint("catch_up_not_before", { mode: "number" }),
    /**
     * When a catch-up last read the outbox through (to its end or its page limit) instead
     * of stopping at the first page it already held: only such a read tells which courses
     * it no longer lists, and one is due every few days.
     */
    readThroughAt: bigint("read_through_at", { mode: "number" }),
  },
  (table) => [primaryKey({ columns: [table.localActorId, table.actorUri] })],
);

/** Courses published by this node's actors. The object id is /courses/{id}. */
export const courses = pgTable(
  "courses",
  {
    id: text("id").primaryKey(),
    actorId: integer("actor_id")
      .notNull()
      .references(() => localActors.id),
    title: text("title").notNull(),
    summary: text("summary"),
    tags: jsonb("tags").$type<string[]>().notNull(),
    license: text("license"),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
    /**
     * When its latest revision was published (an edit of its details is not one): the
     * outbox lists courses newest first by it, so that a revision of an old course comes
     * first and a reader catching up can stop at the first page it already holds.
     */
    lastPublishedAt: bigint("last_published_at", { mode: "number" }).notNull().default(0),
    /** Set when withdrawn: the object answers as a Tombstone. */
    deletedAt: bigint("deleted_at", { mode: "number" }),
  },
  // An actor's outbox page: its courses in order, from a cursor; the institution's lists
  // nearly every course, and reads them in order from the second one. Not by deleted_at
  // first: PostgreSQL takes `IS NULL` for no equality, and would sort instead.
  (table) => [
    index("courses_outbox").on(table.actorId, table.lastPublishedAt, table.id),
    index("courses_live_order").on(table.lastPublishedAt, table.id),
  ],
);

/** Each archive a course was published with; older revisions stay downloadable. */
export const courseRevisions = pgTable(
  "course_revisions",
  {
    courseId: text("course_id")
      .notNull()
      .references(() => courses.id),
    revision: integer("revision").notNull(),
    sha256: text("sha256").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    /** The signed manifest, a compact JWS. */
    manifest: text("manifest").notNull(),
    publishedAt: bigint("published_at", { mode: "number" }).notNull(),
    /**
     * What changed since the previous revision, in one sentence, worked out from the two
     * archives when this one was published; null for a first revision (or when the
     * previous archive could not be read). The Update followers receive shows it.
     */
    changes: text("changes"),
    /**
     * The same sentence in each language the node speaks (en, fr), which the Update
     * carries as its summaryMap; null where `changes` is null, and for revisions published
     * before it was kept (their Update carries `changes` alone, in English).
     */
    changesByLanguage: jsonb("changes_by_language").$type<Record<string, string>>(),
  },
  (table) => [primaryKey({ columns: [table.courseId, table.revision] })],
);

/**
 * Courses received from other nodes, after their manifest signature was checked. The
 * archive columns copy the latest revision's, which is what search and fetch use; every
 * revision received is in catalog_revisions.
 */
export const catalogEntries = pgTable(
  "catalog_entries",
  {
    objectUri: text("object_uri").primaryKey(),
    actorUri: text("actor_uri").notNull(),
    title: text("title").notNull(),
    /** Sanitized HTML. */
    summary: text("summary"),
    tags: jsonb("tags").$type<string[]>().notNull(),
    revision: integer("revision").notNull(),
    sha256: text("sha256").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    archiveUrl: text("archive_url").notNull(),
    /** The verified manifest payload, and the JWS it came in. */
    manifest: jsonb("manifest").$type<Record<string, unknown>>().notNull(),
    manifestJws: text("manifest_jws").notNull(),
    /**
     * The Moodle branch the backup was made on, as major × 100 + minor (4.5 → 405), so
     * that "restorable on Moodle 4.1" is a comparison; null when the manifest has none.
     */
    moodleBranch: integer("moodle_branch"),
    /** Languages the course uses, and the non-standard plugins it needs (from the manifest). */
    languages: jsonb("languages").$type<string[]>().notNull().default([]),
    requiredPlugins: jsonb("required_plugins").$type<string[]>().notNull().default([]),
    publishedAt: bigint("published_at", { mode: "number" }).notNull(),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
    deletedAt: bigint("deleted_at", { mode: "number" }),
    /**
     * The catalog's order, newest first, and its pages' cursor: publishedAt × 1024 plus a
     * tiebreak, unique (catalog-search-order.ts). SQLite's full-text index is keyed by it,
     * so that a search reads its matches newest first and stops at a page.
     */
    searchKey: bigint("search_key", { mode: "number" }),
    /**
     * What the filters look up, as index terms made on arrival (catalog-facets.ts): tags,
     * languages, plugins, host, actor, branch. Indexed by the full-text index (SQLite) or
     * a GIN index (PostgreSQL), see the 0014/0008 catalog_search_order migrations.
     */
    facets: jsonb("facets").$type<string[]>().notNull().default([]),
  },
  (table) => [
    // With the key: a teacher filter's courses are read from this index alone (SQLite's
    // catalog search), not row by row.
    index("catalog_entries_actor").on(table.actorUri, table.deletedAt, table.searchKey),
    index("catalog_entries_moodle_branch").on(table.moodleBranch),
    uniqueIndex("catalog_entries_search_key").on(table.searchKey),
  ],
);

/**
 * The catalog courses each probed Moodle target can restore faithfully, judged when a
 * course arrives and when the target is probed (catalog-restorable.ts), so that the
 * "restorable" filter is a lookup rather than a check of every course's manifest.
 */
export const catalogRestorable = pgTable(
  "catalog_restorable",
  {
    targetId: integer("target_id")
      .notNull()
      .references(() => moodleTargets.id, { onDelete: "cascade" }),
    searchKey: bigint("search_key", { mode: "number" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.targetId, table.searchKey] })],
);

/** Every revision of a received course, so older ones stay listed and fetchable. */
export const catalogRevisions = pgTable(
  "catalog_revisions",
  {
    objectUri: text("object_uri")
      .notNull()
      .references(() => catalogEntries.objectUri, { onDelete: "cascade" }),
    revision: integer("revision").notNull(),
    sha256: text("sha256").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    archiveUrl: text("archive_url").notNull(),
    manifest: jsonb("manifest").$type<Record<string, unknown>>().notNull(),
    manifestJws: text("manifest_jws").notNull(),
    publishedAt: bigint("published_at", { mode: "number" }).notNull(),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
    /**
     * What the publisher's Update said changed since the previous revision, by language
     * (its summaryMap; a summary without a language under "und"); null when it said
     * nothing. The course page shows it in its reader's language.
     */
    changes: jsonb("changes").$type<Record<string, string>>(),
  },
  (table) => [primaryKey({ columns: [table.objectUri, table.revision] })],
);

/** API tokens. Only a hash is kept: a token is shown once, when it is made. */
export const apiTokens = pgTable("api_tokens", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  role: text("role", { enum: ROLES }).notNull(),
  /** The actor the token publishes and follows as. */
  actorId: integer("actor_id")
    .notNull()
    .references(() => localActors.id, { onDelete: "cascade" }),
  /**
   * A site token's Moodle target (role "site"): the one Moodle site it speaks for, and the
   * only target what it asks may touch. Null for admin and teacher tokens.
   */
  moodleTargetId: integer("moodle_target_id").references(() => moodleTargets.id, {
    onDelete: "cascade",
  }),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  lastUsedAt: bigint("last_used_at", { mode: "number" }),
});

/** Backups uploaded through the API, waiting to be published (kept on disk by digest). */
export const uploads = pgTable("uploads", {
  id: text("id").primaryKey(),
  tokenId: integer("token_id")
    .notNull()
    .references(() => apiTokens.id, { onDelete: "cascade" }),
  sha256: text("sha256").notNull(),
  size: bigint("size", { mode: "number" }).notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

/** Delivery to each peer server (by host), so that admins see who is reachable. */
export const peers = pgTable("peers", {
  host: text("host").primaryKey(),
  deliveries: integer("deliveries").notNull().default(0),
  failures: integer("failures").notNull().default(0),
  /** Failures since the last delivery that went through. */
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  lastDeliveredAt: bigint("last_delivered_at", { mode: "number" }),
  lastFailedAt: bigint("last_failed_at", { mode: "number" }),
  lastError: text("last_error"),
});

/**
 * The Moodle sites this node restores into and publishes from. `settings` holds what the
 * driver needs (cli: moodleDir, php, runAsUser; ws: token) and is never shown back by the
 * API: a ws token is a secret.
 */
export const moodleTargets = pgTable("moodle_targets", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull().unique(),
  driver: text("driver", { enum: MOODLE_DRIVERS }).notNull(),
  /** The site's address, for course links (and the ws driver's requests). */
  url: text("url").notNull(),
  /**
   * The node's address as this site reaches it, for the archive links it downloads by;
   * null: the node's public URL. A site inside the institution's network may reach the
   * node by an internal address only.
   */
  nodeUrl: text("node_url"),
  settings: jsonb("settings").$type<Record<string, string | number>>().notNull(),
  /** Where restores go when no category is given. */
  defaultCategoryId: integer("default_category_id").notNull().default(1),
  /**
   * The categories where teachers may restore new courses; none by default, so that an
   * admin decides where teachers' restores may land (admins and rules restore anywhere).
   */
  teacherCategoryIds: jsonb("teacher_category_ids").$type<number[]>().notNull().default([]),
  timeoutMs: bigint("timeout_ms", { mode: "number" }).notNull(),
  /** The last probe's answer (version, release, branch, plugins, limits), and when. */
  siteInfo: jsonb("site_info").$type<Record<string, unknown>>(),
  probedAt: bigint("probed_at", { mode: "number" }),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

/**
 * A restore of one revision of a catalog course into one Moodle destination. The
 * destination key ("category:5", "course:12") and the requester key make a job
 * idempotent: asking again for the same revision, target and destination (a new course:
 * as the same person) gives back the same job.
 */
export const restoreJobs = pgTable(
  "restore_jobs",
  {
    id: text("id").primaryKey(),
    objectUri: text("object_uri").notNull(),
    revision: integer("revision").notNull(),
    targetId: integer("target_id")
      .notNull()
      .references(() => moodleTargets.id, { onDelete: "cascade" }),
    destinationKey: text("destination_key").notNull(),
    /**
     * Whose job a new course is ("actor:12" a teacher, or the institution for admins;
     * "name:..." a Moodle site's user; "rules" the auto-restore rules): two people asking
     * for the same new course get a course each. "" for an existing course, whose job is
     * shared by all who may restore into it (requesterKey in restores/restore-service.ts).
     */
    requesterKey: text("requester_key").notNull().default(""),
    /** The RestoreDestination handed to the driver. */
    destination: jsonb("destination").$type<Record<string, string | number>>().notNull(),
    state: text("state", { enum: RESTORE_JOB_STATES }).notNull(),
    /** Who asked: an API token's name, or the rule that matched. */
    requestedBy: text("requested_by").notNull(),
    /**
     * The local actor of the person who asked (null for a rule): a teacher may later
     * restore into the courses their own jobs created.
     */
    requestedByActorId: integer("requested_by_actor_id"),
    ruleId: integer("rule_id"),
    /** Set when the compatibility check was overridden: who took the risk. */
    overriddenBy: text("overridden_by"),
    attempts: integer("attempts").notNull().default(0),
    /** Compatibility problems (refused), or what Moodle did not restore (succeeded). */
    problems: jsonb("problems").$type<unknown[]>().notNull().default([]),
    moodleCourseId: integer("moodle_course_id"),
    courseUrl: text("course_url"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    /** What Moodle printed, kept for failures. */
    log: text("log"),
    /**
     * What an update of a course restored from the same catalog course changed: the
     * revisions from and to, and the diff (docs/diff-json.md), or why it could not be
     * worked out. Null for a new course, or a course that held another catalog course.
     */
    changes: jsonb("changes").$type<Record<string, unknown>>(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    startedAt: bigint("started_at", { mode: "number" }),
    finishedAt: bigint("finished_at", { mode: "number" }),
    /** Time spent in the driver (Moodle's own work), for the node's overhead. */
    moodleMs: bigint("moodle_ms", { mode: "number" }),
  },
  (table) => [
    uniqueIndex("restore_jobs_idempotence").on(
      table.objectUri,
      table.revision,
      table.targetId,
      table.destinationKey,
      table.requesterKey,
    ),
    index("restore_jobs_created").on(table.createdAt),
    index("restore_jobs_moodle_course").on(table.targetId, table.moodleCourseId),
  ],
);

/**
 * Existing Moodle courses an admin let one teacher (a local actor) restore into, besides
 * those the teacher's own restores created.
 */
export const moodleCourseGrants = pgTable(
  "moodle_course_grants",
  {
    targetId: integer("target_id")
      .notNull()
      .references(() => moodleTargets.id, { onDelete: "cascade" }),
    moodleCourseId: integer("moodle_course_id").notNull(),
    actorId: integer("actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    /** The admin who granted it, as the audit log names them. */
    grantedBy: text("granted_by").notNull(),
    grantedAt: bigint("granted_at", { mode: "number" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.targetId, table.moodleCourseId, table.actorId] })],
);

/**
 * Auto-restore: courses from an actor (or with a tag) that arrive new and/or updated are
 * restored into a target's category, as a new course each time or updating in place the
 * course restored from the same object before.
 */
export const restoreRules = pgTable("restore_rules", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  actorUri: text("actor_uri"),
  tag: text("tag"),
  on: text("on", { enum: RULE_EVENTS }).notNull(),
  targetId: integer("target_id")
    .notNull()
    .references(() => moodleTargets.id, { onDelete: "cascade" }),
  categoryId: integer("category_id").notNull(),
  mode: text("mode", { enum: RULE_MODES }).notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

/**
 * Lineage: which catalog object and revision each Moodle course was restored from, so
 * that an update lands in the same course and a re-share names its source.
 */
export const restoredCourses = pgTable(
  "restored_courses",
  {
    targetId: integer("target_id")
      .notNull()
      .references(() => moodleTargets.id, { onDelete: "cascade" }),
    moodleCourseId: integer("moodle_course_id").notNull(),
    objectUri: text("object_uri").notNull(),
    revision: integer("revision").notNull(),
    jobId: text("job_id").notNull(),
    restoredAt: bigint("restored_at", { mode: "number" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.targetId, table.moodleCourseId] }),
    index("restored_courses_object").on(table.objectUri, table.targetId),
  ],
);

/** Courses published from a Moodle course: publishing it again makes a new revision. */
export const moodlePublications = pgTable(
  "moodle_publications",
  {
    targetId: integer("target_id")
      .notNull()
      .references(() => moodleTargets.id, { onDelete: "cascade" }),
    moodleCourseId: integer("moodle_course_id").notNull(),
    courseId: text("course_id")
      .notNull()
      .references(() => courses.id),
  },
  (table) => [primaryKey({ columns: [table.targetId, table.moodleCourseId] })],
);

/**
 * People who sign in to the web interface. Each acts as a local actor: admins and viewers
 * as the institution, teachers as their own Person. The password is kept as an scrypt
 * hash with its parameters and salt (see accounts/password.ts).
 */
export const webAccounts = pgTable(
  "web_accounts",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    username: text("username").notNull().unique(),
    displayName: text("display_name").notNull(),
    role: text("role", { enum: WEB_ROLES }).notNull(),
    actorId: integer("actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    passwordHash: text("password_hash").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    passwordChangedAt: bigint("password_changed_at", { mode: "number" }).notNull(),
    lastLoginAt: bigint("last_login_at", { mode: "number" }),
    /**
     * Set for an account opened by single sign-on: the OpenID provider and its subject
     * ("sub") name the person; the username may be renamed at the provider, these not.
     */
    oidcIssuer: text("oidc_issuer"),
    oidcSubject: text("oidc_subject"),
    /** Set when an admin disabled the account: it cannot sign in, its sessions are ended. */
    disabledAt: bigint("disabled_at", { mode: "number" }),
  },
  (table) => [uniqueIndex("web_accounts_oidc").on(table.oidcIssuer, table.oidcSubject)],
);

/**
 * Signed-in browsers. The cookie holds a random 256-bit id; only its sha256 is kept, so a
 * copy of the database cannot be replayed as a session. The CSRF token is per session.
 */
export const webSessions = pgTable(
  "web_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    accountId: integer("account_id")
      .notNull()
      .references(() => webAccounts.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    /** Pushed forward while the session is used, never past createdAt + the absolute limit. */
    expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
  },
  (table) => [index("web_sessions_account").on(table.accountId)],
);

/** Failed sign-ins by username and address, for rate limiting; old rows are pruned. */
export const loginFailures = pgTable(
  "login_failures",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    key: text("key").notNull(),
    failedAt: bigint("failed_at", { mode: "number" }).notNull(),
  },
  (table) => [index("login_failures_key").on(table.key, table.failedAt)],
);

/**
 * What admins did, from the web pages or the API: who (a web account's username or an API
 * token's name), what, to what. Kept for the admins to read; nothing acts on it.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    at: bigint("at", { mode: "number" }).notNull(),
    byKind: text("by_kind", { enum: AUDIT_ACTORS }).notNull(),
    byName: text("by_name").notNull(),
    action: text("action").notNull(),
    /** What the action was on: a target's name, an actor's URL, a username, ... */
    target: text("target"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (table) => [index("audit_log_at").on(table.at)],
);

/**
 * Periodic housekeeping (sweeping abandoned uploads, ...), run once per period by
 * whichever node process claims it first: several processes share one database, and
 * each would otherwise do the same work.
 */
export const scheduledTasks = pgTable("scheduled_tasks", {
  name: text("name").primaryKey(),
  /** Not to be run again before this time (ms since the epoch). */
  nextRunAt: bigint("next_run_at", { mode: "number" }).notNull(),
  /** The process that ran it last (host and pid), for admins wondering where. */
  lastRunBy: text("last_run_by"),
  lastRunAt: bigint("last_run_at", { mode: "number" }),
});

/**
 * The catch-ups of every followed actor an admin asked for (POST /follows/catch-up), which
 * run in the background, one at a time per node whichever of its processes took the
 * request, and are kept with how they went for whoever asked, even if they left.
 */
export const catchUpRuns = pgTable(
  "catch_up_runs",
  {
    id: text("id").primaryKey(),
    /**
     * 1 while the run is under way, null once it ended: unique, so that no second run
     * starts while one is under way, in this process or another.
     */
    underWay: integer("under_way"),
    /** Who asked (the audit log's name for the admin or token). */
    requestedBy: text("requested_by").notNull(),
    startedAt: bigint("started_at", { mode: "number" }).notNull(),
    /**
     * A run still under way past this is taken as cut short (its process died): the
     * run's own time limit and a margin.
     */
    leaseUntil: bigint("lease_until", { mode: "number" }).notNull(),
    endedAt: bigint("ended_at", { mode: "number" }),
    /** The actors it reads, once listed; those read so far, and those caught up. */
    actors: integer("actors"),
    read: integer("read").notNull().default(0),
    caughtUp: integer("caught_up").notNull().default(0),
    /** Why the run itself stopped short (the node shut down, an error), in one line. */
    error: text("error"),
  },
  (table) => [
    uniqueIndex("catch_up_runs_under_way").on(table.underWay),
    index("catch_up_runs_started").on(table.startedAt),
  ],
);

/**
 * Settings admins change in the web console (federation policy, auto-accepted hosts),
 * which then take precedence over the configuration the node was started with. JSON
 * values, one row per setting.
 */
export const nodeSettings = pgTable("node_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<unknown>().notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  /** The admin's username, for the console. */
  updatedBy: text("updated_by").notNull(),
});

/**
 * Backups uploaded through the web interface, inspected, waiting for their account to
 * fill in the publish form. In the database, not in memory: with several node processes
 * the form may be posted to another one than the upload.
 */
export const webUploads = pgTable("web_uploads", {
  id: text("id").primaryKey(),
  accountId: integer("account_id")
    .notNull()
    .references(() => webAccounts.id, { onDelete: "cascade" }),
  sha256: text("sha256").notNull(),
  size: bigint("size", { mode: "number" }).notNull(),
  /** The backup's inspection (@coursefed/mbz BackupReport), shown with the form. */
  report: jsonb("report").$type<Record<string, unknown>>().notNull(),
  /** The course it is to become a new revision of, if any. */
  courseId: text("course_id"),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

/**
 * Moodle users a site token acted for, each mapped to the teacher (local actor) the node
 * acts as for them: made at their first request when the node's policy allows it, so that
 * what they publish carries them as author. The name and email are what Moodle last sent,
 * for admins to recognise who it is. An admin may revoke the mapping: that Moodle user is
 * refused from then on, rather than given a new teacher at their next request.
 */
export const moodleUsers = pgTable(
  "moodle_users",
  {
    targetId: integer("target_id")
      .notNull()
      .references(() => moodleTargets.id, { onDelete: "cascade" }),
    moodleUserId: integer("moodle_user_id").notNull(),
    actorId: integer("actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    username: text("username").notNull(),
    fullName: text("full_name").notNull(),
    email: text("email").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    lastSeenAt: bigint("last_seen_at", { mode: "number" }).notNull(),
    revokedAt: bigint("revoked_at", { mode: "number" }),
    /** The admin who revoked it, as the audit log names them. */
    revokedBy: text("revoked_by"),
  },
  (table) => [
    primaryKey({ columns: [table.targetId, table.moodleUserId] }),
    index("moodle_users_actor").on(table.actorId),
  ],
);

/**
 * Reports about courses (ActivityPub Flags): those our teachers and admins sent about
 * another node's course, and those other nodes sent about ours. Kept for the admins' queue
 * in the console, and counted per reporter over the last hour to limit floods.
 */
export const reports = pgTable(
  "reports",
  {
    id: text("id").primaryKey(),
    direction: text("direction", { enum: REPORT_DIRECTIONS }).notNull(),
    /** The reported course's object IRI. */
    objectUri: text("object_uri").notNull(),
    /** The actor who published it, as the Flag named it. */
    publisherUri: text("publisher_uri").notNull(),
    /** The course's title when the report was made (it may be withdrawn since). */
    title: text("title").notNull(),
    reason: text("reason", { enum: REPORT_REASONS }).notNull(),
    comment: text("comment").notNull(),
    /**
     * Who reported: for a report sent, the local account or token (never told to the
     * publisher); for one received, the Flag's actor (the reporter's institution).
     */
    reporter: text("reporter").notNull(),
    /** The reporter's server (host[:port]): ours for a report sent. */
    reporterServer: text("reporter_server").notNull(),
    /** The Flag's id, so a Flag delivered twice is one report. */
    activityId: text("activity_id").notNull().unique(),
    state: text("state", { enum: REPORT_STATES }).notNull(),
    /** The publisher's answer: written here for a report received, received for one sent. */
    answer: text("answer"),
    answeredAt: bigint("answered_at", { mode: "number" }),
    /**
     * What closed it: dismissed, course-withdrawn, reporter-blocked, publisher-blocked (the
     * actor), publisher-server-blocked.
     */
    resolution: text("resolution"),
    resolvedBy: text("resolved_by"),
    resolvedAt: bigint("resolved_at", { mode: "number" }),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
  },
  (table) => [
    index("reports_queue").on(table.direction, table.createdAt),
    index("reports_reporter").on(table.reporter, table.createdAt),
    index("reports_reporter_server").on(table.reporterServer, table.createdAt),
  ],
);
