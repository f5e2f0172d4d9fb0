import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A category as local_coursefed_list_categories answers it. */
export interface ListedCategory {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly parent: number;
  readonly coursecount: number;
  readonly visible: boolean;
}

/** A course as local_coursefed_list_courses answers it. */
export interface ListedCourse {
  readonly id: number;
  readonly fullname: string;
  readonly shortname: string;
  readonly categoryid: number;
  readonly categorypath: string;
  readonly visible: boolean;
}

export interface ListingSite {
  readonly url: string;
  /** The parameters of each listing call received, in order. */
  readonly calls: Array<{ wsfunction: string; parameters: Record<string, string> }>;
  close(): Promise<void>;
}

/** Categories and courses of a made-up site, in Moodle's order and by full name. */
export const LISTED_CATEGORIES: readonly ListedCategory[] = [
  { id: 1, name: "Divers", path: "Divers", parent: 0, coursecount: 0, visible: true },
  { id: 4, name: "Sciences", path: "Sciences", parent: 0, coursecount: 1, visible: true },
  { id: 7, name: "Chimie", path: "Sciences / Chimie", parent: 4, coursecount: 2, visible: true },
  {
    id: 9,
    name: "Archives",
    path: "Sciences / Archives",
    parent: 4,
    coursecount: 0,
    visible: false,
  },
];

export const LISTED_COURSES: readonly ListedCourse[] = [
  {
    id: 31,
    fullname: "Chimie minérale",
    shortname: "CHMIN",
    categoryid: 7,
    categorypath: "Sciences / Chimie",
    visible: true,
  },
  {
    id: 30,
    fullname: "Chimie organique",
    shortname: "CHORG",
    categoryid: 7,
    categorypath: "Sciences / Chimie",
    visible: false,
  },
  {
    id: 12,
    fullname: "Optique",
    shortname: "OPT",
    categoryid: 4,
    categorypath: "Sciences",
    visible: true,
  },
];

/** The site identifier hash (md5 of Moodle's siteidentifier) a stand-in site answers by default. */
export const LISTING_SITE_IDENTIFIER_HASH = "0c1d6e1f4b9a3c2d5e6f708192a3b4c5";

/**
 * A stand-in for a Moodle site with local_coursefed (ws driver) that answers the probe and
 * the two listing functions as the plugin does, searching its courses by every word of
 * their full or short names and paging them; the real listing is tested against real
 * Moodle sites (test/moodle). With `plugin: "old"`, it answers the listing functions as
 * a site whose local_coursefed predates them: no such function; with `hang`, never. With
 * `token`, it refuses any other token as Moodle does (invalidtoken); `siteIdentifierHash`
 * says which site it is (null: a plugin too old to say).
 */
export async function startListingSite(
  options: {
    plugin?: "current" | "old";
    hang?: boolean;
    token?: string;
    siteIdentifierHash?: string | null;
  } = {},
): Promise<ListingSite> {
  const calls: ListingSite["calls"] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const parameters = Object.fromEntries(new URLSearchParams(body));
      const { wsfunction = "", wstoken, moodlewsrestformat, ...rest } = parameters;
      response.writeHead(200, { "content-type": "application/json" });
      if (options.token !== undefined && wstoken !== options.token) {
        response.end(
          JSON.stringify({
            exception: "moodle_exception",
            errorcode: "invalidtoken",
            message: "Invalid token - token not found",
          }),
        );
        return;
      }
      const listing = wsfunction.startsWith("local_coursefed_list_");
      if (listing) calls.push({ wsfunction, parameters: rest });
      // A site that takes the request and never answers it.
      if (listing && options.hang) return;
      if (listing && options.plugin === "old") {
        response.end(
          JSON.stringify({
            exception: "dml_missing_record_exception",
            errorcode: "invalidrecord",
            message: "Can't find data record in database table external_functions.",
          }),
        );
        return;
      }
      const identity =
        options.siteIdentifierHash === undefined
          ? LISTING_SITE_IDENTIFIER_HASH
          : options.siteIdentifierHash;
      response.end(
        JSON.stringify(
          wsfunction === "local_coursefed_site_info"
            ? {
                ...(answer(wsfunction, rest) as object),
                ...(identity === null ? {} : { siteidentifierhash: identity }),
              }
            : answer(wsfunction, rest),
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(wsfunction: string, parameters: Record<string, string>): unknown {
  switch (wsfunction) {
    case "local_coursefed_site_info":
      return {
        version: "2024100706.00",
        release: "4.5.6 (Build: 20250811)",
        branch: "405",
        maxuploadbytes: 0,
        plugins: [{ component: "local_coursefed", version: "2026120601" }],
      };
    case "local_coursefed_list_categories":
      return { categories: LISTED_CATEGORIES };
    case "local_coursefed_list_courses": {
      const words = (parameters.search ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      const found = LISTED_COURSES.filter((course) =>
        words.every((word) =>
          `${course.fullname} ${course.shortname}`.toLowerCase().includes(word),
        ),
      );
      const offset = Number(parameters.offset ?? 0);
      const limit = Number(parameters.limit ?? 50);
      return { total: found.length, courses: found.slice(offset, offset + limit) };
    }
    default:
      return {
        exception: "dml_missing_record_exception",
        errorcode: "invalidrecord",
        message: "Can't find data record in database table external_functions.",
      };
  }
}
