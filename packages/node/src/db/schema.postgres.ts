/**
 * The same tables as schema.ts, for PostgreSQL (DATABASE_URL=postgres://...). schema.ts
 * documents each table; schema-parity.test.ts keeps the two in step: same tables, same
 * columns, same values in JavaScript (milliseconds as bigint numbers, JSON as jsonb).
 * Migrations: `npm run db:generate` writes both dialects' folders.
 */
import type { JsonWebKey } from "node:crypto";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import {
  AUDIT_ACTORS,
  FOLLOW_STATES,
  MOODLE_DRIVERS,
  RESTORE_JOB_STATES,
  ROLES,
  RULE_EVENTS,
  RULE_MODES,
  VISIBILITIES,
  WEB_ROLES,
} from "./schema.ts";

export const kv = pgTable(
  "kv",
  {
    key: text("key").primaryKey(),
    value: text("value").notNull(),
    expiresAt: bigint("expires_at", { mode: "number" }),
  },
  (table) => [index("kv_expires_at").on(table.expiresAt)],
);

export const queueMessages = pgTable(
  "queue_messages",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    channel: text("channel").notNull().default("outbox"),
    message: jsonb("message").notNull(),
    orderingKey: text("ordering_key"),
    availableAt: bigint("available_at", { mode: "number" }).notNull(),
    leasedUntil: bigint("leased_until", { mode: "number" }),
    attempts: integer("attempts").notNull().default(0),
    enqueuedAt: bigint("enqueued_at", { mode: "number" }).notNull(),
  },
  (table) => [
    index("queue_messages_available_at").on(table.channel, table.availableAt),
    index("queue_messages_ordering_key").on(table.orderingKey, table.id),
  ],
);

export const localActors = pgTable("local_actors", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  identifier: text("identifier").notNull().unique(),
  handle: text("handle").notNull().unique(),
  type: text("type", { enum: ["Organization", "Person"] }).notNull(),
  name: text("name").notNull(),
  summary: text("summary"),
  manuallyApprovesFollowers: boolean("manually_approves_followers").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

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

export const remoteActors = pgTable("remote_actors", {
  uri: text("uri").primaryKey(),
  handle: text("handle"),
  type: text("type").notNull(),
  name: text("name"),
  inbox: text("inbox").notNull(),
  sharedInbox: text("shared_inbox"),
  fetchedAt: bigint("fetched_at", { mode: "number" }).notNull(),
});

export const followers = pgTable(
  "followers",
  {
    localActorId: integer("local_actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri")
      .notNull()
      .references(() => remoteActors.uri),
    followId: text("follow_id").notNull(),
    state: text("state", { enum: FOLLOW_STATES }).notNull(),
    requestedAt: bigint("requested_at", { mode: "number" }).notNull(),
    decidedAt: bigint("decided_at", { mode: "number" }),
  },
  (table) => [primaryKey({ columns: [table.localActorId, table.actorUri] })],
);

export const followings = pgTable(
  "followings",
  {
    localActorId: integer("local_actor_id")
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    actorUri: text("actor_uri")
      .notNull()
      .references(() => remoteActors.uri),
    followId: text("follow_id").notNull().unique(),
    state: text("state", { enum: FOLLOW_STATES }).notNull(),
    requestedAt: bigint("requested_at", { mode: "number" }).notNull(),
    decidedAt: bigint("decided_at", { mode: "number" }),
  },
  (table) => [primaryKey({ columns: [table.localActorId, table.actorUri] })],
);

export const courses = pgTable("courses", {
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
  deletedAt: bigint("deleted_at", { mode: "number" }),
});

export const courseRevisions = pgTable(
  "course_revisions",
  {
    courseId: text("course_id")
      .notNull()
      .references(() => courses.id),
    revision: integer("revision").notNull(),
    sha256: text("sha256").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    manifest: text("manifest").notNull(),
    publishedAt: bigint("published_at", { mode: "number" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.courseId, table.revision] })],
);

export const catalogEntries = pgTable(
  "catalog_entries",
  {
    objectUri: text("object_uri").primaryKey(),
    actorUri: text("actor_uri").notNull(),
    title: text("title").notNull(),
    summary: text("summary"),
    tags: jsonb("tags").$type<string[]>().notNull(),
    revision: integer("revision").notNull(),
    sha256: text("sha256").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    archiveUrl: text("archive_url").notNull(),
    manifest: jsonb("manifest").$type<Record<string, unknown>>().notNull(),
    manifestJws: text("manifest_jws").notNull(),
    moodleBranch: integer("moodle_branch"),
    languages: jsonb("languages").$type<string[]>().notNull().default([]),
    requiredPlugins: jsonb("required_plugins").$type<string[]>().notNull().default([]),
    publishedAt: bigint("published_at", { mode: "number" }).notNull(),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
    deletedAt: bigint("deleted_at", { mode: "number" }),
  },
  (table) => [
    index("catalog_entries_actor").on(table.actorUri),
    index("catalog_entries_moodle_branch").on(table.moodleBranch),
  ],
);

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
  },
  (table) => [primaryKey({ columns: [table.objectUri, table.revision] })],
);

export const apiTokens = pgTable("api_tokens", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  role: text("role", { enum: ROLES }).notNull(),
  actorId: integer("actor_id")
    .notNull()
    .references(() => localActors.id, { onDelete: "cascade" }),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  lastUsedAt: bigint("last_used_at", { mode: "number" }),
});

export const uploads = pgTable("uploads", {
  id: text("id").primaryKey(),
  tokenId: integer("token_id")
    .notNull()
    .references(() => apiTokens.id, { onDelete: "cascade" }),
  sha256: text("sha256").notNull(),
  size: bigint("size", { mode: "number" }).notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

export const peers = pgTable("peers", {
  host: text("host").primaryKey(),
  deliveries: integer("deliveries").notNull().default(0),
  failures: integer("failures").notNull().default(0),
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  lastDeliveredAt: bigint("last_delivered_at", { mode: "number" }),
  lastFailedAt: bigint("last_failed_at", { mode: "number" }),
  lastError: text("last_error"),
});

export const moodleTargets = pgTable("moodle_targets", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull().unique(),
  driver: text("driver", { enum: MOODLE_DRIVERS }).notNull(),
  url: text("url").notNull(),
  settings: jsonb("settings").$type<Record<string, string | number>>().notNull(),
  defaultCategoryId: integer("default_category_id").notNull().default(1),
  teacherCategoryIds: jsonb("teacher_category_ids").$type<number[]>().notNull().default([]),
  timeoutMs: bigint("timeout_ms", { mode: "number" }).notNull(),
  siteInfo: jsonb("site_info").$type<Record<string, unknown>>(),
  probedAt: bigint("probed_at", { mode: "number" }),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});

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
    destination: jsonb("destination").$type<Record<string, string | number>>().notNull(),
    state: text("state", { enum: RESTORE_JOB_STATES }).notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedByActorId: integer("requested_by_actor_id"),
    ruleId: integer("rule_id"),
    overriddenBy: text("overridden_by"),
    attempts: integer("attempts").notNull().default(0),
    problems: jsonb("problems").$type<unknown[]>().notNull().default([]),
    moodleCourseId: integer("moodle_course_id"),
    courseUrl: text("course_url"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    log: text("log"),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    startedAt: bigint("started_at", { mode: "number" }),
    finishedAt: bigint("finished_at", { mode: "number" }),
    moodleMs: bigint("moodle_ms", { mode: "number" }),
  },
  (table) => [
    uniqueIndex("restore_jobs_idempotence").on(
      table.objectUri,
      table.revision,
      table.targetId,
      table.destinationKey,
    ),
    index("restore_jobs_created").on(table.createdAt),
    index("restore_jobs_moodle_course").on(table.targetId, table.moodleCourseId),
  ],
);

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
    grantedBy: text("granted_by").notNull(),
    grantedAt: bigint("granted_at", { mode: "number" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.targetId, table.moodleCourseId, table.actorId] })],
);

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
    oidcIssuer: text("oidc_issuer"),
    oidcSubject: text("oidc_subject"),
    disabledAt: bigint("disabled_at", { mode: "number" }),
  },
  (table) => [uniqueIndex("web_accounts_oidc").on(table.oidcIssuer, table.oidcSubject)],
);

export const webSessions = pgTable(
  "web_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    accountId: integer("account_id")
      .notNull()
      .references(() => webAccounts.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
  },
  (table) => [index("web_sessions_account").on(table.accountId)],
);

export const loginFailures = pgTable(
  "login_failures",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    key: text("key").notNull(),
    failedAt: bigint("failed_at", { mode: "number" }).notNull(),
  },
  (table) => [index("login_failures_key").on(table.key, table.failedAt)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    at: bigint("at", { mode: "number" }).notNull(),
    byKind: text("by_kind", { enum: AUDIT_ACTORS }).notNull(),
    byName: text("by_name").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (table) => [index("audit_log_at").on(table.at)],
);

export const scheduledTasks = pgTable("scheduled_tasks", {
  name: text("name").primaryKey(),
  nextRunAt: bigint("next_run_at", { mode: "number" }).notNull(),
  lastRunBy: text("last_run_by"),
  lastRunAt: bigint("last_run_at", { mode: "number" }),
});

export const nodeSettings = pgTable("node_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<unknown>().notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  updatedBy: text("updated_by").notNull(),
});

export const webUploads = pgTable("web_uploads", {
  id: text("id").primaryKey(),
  accountId: integer("account_id")
    .notNull()
    .references(() => webAccounts.id, { onDelete: "cascade" }),
  sha256: text("sha256").notNull(),
  size: bigint("size", { mode: "number" }).notNull(),
  report: jsonb("report").$type<Record<string, unknown>>().notNull(),
  courseId: text("course_id"),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
});
