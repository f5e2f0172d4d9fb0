/**
 * The layers of packages/node and what may import what (docs/architecture.md draws them).
 * `npm run lint` runs this; a new circle or an import against a layer fails it.
 * Imports that break a rule today are listed in .dependency-cruiser-known-violations.json
 * (made with `npx depcruise-baseline`): each is work left, and the list only shrinks.
 */

const NODE = "^packages/node/src/";

/** Plain building blocks: they know no coursefed concern. */
const FOUNDATION = `${NODE}(bearer-secrets|coded-error|config-error|config-names|control-characters|temporal|byte-size|private-files|lru-map|keep-touched|staging-directories|expiring-read)[.]ts$|${NODE}(db|blobs|cluster|scheduling)/`;
/**
 * The domain's vocabulary (roles, visibilities, states, drivers): leaf files that import
 * nothing, at the bottom, so that the schema can describe its columns in the domain's words.
 */
const VOCABULARY = `${NODE}vocabulary/`;
/** One folder per concern, each with its repository and service. */
const DOMAIN = `${NODE}(accounts|actors|audit|catalog|courses|follows|manifests|moodle-sites|moodle-targets|network-search|peers|reports|restores|settings|tokens|uploads)/`;
const FEDERATION = `${NODE}federation/`;
const HTTP = `${NODE}(http|observability)/`;
const API = `${NODE}api/`;
const WEB = `${NODE}web/`;
/** Where the node is put together and started; nothing below may reach it. */
const COMPOSITION = `${NODE}(node|node-app|server|index|config)[.]ts$|${NODE}cli/`;

export default {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Files that import each other cannot be understood, tested or moved one at a time.",
      from: {},
      to: { circular: true },
    },
    {
      name: "foundation-stays-below",
      severity: "error",
      comment: "The building blocks know no concern of the node: they import nothing above them.",
      from: { path: FOUNDATION },
      to: { path: [DOMAIN, FEDERATION, HTTP, API, WEB, COMPOSITION], pathNot: VOCABULARY },
    },
    {
      name: "vocabulary-is-a-leaf",
      severity: "error",
      comment: "The domain's vocabulary is imported by the schema, so it imports nothing itself.",
      from: { path: VOCABULARY },
      to: { path: "^packages/", pathNot: VOCABULARY },
    },
    {
      name: "domain-stays-below-transport",
      severity: "error",
      comment:
        "The domain is plain TypeScript: federation, HTTP and the composition root call it, never the other way.",
      from: { path: DOMAIN },
      to: { path: [FEDERATION, HTTP, API, WEB, COMPOSITION] },
    },
    {
      name: "domain-without-frameworks",
      severity: "error",
      comment: "The domain must not depend on Fedify or Hono: it returns results and events.",
      from: { path: `${DOMAIN}|${FOUNDATION}` },
      to: { dependencyTypes: ["npm", "npm-dev"], path: "^node_modules/(@fedify|hono|@hono)/" },
    },
    {
      name: "federation-below-http",
      severity: "error",
      comment:
        "Federation is wiring between activities and services; HTTP mounts it, not the reverse.",
      from: { path: FEDERATION },
      to: { path: [HTTP, API, WEB, COMPOSITION] },
    },
    {
      name: "api-and-web-are-siblings",
      severity: "error",
      comment: "The API and the web pages both call services; neither imports the other.",
      from: { path: API },
      to: { path: WEB },
    },
    {
      name: "web-and-api-are-siblings",
      severity: "error",
      comment: "The API and the web pages both call services; neither imports the other.",
      from: { path: WEB },
      to: { path: API },
    },
    {
      name: "shared-http-below-api-and-web",
      severity: "error",
      comment:
        "http/ and observability/ are shared by the API and the web pages: they import neither.",
      from: { path: HTTP },
      to: { path: [API, WEB, COMPOSITION] },
    },
    {
      name: "transport-below-composition",
      severity: "error",
      comment: "Only the composition root and the CLI put the node together.",
      from: { path: [API, WEB] },
      to: { path: COMPOSITION },
    },
    {
      name: "library-packages-stay-libraries",
      severity: "error",
      comment:
        "@coursefed/mbz reads archives and @coursefed/moodle drives Moodle: neither knows the node.",
      from: { path: "^packages/(mbz|moodle)/" },
      to: { path: "^packages/node/" },
    },
    {
      name: "mbz-knows-no-moodle-driver",
      severity: "error",
      comment: "@coursefed/mbz has no network and no Moodle site: it reads archives only.",
      from: { path: "^packages/mbz/" },
      to: { path: "^packages/moodle/" },
    },
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    exclude: { path: "[.]test[.]ts$|/test-[a-z-]+[.]ts$" },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default"],
      extensions: [".ts", ".js"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
