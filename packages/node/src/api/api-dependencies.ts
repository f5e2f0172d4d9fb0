import type { Context as FederationContext } from "@fedify/fedify";
import type { AuditLog } from "../audit/audit-log.ts";
import type { CatchUpRuns } from "../federation/catch-up-runs.ts";
import type { FederationServices } from "../federation/context.ts";
import type { MoodleSiteService } from "../moodle-sites/moodle-site-service.ts";
import type { TokenRepository } from "../tokens/token-repository.ts";
import type { UploadRepository } from "../uploads/upload-repository.ts";
import type { WebUploadRepository } from "../uploads/web-upload-repository.ts";

/** What every route of the API is given: the services and the stores it reads. */
export interface ApiDependencies {
  readonly services: FederationServices;
  readonly tokens: TokenRepository;
  readonly uploads: UploadRepository;
  /** The web pages' uploads: an archive one still waits with is not deleted. */
  readonly webUploads: WebUploadRepository;
  readonly maxUploadBytes: number;
  /** Where admin actions are recorded. */
  readonly audit: AuditLog;
  /** Registered Moodle sites and the Moodle users they act for. */
  readonly moodleSites: MoodleSiteService;
  /** The admins' catch-ups of every followed actor, run in the background. */
  readonly catchUpRuns: CatchUpRuns;
  /** A Fedify context for the request, so that services can send activities. */
  readonly context: (request: Request) => FederationContext<FederationServices>;
}
