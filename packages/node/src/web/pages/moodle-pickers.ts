import { type MoodleCategory, MoodleError } from "@coursefed/moodle";
import { html } from "hono/html";
import { targetCategories } from "../../moodle-targets/target-listing.ts";
import type { MoodleTarget } from "../../moodle-targets/target-repository.ts";
import type { Messages } from "../i18n/en.ts";
import type { Markup } from "../layout.ts";
import type { WebDependencies } from "../web-env.ts";

/** A target's categories to pick from, or why the site could not list them. */
export type CategoryChoices =
  | { readonly target: MoodleTarget; readonly categories: readonly MoodleCategory[] }
  | { readonly target: MoodleTarget; readonly failure: string };

/**
 * Each target's categories as the viewer may pick them (see targetCategories: a teacher
 * only those open to teachers), asked of the sites at once. A site that cannot be listed
 * (down, plugin too old, ...) is not an error for the page: its field falls back to an id.
 */
export async function categoryChoices(
  services: WebDependencies["services"],
  targets: readonly MoodleTarget[],
  seesWholeSite: boolean,
): Promise<CategoryChoices[]> {
  return await Promise.all(
    targets.map(async (target): Promise<CategoryChoices> => {
      try {
        const listed = await targetCategories(services.moodleTargets, target.name, {
          seesWholeSite,
        });
        return { target, categories: listed.categories };
      } catch (error) {
        if (!(error instanceof MoodleError)) throw error;
        return { target, failure: error.message };
      }
    }),
  );
}

/**
 * The value of a category or course picked in a form that offers several sites': the
 * site's name with the id ("lyon:7"), so that a choice made under another site than the
 * one chosen is caught rather than restored into the wrong site's category.
 */
export function pickedValue(target: MoodleTarget, id: number): string {
  return `${target.name}:${id}`;
}

/**
 * The id picked on `targetName` from a value of pickedValue: undefined when nothing was
 * picked, an error message when the value names another site or is not one of ours.
 */
export function pickedId(
  value: string,
  targetName: string,
  t: Messages,
): number | undefined | { error: string } {
  if (value === "") return undefined;
  const match = /^(.+):(\d{1,9})$/.exec(value);
  if (!match || Number(match[2]) < 1) return { error: t.restoreBadCategory };
  if (match[1] !== targetName) return { error: t.pickerOtherSite(match[1] as string, targetName) };
  return Number(match[2]);
}

/**
 * The options of a category picker: one group per site when there are several (so the
 * site shows beside each category), the id in every label.
 */
export function categoryOptions(
  t: Messages,
  choices: readonly CategoryChoices[],
  selected?: string,
): Markup {
  const listed = choices.filter(
    (choice): choice is Extract<CategoryChoices, { categories: unknown }> => "categories" in choice,
  );
  const options = (choice: (typeof listed)[number]) =>
    choice.categories.map((category) => {
      const value = pickedValue(choice.target, category.id);
      return html`<option value="${value}"${value === selected ? html` selected` : ""}>${t.pickerCategoryOption(category.path, category.id, category.visible)}</option>`;
    });
  if (listed.length === 1 && choices.length === 1)
    return html`${options(listed[0] as (typeof listed)[number])}`;
  return html`${listed.map((choice) => html`<optgroup label="${choice.target.name}">${options(choice)}</optgroup>`)}`;
}

/** The notes saying which sites could not be listed, and why. */
export function unlistedNotes(
  t: Messages,
  choices: readonly CategoryChoices[],
  id: string,
): Markup {
  const failed = choices.filter(
    (choice): choice is Extract<CategoryChoices, { failure: string }> => "failure" in choice,
  );
  if (failed.length === 0) return html``;
  return html`<small id="${id}" class="picker-unlisted">${failed.map((choice) => html`${t.pickerCategoriesUnlisted(choice.target.name, choice.failure)} `)}</small>`;
}
