/**
 * setupFiles of the `postgres` vitest project: points temporaryDatabase() and the test
 * nodes at the run's PostgreSQL server, in this project's workers only.
 */
import { inject } from "vitest";
import { TEST_POSTGRES_ENVIRONMENT } from "../../packages/node/src/db/test-database.ts";

const url = inject("postgresUrl");
if (!url) throw new Error("The postgres test project ran without a PostgreSQL server.");
process.env[TEST_POSTGRES_ENVIRONMENT] = url;
