import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for a Moodle site with the local_coursefed plugin that answers only the
 * probe (local_coursefed_site_info), as the plugin does: enough for the admin pages to
 * show what a successful probe found without a Moodle site.
 */
export async function startSiteInfoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const known =
        request.url === "/webservice/rest/server.php" &&
        new URLSearchParams(body).get("wsfunction") === "local_coursefed_site_info";
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify(
          known
            ? {
                version: "2024100706.00",
                release: "4.5.6 (Build: 20250811)",
                branch: "405",
                maxuploadbytes: 0,
                plugins: [
                  { component: "mod_forum", version: "2024100700" },
                  { component: "mod_glossary", version: "2024100700" },
                  { component: "local_coursefed", version: "2025081100" },
                ],
              }
            : { exception: "invalid_parameter_exception", message: "Unknown function" },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
