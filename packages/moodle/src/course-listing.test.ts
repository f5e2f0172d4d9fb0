import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { categoriesOf, coursePageOf, courseSearchWindow } from "./course-listing.ts";
import { WsDriver } from "./drivers/ws-driver.ts";
import { MoodleError } from "./errors.ts";

describe("courseSearchWindow", () => {
  it("keeps a page within what one listing returns", () => {
    expect(courseSearchWindow({})).toEqual({ offset: 0, limit: 50 });
    expect(courseSearchWindow({ offset: 120, limit: 10 })).toEqual({ offset: 120, limit: 10 });
    expect(courseSearchWindow({ offset: -5, limit: 5000 })).toEqual({ offset: 0, limit: 200 });
    expect(courseSearchWindow({ offset: 2.7, limit: 0 })).toEqual({ offset: 2, limit: 1 });
  });
});

describe("the listing's answers", () => {
  it("reads categories and courses as course_listing answers them", () => {
    expect(
      categoriesOf(
        {
          categories: [
            {
              id: 7,
              name: "Chimie",
              path: "Sciences / Chimie",
              parent: 4,
              coursecount: 2,
              visible: false,
            },
          ],
        },
        "list",
      ),
    ).toEqual([
      {
        id: 7,
        name: "Chimie",
        path: "Sciences / Chimie",
        parentId: 4,
        courseCount: 2,
        visible: false,
      },
    ]);
    expect(
      coursePageOf(
        {
          total: 9,
          courses: [
            {
              id: 30,
              fullname: "Chimie",
              shortname: "CH",
              categoryid: 7,
              categorypath: "Sciences / Chimie",
              visible: true,
            },
          ],
        },
        "list",
      ),
    ).toEqual({
      total: 9,
      courses: [
        {
          id: 30,
          fullName: "Chimie",
          shortName: "CH",
          categoryId: 7,
          categoryPath: "Sciences / Chimie",
          visible: true,
        },
      ],
    });
  });

  it("refuses an answer of another shape, naming what answered and what is missing", () => {
    const categories = () => categoriesOf({ items: [] }, "list_categories.php");
    expect(categories).toThrow(MoodleError);
    expect(categories).toThrow("list_categories.php answered without categories");
    expect(() => coursePageOf({ courses: [] }, "local_coursefed_list_courses")).toThrow(
      "local_coursefed_list_courses answered without total and courses",
    );
    expect(() => coursePageOf(undefined, "x")).toThrow(MoodleError);
  });
});

describe("the ws driver's listings", () => {
  let server: Server;
  let site: string;
  let answer: (wsfunction: string, parameters: URLSearchParams) => unknown;
  const received: URLSearchParams[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        const parameters = new URLSearchParams(body);
        received.push(parameters);
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(answer(parameters.get("wsfunction") ?? "", parameters)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends the words and the page, and no empty search", async () => {
    answer = () => ({ total: 0, courses: [] });
    const driver = new WsDriver({ url: site, token: "t", timeoutMs: 5000 });
    await driver.listCourses({ search: "  chimie organique ", offset: 50, limit: 25 });
    const sent = received.at(-1);
    expect(sent?.get("wsfunction")).toBe("local_coursefed_list_courses");
    expect([sent?.get("search"), sent?.get("offset"), sent?.get("limit")]).toEqual([
      "chimie organique",
      "50",
      "25",
    ]);
    await driver.listCourses({ search: "   " });
    expect(received.at(-1)?.has("search")).toBe(false);
  });

  it("says a plugin without the listing functions is too old, and how to upgrade it", async () => {
    answer = () => ({
      exception: "dml_missing_record_exception",
      errorcode: "invalidrecord",
      message: "Can't find data record in database table external_functions.",
    });
    const driver = new WsDriver({ url: site, token: "t", timeoutMs: 5000 });
    const error = (await driver.listCategories().catch((caught: unknown) => caught)) as MoodleError;
    expect(error).toBeInstanceOf(MoodleError);
    expect(error.code).toBe("PLUGIN_MISSING");
    expect(error.message).toContain(
      "has no local_coursefed_list_categories: its local_coursefed is missing or older than version 2026120601",
    );
    expect(error.message).toContain("admin/cli/upgrade.php");
  });

  it("passes on the site's refusal of a user who may restore nowhere", async () => {
    answer = () => ({
      exception: "required_capability_exception",
      errorcode: "nopermissions",
      message:
        "Sorry, but you do not currently have permissions to do that (Restore a coursefed backup without user data).",
    });
    const driver = new WsDriver({ url: site, token: "t", timeoutMs: 5000 });
    await expect(driver.listCourses({})).rejects.toMatchObject({ code: "AUTHENTICATION" });
  });
});
