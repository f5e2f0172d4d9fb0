import type { MessageQueue } from "@fedify/fedify";
import type { LocalActorRepository } from "../actors/local-actors.ts";
import type { BlobStore } from "../blobs/blob-store.ts";
import type { CatalogEvents } from "../catalog/catalog-events.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import type { CourseRepository } from "../courses/course-repository.ts";
import type { FollowRepository } from "../follows/follow-repository.ts";
import type { MoodleTargetRepository } from "../moodle-targets/target-repository.ts";
import type { PeerRepository } from "../peers/peer-repository.ts";
import type { BlockedActors } from "../reports/blocked-actors.ts";
import type { ReportRepository } from "../reports/report-repository.ts";
import type { ArchiveLinks } from "../restores/archive-links.ts";
import type { RestoreRepository } from "../restores/restore-repository.ts";
import type { ShareJobRepository } from "../restores/share-jobs.ts";
import type { ShareQueue } from "../restores/share-service.ts";
import type { NodeSettings } from "../settings/node-settings.ts";

/** What Fedify's callbacks get to work with: the node's services, no HTTP. */
export interface FederationServices {
  readonly actors: LocalActorRepository;
  readonly follows: FollowRepository;
  /** The federation policy and the auto-accepted hosts in force (the console may change them). */
  readonly settings: NodeSettings;
  /** Our own courses, published here. */
  readonly courses: CourseRepository;
  /** The courses received from the actors this node follows. */
  readonly catalog: CatalogRepository;
  /** Where the inbox tells that a revision was received (auto-restore listens). */
  readonly catalogEvents: CatalogEvents;
  readonly blobs: BlobStore;
  readonly peers: PeerRepository;
  readonly moodleTargets: MoodleTargetRepository;
  readonly restores: RestoreRepository;
  /** Download links a Moodle site pulls a restore's archive by (the ws driver). */
  readonly archiveLinks: ArchiveLinks;
  /** Where restore jobs are queued (the database queue's "restore" channel). */
  readonly restoreQueue: MessageQueue;
  /** Shares of Moodle courses asked for by their sites, and the queue their jobs wait in. */
  readonly shareJobs: ShareJobRepository;
  readonly shareQueue: ShareQueue;
  /** Reports about courses (Flags), sent and received. */
  readonly reports: ReportRepository;
  /** Remote actors an admin blocked from a report: nothing of theirs is handled. */
  readonly blockedActors: BlockedActors;
  readonly softwareVersion: string;
  /** Whether peers may be on private and loopback addresses (--allow-private-addresses). */
  readonly allowPrivateAddresses: boolean;
}
