/** What a handle may be: the user part of @handle@host. */
export const HANDLE = /^[a-z0-9_][a-z0-9_.-]{0,63}$/i;
