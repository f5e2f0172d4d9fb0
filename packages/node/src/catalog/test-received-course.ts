import type { CourseManifest } from "../manifests/course-manifest.ts";
import type { ReceivedCourse } from "./catalog-repository.ts";

/** The institution every fixture course comes from. */
export const FIXTURE_INSTITUTION = "https://univ.example/actors/institution";

/**
 * A course as the inbox hands it to the catalog, with a manifest that passes every check
 * unless `manifest` says otherwise: what the catalog's tests receive.
 */
export function receivedCourse(course: {
  readonly objectUri: string;
  readonly title: string;
  readonly summary: string | null;
  readonly tags?: string[];
  readonly publishedAt: number;
  /** Tells the archives of courses at the same revision apart; "" by default. */
  readonly archiveSeed?: string;
  readonly manifest?: Partial<CourseManifest>;
}): ReceivedCourse {
  const { objectUri, title, summary, tags = [], publishedAt, archiveSeed = "" } = course;
  const revision = course.manifest?.revision ?? 1;
  const sha256 = `${archiveSeed}${revision}`.padStart(64, "0");
  return {
    objectUri,
    actorUri: FIXTURE_INSTITUTION,
    title,
    summary,
    tags,
    archiveUrl: `https://univ.example/blobs/${sha256}`,
    manifest: {
      object: objectUri,
      revision,
      archive: { sha256, size: 1, format: "zip" },
      moodle: { version: "2024100700", release: "4.5 (Build: 20241007)", backupRelease: "4.5" },
      course: { fullname: title, shortname: title, format: "topics" },
      type: "course",
      sections: 1,
      activities: {},
      questionTypes: {},
      languages: ["fr"],
      requiredPlugins: [],
      license: null,
      personalData: "clean",
      derivedFrom: null,
      publishedAt: new Date(publishedAt).toISOString(),
      ...course.manifest,
    },
    manifestJws: "jws",
  };
}
