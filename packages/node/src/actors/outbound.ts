import type { courseRevisions, courses } from "../db/schema.postgres.ts";
import type { LocalActor } from "./local-actors.ts";
import type { RemoteActor } from "./remote-actors.ts";

/**
 * A course and a revision as the events carry them: the rows courses/ keeps (its Course
 * and CourseRevision), named from the schema so that the events, below courses/ and
 * follows/, import neither.
 */
type Course = typeof courses.$inferSelect;
type CourseRevision = typeof courseRevisions.$inferSelect;

/** A course shared beyond this node got a revision: its first (a new course) or a later one. */
export interface CoursePublished {
  readonly type: "course-published";
  readonly actor: LocalActor;
  readonly course: Course;
  readonly revision: CourseRevision;
}

/** A shared course's description changed, without a new revision. */
export interface CourseEdited {
  readonly type: "course-edited";
  readonly author: LocalActor;
  readonly course: Course;
  /** The current revision, with its manifest signed again if the licence changed. */
  readonly revision: CourseRevision;
}

/** A course is no longer served to those who received it: withdrawn, or made private. */
export interface CourseWithdrawn {
  readonly type: "course-withdrawn";
  readonly author: LocalActor;
  readonly courseId: string;
  readonly cause: "withdrawn" | "made-private";
}

/** A local actor shares a course of another node with its followers. */
export interface CourseBoosted {
  readonly type: "course-boosted";
  readonly actor: LocalActor;
  readonly objectUri: string;
}

/** Where a remote actor is reached: its URI and inboxes, as the node keeps them. */
export type RemoteAddress = Pick<RemoteActor, "uri" | "inbox" | "sharedInbox">;

/** A local actor asks a remote one to let it follow: the Follow kept under `followId`. */
export interface FollowRequested {
  readonly type: "follow-requested";
  readonly local: LocalActor;
  readonly remote: RemoteAddress;
  readonly followId: string;
}

/** A local actor stops following a remote one: its Follow `followId` is undone. */
export interface FollowUndone {
  readonly type: "follow-undone";
  readonly local: LocalActor;
  readonly remote: RemoteAddress;
  readonly followId: string;
}

/** A local actor accepted or refused a remote actor's Follow `followId`. */
export interface FollowAnswered {
  readonly type: "follow-answered";
  readonly local: LocalActor;
  readonly follower: RemoteAddress;
  readonly followId: string;
  readonly state: "accepted" | "rejected";
}

/**
 * One of ours reports another node's course: a Flag from our institution (never from the
 * person) to the course's publisher, naming the course and its publisher.
 */
export interface CourseReported {
  readonly type: "course-reported";
  /** The Flag's id, under which the publisher's answer comes back. */
  readonly flagId: string;
  readonly objectUri: string;
  readonly publisher: RemoteAddress;
  readonly reason: string;
  readonly comment: string;
}

/** Our admin answers a report received: a Note from our institution, in reply to the Flag. */
export interface ReportAnswered {
  readonly type: "report-answered";
  readonly reportId: string;
  readonly flagId: string;
  readonly objectUri: string;
  readonly reporter: RemoteAddress;
  readonly text: string;
}

/**
 * What a local actor tells other nodes, in the domain's words. The services hand these to
 * an `Outbound`; federation/outbound.ts, the one bridge, turns each into its activity and
 * sends it, so that no service builds an activity or knows Fedify.
 */
export type OutboundEvent =
  | CoursePublished
  | CourseEdited
  | CourseWithdrawn
  | CourseBoosted
  | FollowRequested
  | FollowUndone
  | FollowAnswered
  | CourseReported
  | ReportAnswered;

export interface Outbound {
  /** Sends the event's activity to whom it concerns; gives back the activity's id. */
  deliver(event: OutboundEvent): Promise<URL>;
}

/** What the domain asks of another node's objects, answered by federation/. */
export interface RemoteObjects {
  /**
   * Whether the object is public: asked unsigned, as any follower's server would, so
   * that only a course shared with everyone answers. An unreachable object is not.
   */
  isPublic(objectUri: string): Promise<boolean>;
}
