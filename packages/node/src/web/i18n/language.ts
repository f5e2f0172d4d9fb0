import { en, type Messages } from "./en.ts";
import { fr } from "./fr.ts";

export const LANGUAGES = ["en", "fr"] as const;
export type Language = (typeof LANGUAGES)[number];

export const CATALOGUES: Readonly<Record<Language, Messages>> = { en, fr };

/** The cookie the language switch sets; it wins over the browser's Accept-Language. */
export const LANGUAGE_COOKIE = "coursefed_lang";

function isLanguage(value: string | undefined): value is Language {
  return (LANGUAGES as readonly string[]).includes(value ?? "");
}

/** The language chosen by the switch, else the browser's first we speak, else English. */
export function chooseLanguage(
  cookie: string | undefined,
  acceptLanguage: string | undefined,
): Language {
  if (isLanguage(cookie)) return cookie;
  const preferences = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [range = "", ...parameters] = part.trim().split(";");
      const quality = parameters.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return {
        language: range.trim().toLowerCase().split("-")[0],
        quality: quality ? Number(quality) : 1,
      };
    })
    .filter((preference) => preference.quality > 0)
    .sort((a, b) => b.quality - a.quality);
  return preferences.map((p) => p.language).find(isLanguage) ?? "en";
}

export function parseLanguage(value: string | undefined): Language | undefined {
  return isLanguage(value) ? value : undefined;
}

/**
 * The text of a language map (a peer's summaryMap) for a reader of `language`: in it,
 * else in a regional form of it ("fr-CA" for "fr"), else in English, else without a
 * language ("und"), else the first given; undefined for no map.
 */
export function inLanguage(
  map: Readonly<Record<string, string>> | null | undefined,
  language: Language,
): string | undefined {
  if (!map) return undefined;
  const tags = Object.keys(map);
  const primary = (tag: string) => tag.toLowerCase().split("-")[0];
  const chosen =
    tags.find((tag) => tag.toLowerCase() === language) ??
    tags.find((tag) => primary(tag) === language) ??
    tags.find((tag) => primary(tag) === "en") ??
    tags.find((tag) => tag === "und") ??
    tags[0];
  return chosen === undefined ? undefined : map[chosen];
}
