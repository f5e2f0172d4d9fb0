import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type TestProjectConfiguration } from "vitest/config";

/** Tests that use the node's database, run a second time on PostgreSQL. */
const DATABASE_TESTS = [
  "packages/node/src/**/*.test.ts",
  "test/federation/**/*.test.ts",
  "test/web/**/*.test.ts",
];

/**
 * The PostgreSQL project needs a server: Debian's postgresql package (installed by
 * .ci/run), or COURSEFED_TEST_POSTGRES_URL. Without either it is left out with a
 * message, except in CI, where that is an error.
 */
function postgresProject(): TestProjectConfiguration[] {
  const root = "/usr/lib/postgresql";
  const installed =
    existsSync(root) &&
    readdirSync(root).some((version) => existsSync(join(root, version, "bin", "initdb")));
  if (!installed && !process.env.COURSEFED_TEST_POSTGRES_URL) {
    const why =
      "PostgreSQL's server is not installed (apt-get install postgresql) and COURSEFED_TEST_POSTGRES_URL is not set";
    if (process.env.CI) throw new Error(`The tests on PostgreSQL cannot run in CI: ${why}.`);
    console.warn(`Skipping the tests on PostgreSQL: ${why}.`);
    return [];
  }
  return [
    {
      extends: true,
      test: {
        name: "postgres",
        include: [...DATABASE_TESTS, "test/scale/**/*.test.ts"],
        exclude: ["**/node_modules/**"],
        globalSetup: ["test/support/postgres-server.ts"],
        setupFiles: ["test/support/postgres-environment.ts"],
      },
    },
  ];
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "test/moodle/**", "test/newcomer/**", "test/scale/**"],
        },
      },
      {
        // Tests on real Moodle sites, 4.5.6 and 5.1.3 (COURSEFED_MOODLE_RELEASES picks one):
        // the project's globalSetup installs them once per run (only when one of these
        // files is selected), before any of them starts; each suite runs on both
        // (describeOnEachMoodle in test/support/moodle-site.ts).
        extends: true,
        test: {
          name: "moodle",
          // test/newcomer restores into the same site, from nodes started as a newcomer would.
          include: ["test/moodle/**/*.test.ts", "test/newcomer/**/*.test.ts"],
          globalSetup: ["test/support/moodle-site.ts"],
          // The same sites for every file: some tests change site settings for a moment.
          fileParallelism: false,
        },
      },
      ...postgresProject(),
    ],
  },
});
