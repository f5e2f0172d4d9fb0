import { collectRecords, combineHandlers, type Fields, pathEquals } from "./record-collector.ts";
import type { XmlHandler } from "./xml-stream.ts";

/** What moodle_backup.xml says about a backup, as written. */
export interface BackupInformation {
  readonly fields: Fields;
  readonly detail: Fields;
  readonly activities: readonly Fields[];
  readonly sections: readonly Fields[];
  readonly course: Fields | undefined;
  readonly settings: readonly Fields[];
}

const INFO = ["moodle_backup", "information"];

/** Reads moodle_backup.xml's <information> block into `target`. */
export function backupInformationHandler(target: { information?: BackupInformation }): XmlHandler {
  const information = {
    fields: {} as Fields,
    detail: {} as Fields,
    activities: [] as Fields[],
    sections: [] as Fields[],
    course: undefined as Fields | undefined,
    settings: [] as Fields[],
  };
  target.information = information;
  return combineHandlers([
    collectRecords(
      (path) => pathEquals(path, INFO),
      (fields) => {
        information.fields = fields;
      },
    ),
    collectRecords(
      (path) => pathEquals(path, [...INFO, "details", "detail"]),
      (fields, attributes) => {
        information.detail = { ...fields, backup_id: attributes.backup_id ?? "" };
      },
    ),
    collectRecords(
      (path) => pathEquals(path, [...INFO, "contents", "activities", "activity"]),
      (fields) => information.activities.push(fields),
    ),
    collectRecords(
      (path) => pathEquals(path, [...INFO, "contents", "sections", "section"]),
      (fields) => information.sections.push(fields),
    ),
    collectRecords(
      (path) => pathEquals(path, [...INFO, "contents", "course"]),
      (fields) => {
        information.course = fields;
      },
    ),
    collectRecords(
      (path) => pathEquals(path, [...INFO, "settings", "setting"]),
      (fields) => information.settings.push(fields),
    ),
  ]);
}
