/*
 * Modes for everything the node writes in its data directory: the database holds the
 * actors' private keys and the Moodle sites' web-service tokens, the archives include
 * courses published to followers only. Given when each is created rather than left to the
 * process's umask, which a service manager or a shell may set to 022; a umask can only
 * take permissions away from these.
 */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
