/** Environment variables read when a flag is not given. */
export const CONFIG_ENVIRONMENT = {
  dataDir: "COURSEFED_DATA_DIR",
  /** The name most hosting platforms and tools use for it. */
  databaseUrl: "DATABASE_URL",
  workers: "COURSEFED_WORKERS",
  url: "COURSEFED_URL",
  listen: "COURSEFED_LISTEN",
  handle: "COURSEFED_INSTITUTION_HANDLE",
  name: "COURSEFED_INSTITUTION_NAME",
  autoAccept: "COURSEFED_AUTO_ACCEPT",
  maxUpload: "COURSEFED_MAX_UPLOAD",
  maxInboxBody: "COURSEFED_MAX_INBOX_BODY",
  federation: "COURSEFED_FEDERATION",
  domains: "COURSEFED_FEDERATION_DOMAINS",
  allowPrivateAddresses: "COURSEFED_ALLOW_PRIVATE_ADDRESSES",
  firstKnock: "COURSEFED_FIRST_KNOCK",
  trustProxy: "COURSEFED_TRUST_PROXY",
  catchUp: "COURSEFED_CATCH_UP",
} as const;

/** The flag of each setting, for messages that name it beside its variable. */
export const CONFIG_FLAGS: Readonly<Record<keyof typeof CONFIG_ENVIRONMENT, string>> = {
  dataDir: "--data-dir",
  databaseUrl: "--database-url",
  workers: "--workers",
  url: "--url",
  listen: "--listen",
  handle: "--handle",
  name: "--name",
  autoAccept: "--auto-accept",
  maxUpload: "--max-upload",
  maxInboxBody: "--max-inbox-body",
  federation: "--federation",
  domains: "--domains",
  allowPrivateAddresses: "--allow-private-addresses",
  firstKnock: "--first-knock",
  trustProxy: "--trust-proxy",
  catchUp: "--catch-up",
};
