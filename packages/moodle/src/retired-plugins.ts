/**
 * Add-on plugins a backup may name that no longer exist under that name: telling an admin
 * to install one sends them looking for a plugin nobody publishes. Each says what took its
 * place and what to do instead.
 *
 * Sources, read for each entry:
 * - qtype_ccode, qtype_pycode: the ccode README (github.com/trampgeek/ccode, 2012: "a Moodle
 *   question type that requests students to submit C code") and the CodeRunner README
 *   (github.com/trampgeek/moodle-qtype_coderunner: "CodeRunner and its predecessors pycode
 *   and ccode"). The fixture m281 (a Moodle 2.8 course) needs both qtype_ccode and
 *   qtype_coderunner: the old questions sat beside the new ones, unconverted. CodeRunner
 *   has no importer for them.
 * - mod_attforblock: the Attendance module's README in github.com/danmarsden/moodle-mod_attendance
 *   ('the "Attendance" module (attforblock)') and its db/upgrade.php ("UPGRADES from
 *   attforblock are only supported for sites that are running attforblock version
 *   2012120700"): the module was renamed mod_attendance, and only a site upgraded in place
 *   carries its data over; a backup's attforblock activities need attforblock to restore.
 */
export interface RetiredPlugin {
  /** The plugin that took its place, if one did. */
  readonly successor?: string;
  /** What an admin can do instead of installing it, in a sentence. */
  readonly advice: string;
}

const CODERUNNER_ADVICE =
  "CodeRunner (qtype_coderunner) replaced it and does not read its questions: remove the questions of that type from the course (or rewrite them as CodeRunner questions) before backing it up, or restore without them";

export const RETIRED_PLUGINS: Readonly<Record<string, RetiredPlugin>> = {
  qtype_ccode: { successor: "qtype_coderunner", advice: CODERUNNER_ADVICE },
  qtype_pycode: { successor: "qtype_coderunner", advice: CODERUNNER_ADVICE },
  mod_attforblock: {
    successor: "mod_attendance",
    advice:
      "it was renamed mod_attendance, which converts it only on a site upgraded in place: restore the course on a site that still has mod_attforblock, upgrade that site to mod_attendance and back the course up again, or restore without its attendance activities",
  },
};
