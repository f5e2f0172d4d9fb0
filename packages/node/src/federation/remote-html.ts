import sanitizeHtml from "sanitize-html";

/**
 * Remote HTML as we keep it: text formatting and http(s) links only, so that nothing a
 * peer sends can run script or restyle our pages.
 */
export function sanitizeRemoteHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [
      "p",
      "br",
      "a",
      "strong",
      "b",
      "em",
      "i",
      "ul",
      "ol",
      "li",
      "code",
      "pre",
      "blockquote",
      "span",
    ],
    allowedAttributes: { a: ["href", "rel"] },
    allowedSchemes: ["http", "https"],
    transformTags: {
      a: sanitizeHtml.simpleTransform("a", { rel: "nofollow noopener noreferrer" }),
    },
  });
}
