import type { Language } from "./i18n/language.ts";

const LOCALES: Readonly<Record<Language, string>> = { en: "en-GB", fr: "fr-FR" };

export function formatDate(time: number, language: Language): string {
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium" }).format(time);
}

/** Date and time in UTC, said so: the node's readers are in several time zones. */
export function formatDateTime(time: number, language: Language): string {
  const text = new Intl.DateTimeFormat(LOCALES[language], {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(time);
  return `${text} UTC`;
}

/** The host (with a non-default port) an actor or object lives on: its institution. */
export function hostOf(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).host : uri;
}
