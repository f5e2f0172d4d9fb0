import { MbzError } from "@coursefed/mbz";
import { MoodleError } from "@coursefed/moodle";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountError } from "../accounts/account-service.ts";
import { OidcError } from "../accounts/oidc/oidc-client.ts";
import { ActorError } from "../actors/local-actors.ts";
import { BlobDigestError } from "../blobs/blob-store.ts";
import { DownloadError } from "../blobs/resumable-download.ts";
import { BoostError } from "../catalog/boost-service.ts";
import { CatalogSearchError } from "../catalog/catalog-repository.ts";
import { FetchError } from "../catalog/fetch-service.ts";
import { ChangesError } from "../catalog/revision-changes.ts";
import { PublishError } from "../courses/publish-service.ts";
import { CourseChangesError } from "../courses/revision-changes.ts";
import { FollowError } from "../follows/follow-target.ts";
import { MoodleAccessError } from "../moodle-sites/moodle-site-service.ts";
import { TargetListingError } from "../moodle-targets/target-listing.ts";
import { TargetError } from "../moodle-targets/target-repository.ts";
import { TeacherPermissionError } from "../moodle-targets/teacher-permissions.ts";
import { NetworkSearchError } from "../network-search/network-search-query.ts";
import { ReportError } from "../reports/report-service.ts";
import { RestoreError } from "../restores/restore-service.ts";
import { RuleError } from "../restores/rule-service.ts";
import { ShareError } from "../restores/share-service.ts";
import { UpdateChangesError } from "../restores/update-changes.ts";
import { LogoError } from "../settings/institution-logo.ts";
import { SettingsError } from "../settings/node-settings.ts";
import { TokenError } from "../tokens/token-service.ts";
import { ReceiveBackupError } from "../uploads/receive-backup.ts";
import { BodyTooLargeError } from "./body-limits.ts";
import { JsonBodyError } from "./json-body.ts";

/** How HTTP says one refusal of the domain: its status, and the stable code programs read. */
export interface ProblemCode {
  readonly status: ContentfulStatusCode;
  readonly code: string;
}

/** A refusal as every route answers it: the API's body, or a page's status and message. */
export interface Problem extends ProblemCode {
  readonly message: string;
  readonly details?: unknown;
}

/** The HTTP form of one error class: the problem each of its errors is. */
interface ErrorProblems {
  readonly type: abstract new (...args: never[]) => Error;
  /** Every problem its errors can be, for the API's description. */
  readonly problems: readonly ProblemCode[];
  problemOf(error: Error): Problem;
}

/** An error class with codes: a code added to the class must be placed in the table. */
function coded<E extends Error & { readonly code: string }>(
  type: abstract new (...args: never[]) => E,
  codes: { readonly [Code in E["code"]]: ProblemCode },
  detailsOf: (error: E) => unknown = () => undefined,
): ErrorProblems {
  return {
    type,
    problems: Object.values(codes),
    problemOf: (error) => {
      const refused = error as E;
      const details = detailsOf(refused);
      return {
        ...codes[refused.code as E["code"]],
        message: refused.message,
        ...(details === undefined ? {} : { details }),
      };
    },
  };
}

/** An error class that is one refusal. */
function single(
  type: abstract new (...args: never[]) => Error,
  problemCode: ProblemCode,
): ErrorProblems {
  return {
    type,
    problems: [problemCode],
    problemOf: (error) => ({ ...problemCode, message: error.message }),
  };
}

const notFound = (code: string): ProblemCode => ({ status: 404, code });
const conflict = (code: string): ProblemCode => ({ status: 409, code });
const badRequest = (code: string): ProblemCode => ({ status: 400, code });
const unprocessable = (code: string): ProblemCode => ({ status: 422, code });
const forbidden = (code: string): ProblemCode => ({ status: 403, code });
const badGateway = (code: string): ProblemCode => ({ status: 502, code });

/**
 * One status and one code for each refusal, whichever route meets it: the same refusal
 * never reads differently on two routes, in the API or on a page. The principles: what
 * is not there (or not the caller's to see) is 404; what is there but in a state that
 * forbids the request (withdrawn, private, already taken, waiting for a confirmation) is
 * 409; what the caller may not do is 403; a request that cannot be read is 400, one that
 * reads but says something invalid 422; a remote server, or Moodle, that failed is 502.
 */
const ERROR_PROBLEMS: readonly ErrorProblems[] = [
  coded(
    PublishError,
    {
      INVALID_BACKUP: unprocessable("invalid_backup"),
      PERSONAL_DATA: unprocessable("personal_data"),
      NOT_FOUND: notFound("course_not_found"),
      NO_SUCH_TARGET: notFound("target_not_found"),
      NOT_YOURS: forbidden("forbidden"),
      INVALID_METADATA: unprocessable("invalid_metadata"),
      LICENCE_REFUSED: unprocessable("licence_refused"),
      UNKNOWN_SOURCE: unprocessable("unknown_source"),
    },
    (error) => (error.findings.length > 0 ? error.findings : undefined),
  ),
  coded(ReceiveBackupError, {
    EMPTY: unprocessable("empty_upload"),
    TOO_LARGE: { status: 413, code: "too_large" },
    // A client that went away reads no answer; one behind a proxy that cut it might.
    INCOMPLETE: badRequest("incomplete_upload"),
    INVALID_BACKUP: unprocessable("invalid_backup"),
  }),
  coded(FetchError, {
    NOT_IN_CATALOG: notFound("not_in_catalog"),
    NO_SUCH_REVISION: notFound("no_such_revision"),
    WITHDRAWN: conflict("withdrawn"),
    FOREIGN_ARCHIVE: conflict("foreign_archive"),
    NOT_FEDERATED: forbidden("not_federated"),
  }),
  coded(ChangesError, { ARCHIVE_UNAVAILABLE: badGateway("archive_unavailable") }),
  coded(UpdateChangesError, { NO_SUCH_TARGET: notFound("target_not_found") }),
  coded(CourseChangesError, {
    COURSE_NOT_FOUND: notFound("course_not_found"),
    NO_SUCH_REVISION: notFound("no_such_revision"),
    ARCHIVE_MISSING: conflict("archive_missing"),
  }),
  coded(NetworkSearchError, {
    INVALID_QUERY: badRequest("invalid_query"),
    NOT_FOLLOWED: conflict("not_followed"),
    NOT_FEDERATED: forbidden("not_federated"),
    NOT_A_COURSE: unprocessable("not_a_course"),
    UNREACHABLE: badGateway("unreachable"),
  }),
  coded(BoostError, {
    NOT_IN_CATALOG: notFound("not_in_catalog"),
    WITHDRAWN: conflict("withdrawn"),
    NOT_PUBLIC: conflict("not_public"),
  }),
  coded(RestoreError, {
    NOT_IN_CATALOG: notFound("not_in_catalog"),
    NO_SUCH_REVISION: notFound("no_such_revision"),
    WITHDRAWN: conflict("withdrawn"),
    NO_SUCH_TARGET: notFound("target_not_found"),
    NEEDS_CONFIRMATION: conflict("confirmation_required"),
    NOT_PERMITTED: forbidden("restore_not_permitted"),
    OVERRIDE_NOT_PERMITTED: forbidden("override_not_permitted"),
    INVALID_COURSE_NAME: badRequest("invalid_course_name"),
  }),
  coded(ReportError, {
    NOT_IN_CATALOG: notFound("not_in_catalog"),
    NOT_OURS: notFound("course_not_found"),
    NOT_FOUND: notFound("report_not_found"),
    INVALID: unprocessable("invalid_report"),
    RATE_LIMITED: { status: 429, code: "too_many_reports" },
    WRONG_DIRECTION: conflict("wrong_report_direction"),
    PUBLISHER_UNKNOWN: badGateway("publisher_unknown"),
    REPORTER_UNKNOWN: conflict("reporter_unknown"),
  }),
  coded(ShareError, {
    NOT_SHARED: notFound("not_shared"),
    SHARED_BY_SOMEONE_ELSE: forbidden("shared_by_someone_else"),
    SHARE_UNDER_WAY: conflict("share_under_way"),
  }),
  coded(MoodleAccessError, {
    // Only a ws target takes a token from its site.
    NOT_WS: conflict("not_ws_target"),
    INVALID_TOKEN: badRequest("invalid_token"),
    PROBE_FAILED: badGateway("moodle_access_failed"),
  }),
  coded(RuleError, {
    NO_MATCHER: badRequest("invalid_request"),
    INVALID: badRequest("invalid_request"),
    TARGET_NOT_FOUND: notFound("target_not_found"),
    NOT_FOUND: notFound("rule_not_found"),
  }),
  coded(FollowError, {
    BAD_TARGET: badRequest("bad_target"),
    NOT_FOUND: notFound("not_found"),
    NOT_AN_ACTOR: unprocessable("not_an_actor"),
    NO_SUCH_REQUEST: notFound("no_such_request"),
    NOT_FEDERATED: forbidden("not_federated"),
    PRIVATE_ADDRESS: forbidden("private_address"),
    UNREACHABLE: badGateway("unreachable"),
    REJECTED: conflict("rejected"),
    NOT_FOLLOWING: notFound("not_following"),
    CATCH_UP_UNDER_WAY: conflict("catch_up_under_way"),
  }),
  coded(CatalogSearchError, {
    INVALID_CURSOR: badRequest("invalid_cursor"),
  }),
  coded(TargetError, {
    DUPLICATE: conflict("target_exists"),
    NOT_FOUND: notFound("target_not_found"),
    INVALID: badRequest("invalid_target"),
    OTHER_SITE: conflict("target_other_site"),
  }),
  coded(TargetListingError, {
    NO_SUCH_TARGET: notFound("target_not_found"),
    NOT_PERMITTED: forbidden("listing_not_permitted"),
  }),
  coded(TeacherPermissionError, {
    NO_SUCH_TARGET: notFound("target_not_found"),
    NO_SUCH_TEACHER: badRequest("teacher_not_found"),
    INVALID: badRequest("invalid_request"),
  }),
  coded(LogoError, {
    EMPTY: badRequest("invalid_logo"),
    NOT_AN_IMAGE: { status: 415, code: "unsupported_logo_type" },
    SVG_REFUSED: { status: 415, code: "unsupported_logo_type" },
    TOO_LARGE: { status: 413, code: "logo_too_large" },
  }),
  coded(SettingsError, { INVALID_SETTING: badRequest("invalid_setting") }, (error) => ({
    field: error.field,
  })),
  coded(AccountError, {
    INVALID_USERNAME: badRequest("invalid_username"),
    TAKEN: conflict("taken"),
    NOT_FOUND: notFound("account_not_found"),
    LAST_ADMIN: conflict("last_admin"),
    SELF: conflict("self"),
    DISABLED: forbidden("disabled"),
    SINGLE_SIGN_ON: conflict("single_sign_on"),
  }),
  coded(OidcError, {
    // The sign-in this browser started does not match the answer: start it again.
    STATE_MISMATCH: badRequest("state_mismatch"),
    NONCE_MISMATCH: badRequest("nonce_mismatch"),
    PROVIDER_REFUSED: forbidden("provider_refused"),
    // The rest is for the node's administrator to fix: the message says what.
    UNREACHABLE: badGateway("oidc_unreachable"),
    BAD_DISCOVERY: badGateway("oidc_bad_discovery"),
    ISSUER_MISMATCH: badGateway("oidc_issuer_mismatch"),
    TOKEN_REFUSED: badGateway("oidc_token_refused"),
    INVALID_ID_TOKEN: badGateway("oidc_invalid_id_token"),
    USERINFO_FAILED: badGateway("oidc_userinfo_failed"),
  }),
  coded(
    MoodleError,
    {
      // A course or category the site does not have is the caller's mistake, not Moodle's.
      NOT_FOUND: notFound("moodle_not_found"),
      UNREACHABLE: badGateway("moodle_unreachable"),
      TIMEOUT: badGateway("moodle_timeout"),
      AUTHENTICATION: badGateway("moodle_authentication"),
      MISCONFIGURED: badGateway("moodle_misconfigured"),
      PLUGIN_MISSING: badGateway("moodle_plugin_missing"),
      RESTORE_FAILED: badGateway("moodle_restore_failed"),
      RESTORE_INCOMPLETE: badGateway("moodle_restore_incomplete"),
      BACKUP_FAILED: badGateway("moodle_backup_failed"),
    },
    (error) => (error.log ? { log: error.log } : undefined),
  ),
  coded(JsonBodyError, {
    MALFORMED_JSON: badRequest("malformed_json"),
    TOO_DEEP: badRequest("too_deep"),
  }),
  coded(BodyTooLargeError, { TOO_LARGE: { status: 413, code: "too_large" } }),
  coded(TokenError, { NOT_FOUND: notFound("token_not_found") }),
  single(ActorError, conflict("handle_unavailable")),
  // An archive held here that cannot be read (a diff reads two): published ones were read whole.
  single(MbzError, unprocessable("invalid_backup")),
  single(DownloadError, badGateway("download_failed")),
  single(BlobDigestError, badGateway("download_failed")),
];

/** The problem an error of the domain is, or undefined for an error no route should catch. */
export function problemOf(error: unknown): Problem | undefined {
  for (const entry of ERROR_PROBLEMS) {
    if (error instanceof entry.type) return entry.problemOf(error);
  }
  return undefined;
}

const STATUS_OF_CODE: ReadonlyMap<string, ContentfulStatusCode> = new Map(
  ERROR_PROBLEMS.flatMap((entry) => entry.problems.map(({ code, status }) => [code, status])),
);

/** The status the API answers a problem code of the domain with; undefined for another. */
export function problemStatus(code: string): ContentfulStatusCode | undefined {
  return STATUS_OF_CODE.get(code);
}

/**
 * The status a page answers a refusal of the domain with: the API's for the same
 * refusal. An error the table does not know is no refusal: the page should not have
 * caught it, and says so with a 500.
 */
export function refusalStatus(error: Error): ContentfulStatusCode {
  return problemOf(error)?.status ?? 500;
}
