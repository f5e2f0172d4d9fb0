/** The languages a size is written in: English units, or French octets (Kio, Mio…). */
export type ByteSizeLanguage = "en" | "fr";

const UNITS: Readonly<Record<ByteSizeLanguage, readonly string[]>> = {
  en: ["B", "KiB", "MiB", "GiB", "TiB"],
  fr: ["o", "Kio", "Mio", "Gio", "Tio"],
};

/**
 * A size in binary units, the one way sizes are written everywhere (CLI, API messages,
 * web): limits are set as 8GiB, so a limit shown in decimal units ("8.6 GB") reads as a
 * different number. One decimal below 10 of a unit, none above.
 */
export function formatBytes(bytes: number, language: ByteSizeLanguage = "en"): string {
  const units = UNITS[language];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value >= 10 || unit === 0 ? 0 : 1;
  const number = new Intl.NumberFormat(language === "fr" ? "fr-FR" : "en-GB", {
    maximumFractionDigits: digits,
    useGrouping: false,
  }).format(digits === 0 ? Math.round(value) : Math.round(value * 10) / 10);
  return `${number} ${units[unit]}`;
}
