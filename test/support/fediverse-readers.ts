/**
 * How four server families read a received post, restated from their source as small
 * functions, so that tests can tell what each would show for our JSON. Each rule names
 * the source it restates; docs/federation.md links the lines. These are the parts that
 * decide what a timeline shows (text, content warning, hashtags, media attachments), not
 * whole implementations: when a server's source changes its rule, this file follows.
 */

type Json = Record<string, unknown>;

/** What a timeline shows for a post. */
export interface ReadPost {
  /** The body (HTML for Mastodon, GoToSocial and Pleroma; MFM text for Misskey). */
  readonly text: string;
  /** The body's words as a reader sees them. */
  readonly words: string;
  /** The content warning, the text shown first and hiding the rest; "" for none. */
  readonly contentWarning: string;
  /** The hashtags it is filed under, without "#", lowercased as the servers keep them. */
  readonly hashtags: readonly string[];
  /** Attachments the server would try to download as media (a .mbz must not be one). */
  readonly mediaUrls: readonly string[];
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function equalsOrIncludes(value: unknown, wanted: string): boolean {
  return asArray(value).includes(wanted);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function hashtagNames(object: Json, isHashtag: (tag: Json) => boolean): string[] {
  return asArray(object.tag)
    .filter((tag): tag is Json => typeof tag === "object" && tag !== null)
    .filter(isHashtag)
    .map((tag) => text(tag.name).replace(/^#/, "").toLowerCase())
    .filter((name) => name !== "");
}

/**
 * Mastodon (app/lib/activitypub/activity.rb SUPPORTED_TYPES / CONVERTED_TYPES,
 * parser/status_parser.rb processed_text / processed_spoiler_text, activity/create.rb
 * process_tags and process_attachments): a Note or Question shows its content, its
 * summary as the content warning; the converted types (Image, Audio, Video, Article,
 * Page, Event) show "<h2>name</h2>", the summary and a link, and drop the content; other
 * types are not taken at all. Tags whose type is or includes "Hashtag", by name. An
 * attachment with an href is a link for a preview card, not media; one with a url is media.
 */
export function mastodonReads(object: Json): ReadPost | undefined {
  const supported = ["Note", "Question"].some((type) => equalsOrIncludes(object.type, type));
  const converted = ["Image", "Audio", "Video", "Article", "Page", "Event"].some((type) =>
    equalsOrIncludes(object.type, type),
  );
  if (!supported && !converted) return undefined;
  const url = text(object.url) || text(object.id);
  const body = converted
    ? [
        text(object.name) ? `<h2>${text(object.name)}</h2>` : undefined,
        text(object.summary) || undefined,
        `<a href="${url}">${url}</a>`,
      ]
        .filter((part) => part !== undefined)
        .join("\n\n")
    : text(object.content);
  return {
    text: body,
    words: htmlToText(body),
    contentWarning: converted ? "" : text(object.summary),
    hashtags: hashtagNames(object, (tag) => equalsOrIncludes(tag.type, "Hashtag")),
    mediaUrls: asArray(object.attachment)
      .filter((each): each is Json => typeof each === "object" && each !== null)
      .filter((each) => !text(each.href) && text(each.url))
      .map((each) => text(each.url)),
  };
}

/**
 * Misskey and its forks (packages/backend/src/core/activitypub/type.ts validPost,
 * models/ApNoteService.ts createNote, models/ApImageService.ts createImage, models/tag.ts
 * extractApHashtags): Note, Question, Article, Audio, Document, Image, Page, Video and
 * Event are taken; `summary` is the content warning (`cw`) unless it is ""; the text is
 * the content turned from HTML into MFM; attachments that are Documents (Audio,
 * Document, Image, Page, Video) with a string url are downloaded into the drive.
 */
export function misskeyReads(object: Json): ReadPost | undefined {
  const validPost = [
    "Note",
    "Question",
    "Article",
    "Audio",
    "Document",
    "Image",
    "Page",
    "Video",
    "Event",
  ];
  if (!validPost.includes(text(object.type))) return undefined;
  const documentTypes = ["Audio", "Document", "Image", "Page", "Video"];
  const mfm = htmlToText(text(object.content));
  return {
    text: mfm,
    words: mfm,
    contentWarning: text(object.summary),
    hashtags: hashtagNames(
      object,
      (tag) => tag.type === "Hashtag" && text(tag.name).startsWith("#"),
    ),
    mediaUrls: asArray(object.attachment)
      .filter((each): each is Json => typeof each === "object" && each !== null)
      .filter((each) => documentTypes.includes(text(each.type)) && typeof each.url === "string")
      .map((each) => text(each.url)),
  };
}

/**
 * GoToSocial (internal/typeutils/astointernal.go ASStatusToStatus, internal/ap/extract.go
 * ExtractAttachments and ExtractHashtags): the content is the body; the content warning
 * is the summary, or else the name; hashtags are tags whose type name is "Hashtag";
 * attachments are taken when they are Attachmentable (Document, Image, Video, Audio)
 * with a url, and a Link is skipped.
 */
export function gotosocialReads(object: Json): ReadPost | undefined {
  const statusable = [
    "Article",
    "Document",
    "Image",
    "Video",
    "Note",
    "Page",
    "Event",
    "Place",
    "Profile",
    "Question",
  ];
  if (!statusable.includes(text(object.type))) return undefined;
  return {
    text: text(object.content),
    words: htmlToText(text(object.content)),
    contentWarning: text(object.summary) || text(object.name),
    hashtags: hashtagNames(object, (tag) => tag.type === "Hashtag"),
    mediaUrls: asArray(object.attachment)
      .filter((each): each is Json => typeof each === "object" && each !== null)
      .filter((each) => ["Document", "Image", "Video", "Audio"].includes(text(each.type)))
      .map((each) => text(each.url))
      .filter((url) => url !== ""),
  };
}

/**
 * Pleroma and Akkoma (lib/pleroma/web/mastodon_api/views/status_view.ex render_content,
 * object_validators/attachment_validator.ex): the body is the content, after a paragraph
 * linking the name when there is one (but for Events); the summary is the content
 * warning; a Link attachment is kept as a link (its href as url) and shown as such,
 * Documents and media as media.
 */
export function pleromaReads(object: Json): ReadPost | undefined {
  if (
    !["Note", "Article", "Page", "Question", "Event", "Video", "Audio"].includes(text(object.type))
  )
    return undefined;
  const name = text(object.name);
  const url = text(object.url) || text(object.id);
  const body =
    name && object.type !== "Event"
      ? `<p><a href="${url}">${name}</a></p>${text(object.content)}`
      : text(object.content);
  return {
    text: body,
    words: htmlToText(body),
    contentWarning: text(object.summary),
    hashtags: hashtagNames(object, (tag) => tag.type === "Hashtag"),
    mediaUrls: asArray(object.attachment)
      .filter((each): each is Json => typeof each === "object" && each !== null)
      .filter((each) => ["Document", "Audio", "Image", "Video"].includes(text(each.type)))
      .map((each) => text(each.url))
      .filter((url) => url !== ""),
  };
}

export const FEDIVERSE_READERS = {
  Mastodon: mastodonReads,
  Misskey: misskeyReads,
  GoToSocial: gotosocialReads,
  Pleroma: pleromaReads,
} as const;

/** HTML as the words a reader sees: tags dropped, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>\s*<p>/gi, "\n\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}
