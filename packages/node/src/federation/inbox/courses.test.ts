import { Update } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { changesSaid } from "./courses.ts";

const AS = "https://www.w3.org/ns/activitystreams";

async function update(said: Record<string, unknown>): Promise<Update> {
  return await Update.fromJsonLd({
    "@context": AS,
    id: "https://peer.example/courses/1/revisions/2/activity",
    type: "Update",
    actor: "https://peer.example/actors/institution",
    object: "https://peer.example/courses/1",
    ...said,
  });
}

describe("what an Update says its revision changed", () => {
  it("is its summaryMap by language, a coursefed peer's English and French", async () => {
    const said = await update({
      summary: "1 activity added.",
      summaryMap: { en: "1 activity added.", fr: "1 activité ajoutée.", "pt-BR": "1 atividade." },
    });
    expect(changesSaid(said)).toEqual({
      en: "1 activity added.",
      fr: "1 activité ajoutée.",
      "pt-BR": "1 atividade.",
    });
  });

  it("is a summary without a language under und, from a server that sends only that", async () => {
    expect(changesSaid(await update({ summary: "Quiz fixed" }))).toEqual({ und: "Quiz fixed" });
  });

  it("is nothing when it says nothing, and is cut when it says too much", async () => {
    expect(changesSaid(await update({}))).toBeNull();
    expect(changesSaid(await update({ summary: "   " }))).toBeNull();
    const long = changesSaid(await update({ summaryMap: { en: "x".repeat(5000) } }));
    expect(long?.en).toHaveLength(1000);
  });
});
