import type { Language } from "./i18n/language.ts";

const LOCALES: Readonly<Record<Language, string>> = { en: "en-GB", fr: "fr-FR" };

/** A size as people read it, in the page's language (1.5 MB, 1,5 Mo). */
export function formatSize(bytes: number, language: Language): string {
  const units = language === "fr" ? ["o", "ko", "Mo", "Go", "To"] : ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(LOCALES[language], { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

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

/** A path inside this site, safe to redirect to after sign-in or a language switch. */
export function localPath(candidate: string | undefined, fallback = "/catalog"): string {
  return candidate?.startsWith("/") && !candidate.startsWith("//") && !candidate.includes("\\")
    ? candidate
    : fallback;
}
