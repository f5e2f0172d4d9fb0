import { defineConfig } from "vitest/config";

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
          exclude: ["**/node_modules/**", "test/moodle/**"],
        },
      },
      {
        // Tests on a real Moodle site: the project's globalSetup installs it once per run
        // (only when one of these files is selected), before any of them starts.
        extends: true,
        test: {
          name: "moodle",
          include: ["test/moodle/**/*.test.ts"],
          globalSetup: ["test/support/moodle-site.ts"],
          // One site for every file: some tests change site settings for a moment.
          fileParallelism: false,
        },
      },
    ],
  },
});
