import { z } from "zod";

/** An actor as a search answer names it: its id, and how people know it. */
const AnsweredActor = z.object({
  actor: z.url().max(2048),
  name: z.string().max(500).nullable(),
  /** user@host. */
  handle: z.string().max(500).nullable(),
});

/**
 * One course in a node's answer: enough to list it, judge it and go to it (its object id
 * to bring it into the catalog, its page for people), never its archive.
 */
export const NetworkSearchHit = z.object({
  object: z.url().max(2048),
  url: z.url().max(2048),
  title: z.string().max(1000),
  /** Sanitized HTML. */
  summary: z.string().max(20_000).nullable(),
  institution: AnsweredActor,
  /** The teacher who published it; null for a course of the institution itself. */
  teacher: AnsweredActor.nullable(),
  tags: z.array(z.string().max(200)).max(100),
  languages: z.array(z.string().max(20)).max(50),
  /** The Moodle branch the backup was made on, e.g. "4.5"; null when its release says none. */
  moodleBranch: z.string().max(20).nullable(),
  requiredPlugins: z.array(z.string().max(200)).max(500),
  revision: z.int().min(1),
  size: z.int().min(0),
  updated: z.iso.datetime({ offset: true }),
  license: z.string().max(200).nullable(),
  visibility: z.enum(["public", "followers"]),
});
export type NetworkSearchHit = z.infer<typeof NetworkSearchHit>;

/** A node's answer to a signed search. */
export const NetworkSearchAnswer = z.object({
  /** The answering node's origin. */
  node: z.url(),
  items: z.array(NetworkSearchHit).max(100),
  /** Where the next page starts (the request's `cursor`); null on the last page. */
  next: z.string().max(500).nullable(),
  /**
   * The servers (origins) the node follows: where a search one hop further goes. Up to
   * 100; older answers may lack it.
   */
  following: z.array(z.url()).max(100).default([]),
});
export type NetworkSearchAnswer = z.infer<typeof NetworkSearchAnswer>;
