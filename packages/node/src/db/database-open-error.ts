import { CodedError } from "../coded-error.ts";

/**
 * A database server that did not let the node in: UNREACHABLE when nothing answered at
 * its address (down, or the wrong host or port), REFUSED when it answered no (user,
 * password, or a database that does not exist). Either is the admin's to fix, from the
 * URL the message names without its password.
 */
export class DatabaseOpenError extends CodedError<"UNREACHABLE" | "REFUSED"> {
  constructor(location: string, cause: unknown) {
    const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
    const unreachable = typeof code === "string" && /^E[A-Z]+$/.test(code);
    const reason = unreachable
      ? `${code === "ECONNREFUSED" ? "nothing answered there" : code === "ENOTFOUND" ? "no such host" : String(message)} (${code})`
      : String(message);
    super(
      unreachable ? "UNREACHABLE" : "REFUSED",
      `cannot open the PostgreSQL database ${location}: ${reason}. Check --database-url (DATABASE_URL): that the server runs and this host reaches it, the user and password, and that the database exists.`,
    );
    this.cause = cause;
  }
}
