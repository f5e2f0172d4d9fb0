/**
 * Where Moodle backups keep user data, as element paths. Derived from the backup steps of Moodle 4.5.6:
 * - backup/moodle2/backup_stepslib.php (users, enrolments, roles, groups, gradebook, grade history,
 *   logs, logstores, loglastaccess, comments, badges, calendar, course and activity completion,
 *   competencies, advanced grading, xAPI state, content bank, questions, question attempt data),
 *   with the tasks that choose the files: backup_{root,course,activity,block,section,final}_task.class.php;
 * - mod/<name>/backup/moodle2/backup_<name>_stepslib.php for all 24 activity modules of 4.5;
 * - their subplugins: mod/assign/{submission,feedback}/*, mod/quiz/accessrule/seb, mod/workshop/{form,eval}/*,
 *   mod/lti/service/gradebookservices, admin/tool/log/store/{standard,database}, enrol/lti,
 *   grade/grading/form/{rubric,guide}, question/bank/{comment,customfields}, question/type/*;
 * - restore_*_stepslib.php of 4.5.6 for element names that older backups still use (marked "legacy").
 * Checked against real backups (Moodle 2.3 to 5.0) by counting the records at each path.
 *
 * A record is user data when the backup writes it only with user information (the root settings
 * "users", "role_assignments", "comments", "userscompletion", "logs", "grade_histories", "xapistate",
 * or an activity's "userinfo"), or when it is tied to one person by design. Exceptions, all noted below:
 * survey answers and question-bank comments are written even without user information, and only
 * the user overrides (userid set) among quiz/assign/lesson overrides are user data.
 *
 * Not user data, on purpose:
 * - roles.xml at the archive root (role definitions) and role_overrides in every roles.xml;
 * - course/calendar.xml: only course and group events; their userid is the author.
 * - activities/<mod>_<id>/calendar.xml: the module's own events carry their author's userid. With user
 *   information it also holds the events of quiz/assign/lesson user overrides, recognisable only by
 *   courseid = 0 with userid = the student: those are listed below.
 * - course/contentbank.xml (content-bank items; usercreated/usermodified are their authors),
 *   course/completiondefaults.xml, course/competencies.xml apart from user_competencies,
 *   activities/<mod>_<id>/competencies.xml, filters.xml, inforef.xml (userref lists only ids),
 *   module.xml, section.xml, course.xml, outcomes.xml, scales.xml, moodle_backup.xml.
 * - questions.xml apart from question-bank comments: questions, versions and hints are course
 *   content; createdby/modifiedby/ownerid name their authors.
 * - blocks: block.xml holds configuration only (block_rss_client adds its feed list); a block's own
 *   comments.xml and roles.xml are listed below.
 * - files.xml records outside USER_FILE_AREAS; their userid is the uploader, also in backups
 *   without user information.
 */
export type PersonalDataCategory =
  | "userAccounts"
  | "enrolments"
  | "roleAssignments"
  | "groupMemberships"
  | "activityUserData"
  | "grades"
  | "gradeHistory"
  | "logs"
  | "comments"
  | "badgesAwarded"
  | "completion"
  | "userFiles"
  | "messages"
  | "competencies"
  | "ratings";

/**
 * One kind of user-data record. `path` is the chain of element names from the member's
 * root element (inclusive) down to the record element, "*" matching any one name. A record is
 * counted once, at its outermost matching element; nested user-data records inside it are not counted again.
 */
export interface UserDataRecord {
  readonly path: readonly string[];
  readonly category: PersonalDataCategory;
  /** Present when only some records at this path are user data: the record is user data when this direct child element has a value other than "$@NULL@$", "" or "0". */
  readonly whenChildSet?: string;
  /** Present when, in addition, this direct child (or attribute) must have exactly this value. */
  readonly whenChildEquals?: readonly [name: string, value: string];
}

const ROLE_ASSIGNMENTS: readonly UserDataRecord[] = [
  { path: ["roles", "role_assignments", "assignment"], category: "roleAssignments" },
];
const COMMENTS: readonly UserDataRecord[] = [
  { path: ["comments", "comment"], category: "comments" },
];
const LEGACY_LOGS: readonly UserDataRecord[] = [{ path: ["logs", "log"], category: "logs" }];
const LOGSTORES: readonly UserDataRecord[] = [
  {
    path: [
      "logstores",
      "logstore",
      "subplugin_logstore_standard_logstore",
      "logstore_standard_log",
    ],
    category: "logs",
  },
  {
    path: [
      "logstores",
      "logstore",
      "subplugin_logstore_database_logstore",
      "logstore_database_log",
    ],
    category: "logs",
  },
  // Any other logstore subplugin: everything under <logstore> is a log record.
  { path: ["logstores", "logstore", "*", "*"], category: "logs" },
];
const GRADE_HISTORY: readonly UserDataRecord[] = [
  { path: ["grade_history", "grade_grades", "grade_grade"], category: "gradeHistory" },
];

/** Member-path glob (relative to the archive root, "*" = one path segment) → records in that member. */
export const COURSE_USER_DATA: ReadonlyArray<{
  readonly member: string;
  readonly records: readonly UserDataRecord[];
}> = [
  // Written only with "users" (or kept roles); custom fields, preferences, tags and the user's
  // own role assignments sit inside <user>.
  { member: "users.xml", records: [{ path: ["users", "user"], category: "userAccounts" }] },
  {
    member: "course/enrolments.xml",
    records: [
      {
        path: ["enrolments", "enrols", "enrol", "user_enrolments", "enrolment"],
        category: "enrolments",
      },
      // enrol_lti's users (consumer keys, source ids): the plugin element adds no wrapper of its own.
      { path: ["enrolments", "enrols", "enrol", "tool", "users", "user"], category: "enrolments" },
    ],
  },
  // Role assignments ("role_assignments" setting) in the course, each activity and each block.
  { member: "course/roles.xml", records: ROLE_ASSIGNMENTS },
  { member: "activities/*/roles.xml", records: ROLE_ASSIGNMENTS },
  { member: "course/blocks/*/roles.xml", records: ROLE_ASSIGNMENTS },
  { member: "activities/*/blocks/*/roles.xml", records: ROLE_ASSIGNMENTS },
  {
    member: "groups.xml",
    records: [
      { path: ["groups", "group", "group_members", "group_member"], category: "groupMemberships" },
    ],
  },
  {
    member: "gradebook.xml",
    records: [
      {
        path: ["gradebook", "grade_items", "grade_item", "grade_grades", "grade_grade"],
        category: "grades",
      },
    ],
  },
  {
    member: "activities/*/grades.xml",
    records: [
      {
        path: ["activity_gradebook", "grade_items", "grade_item", "grade_grades", "grade_grade"],
        category: "grades",
      },
    ],
  },
  // Advanced grading: an instance is one rater's filling (rubric/guide fillings sit inside it).
  {
    member: "activities/*/grading.xml",
    records: [
      {
        path: ["areas", "area", "definitions", "definition", "instances", "instance"],
        category: "grades",
      },
    ],
  },
  { member: "grade_history.xml", records: GRADE_HISTORY },
  { member: "activities/*/grade_history.xml", records: GRADE_HISTORY },
  // Legacy log table (logs.xml) and the log stores (logstores.xml, 2.7+), course and activity level.
  { member: "course/logs.xml", records: LEGACY_LOGS },
  { member: "activities/*/logs.xml", records: LEGACY_LOGS },
  { member: "course/logstores.xml", records: LOGSTORES },
  { member: "activities/*/logstores.xml", records: LOGSTORES },
  // user_lastaccess rows (4.0+).
  {
    member: "course/loglastaccess.xml",
    records: [{ path: ["lastaccesses", "lastaccess"], category: "logs" }],
  },
  // Comments API ("comments" setting): course, activity (assign submission comments, data, glossary,
  // wiki...) and block contexts.
  { member: "course/comments.xml", records: COMMENTS },
  { member: "activities/*/comments.xml", records: COMMENTS },
  { member: "course/blocks/*/comments.xml", records: COMMENTS },
  { member: "activities/*/blocks/*/comments.xml", records: COMMENTS },
  // Badge definitions are course content; manual awards name recipient and issuer. Issued badges
  // (badge_issued) are never backed up.
  {
    member: "badges.xml",
    records: [
      { path: ["badges", "badge", "manual_awards", "manual_award"], category: "badgesAwarded" },
    ],
  },
  // Course completion: criteria and aggregation methods are configuration.
  {
    member: "completion.xml",
    records: [
      {
        path: [
          "course_completion",
          "course_completion_criteria",
          "course_completion_crit_completions",
          "course_completion_crit_compl",
        ],
        category: "completion",
      },
      { path: ["course_completion", "course_completions"], category: "completion" },
    ],
  },
  // Activity completion ("userscompletion"); completionviews 4.3+.
  {
    member: "activities/*/completion.xml",
    records: [
      { path: ["completions", "completion"], category: "completion" },
      { path: ["completions", "completionviews", "completionview"], category: "completion" },
    ],
  },
  {
    member: "course/competencies.xml",
    records: [
      {
        path: ["course_competencies", "user_competencies", "user_competency"],
        category: "competencies",
      },
    ],
  },
  // Calendar events of quiz/assign/lesson user overrides (the module's own events name their author).
  {
    member: "activities/*/calendar.xml",
    records: [
      {
        path: ["events", "event"],
        category: "activityUserData",
        whenChildSet: "userid",
        whenChildEquals: ["courseid", "0"],
      },
    ],
  },
  // xAPI state of H5P content per user (4.2+, "xapistate" setting).
  {
    member: "activities/*/xapistate.xml",
    records: [{ path: ["states", "state"], category: "activityUserData" }],
  },
  // qbank_comment (4.0+): comments on questions, written whatever the user settings say.
  {
    member: "questions.xml",
    records: [
      {
        path: [
          "question_categories",
          "question_category",
          "question_bank_entries",
          "question_bank_entry",
          "question_version",
          "question_versions",
          "questions",
          "question",
          "plugin_qbank_comment_question",
          "comments",
          "comment",
        ],
        category: "comments",
      },
    ],
  },
];

/** Activity modules: modname → records in activities/<modname>_<id>/<modname>.xml (root element is "activity"). */
export const MODULE_USER_DATA: Readonly<Record<string, readonly UserDataRecord[]>> = {
  // Submission plugins' data (onlinetext, file) sits inside <submission>, feedback plugins' data
  // (comments, file, editpdf annotations/comments/rotation) inside <grade>. Team submissions have
  // userid 0 and a groupid; they are still student work, written only with user information.
  assign: [
    { path: ["activity", "assign", "userflags", "userflag"], category: "activityUserData" },
    { path: ["activity", "assign", "submissions", "submission"], category: "activityUserData" },
    { path: ["activity", "assign", "grades", "grade"], category: "grades" },
    {
      path: ["activity", "assign", "overrides", "override"],
      category: "activityUserData",
      whenChildSet: "userid",
    },
  ],
  // Legacy mod_assignment (core until 2.6, converted to assign since 2.7); old backups still hold it.
  assignment: [
    { path: ["activity", "assignment", "submissions", "submission"], category: "activityUserData" },
  ],
  // Recordings carry no userid but are written only with user information.
  bigbluebuttonbn: [
    { path: ["activity", "bigbluebuttonbn", "logs", "log"], category: "activityUserData" },
    {
      path: ["activity", "bigbluebuttonbn", "recordings", "recording"],
      category: "activityUserData",
    },
  ],
  chat: [{ path: ["activity", "chat", "messages", "message"], category: "messages" }],
  choice: [{ path: ["activity", "choice", "answers", "answer"], category: "activityUserData" }],
  // Contents and ratings sit inside <record>; recordstags are the tags users put on their entries.
  data: [
    { path: ["activity", "data", "records", "record"], category: "activityUserData" },
    { path: ["activity", "data", "records", "record", "ratings", "rating"], category: "ratings" },
    { path: ["activity", "data", "recordstags", "tag"], category: "activityUserData" },
  ],
  // Responses (values inside <completed>); anonymous responses have userid 0 but are still responses.
  feedback: [
    { path: ["activity", "feedback", "completeds", "completed"], category: "activityUserData" },
    // Legacy (feedback_tracking, up to 3.0).
    { path: ["activity", "feedback", "trackings", "tracking"], category: "activityUserData" },
  ],
  // Posts (with their ratings) and discussion subscriptions sit inside <discussion>.
  forum: [
    { path: ["activity", "forum", "discussions", "discussion"], category: "activityUserData" },
    {
      path: [
        "activity",
        "forum",
        "discussions",
        "discussion",
        "posts",
        "post",
        "ratings",
        "rating",
      ],
      category: "ratings",
    },
    { path: ["activity", "forum", "subscriptions", "subscription"], category: "activityUserData" },
    { path: ["activity", "forum", "digests", "digest"], category: "activityUserData" },
    { path: ["activity", "forum", "readposts", "read"], category: "activityUserData" },
    { path: ["activity", "forum", "trackedprefs", "track"], category: "activityUserData" },
    { path: ["activity", "forum", "poststags", "tag"], category: "activityUserData" },
    { path: ["activity", "forum", "grades", "grade"], category: "grades" },
  ],
  // Entries (aliases and ratings inside) are written only with user information, teachers' included.
  glossary: [
    { path: ["activity", "glossary", "entries", "entry"], category: "activityUserData" },
    {
      path: ["activity", "glossary", "entries", "entry", "ratings", "rating"],
      category: "ratings",
    },
    { path: ["activity", "glossary", "entriestags", "tag"], category: "activityUserData" },
    {
      path: [
        "activity",
        "glossary",
        "categories",
        "category",
        "category_entries",
        "category_entry",
      ],
      category: "activityUserData",
    },
  ],
  // Results sit inside <attempt>.
  h5pactivity: [
    { path: ["activity", "h5pactivity", "attempts", "attempt"], category: "activityUserData" },
  ],
  lesson: [
    {
      path: ["activity", "lesson", "pages", "page", "answers", "answer", "attempts", "attempt"],
      category: "activityUserData",
    },
    {
      path: ["activity", "lesson", "pages", "page", "branches", "branch"],
      category: "activityUserData",
    },
    { path: ["activity", "lesson", "grades", "grade"], category: "grades" },
    { path: ["activity", "lesson", "timers", "timer"], category: "activityUserData" },
    {
      path: ["activity", "lesson", "overrides", "override"],
      category: "activityUserData",
      whenChildSet: "userid",
    },
    // Legacy (lesson_high_scores, up to 2.9).
    { path: ["activity", "lesson", "highscores", "highscore"], category: "activityUserData" },
  ],
  // ltitype (createdby = the tool's author), lineitems and tool settings are configuration.
  lti: [
    { path: ["activity", "lti", "ltisubmissions", "ltisubmission"], category: "activityUserData" },
  ],
  // Question usages (steps, response variables) sit inside <attempt>; quizaccess subplugin data too.
  quiz: [
    { path: ["activity", "quiz", "grades", "grade"], category: "grades" },
    { path: ["activity", "quiz", "attempts", "attempt"], category: "activityUserData" },
    {
      path: ["activity", "quiz", "overrides", "override"],
      category: "activityUserData",
      whenChildSet: "userid",
    },
  ],
  scorm: [
    {
      path: ["activity", "scorm", "scoes", "sco", "sco_tracks", "sco_track"],
      category: "activityUserData",
    },
  ],
  // Moodle (4.5 and earlier) writes survey answers and analysis even without user information.
  survey: [
    { path: ["activity", "survey", "answers", "answer"], category: "activityUserData" },
    { path: ["activity", "survey", "analysis", "analys"], category: "activityUserData" },
  ],
  // A subwiki is one user's or group's wiki (pages, versions, page tags, synonyms, links inside).
  wiki: [{ path: ["activity", "wiki", "subwikis", "subwiki"], category: "activityUserData" }],
  // Assessments (and workshopform grades) sit inside <submission>. Example submissions and their
  // reference assessments are the teacher's; students' practice assessments of examples are user data.
  workshop: [
    { path: ["activity", "workshop", "submissions", "submission"], category: "activityUserData" },
    {
      path: [
        "activity",
        "workshop",
        "examplesubmissions",
        "examplesubmission",
        "exampleassessments",
        "exampleassessment",
      ],
      category: "activityUserData",
    },
    { path: ["activity", "workshop", "aggregations", "aggregation"], category: "grades" },
  ],
};

/**
 * Modules whose <modname>.xml holds no user data at all. Their other members (grades.xml, logs,
 * completion.xml, comments.xml, roles.xml...) can still hold some: see COURSE_USER_DATA.
 */
export const MODULES_WITHOUT_USER_DATA: readonly string[] = [
  "book",
  "folder",
  "imscp",
  "label",
  "page",
  "qbank", // 5.0+
  "resource",
  "subsection", // 4.5+
  "url",
];

/** (component, filearea) pairs of files.xml records that are user data (only included with user info). "*" = any filearea. */
export const USER_FILE_AREAS: ReadonlyArray<readonly [component: string, filearea: string]> = [
  // Profile pictures and profile-description files of the users in users.xml ("profile", "icon").
  ["user", "*"],
  ["mod_forum", "attachment"],
  ["mod_forum", "post"],
  ["mod_glossary", "attachment"],
  ["mod_glossary", "entry"],
  ["mod_data", "content"],
  ["mod_wiki", "attachments"],
  ["mod_lesson", "essay_answers"],
  ["mod_lesson", "essay_responses"],
  ["assignsubmission_file", "submission_files"],
  ["assignsubmission_onlinetext", "submissions_onlinetext"],
  ["assignfeedback_file", "feedback_files"],
  ["assignfeedback_comments", "feedback"],
  // download, readonlypages and stamps are written per grade; the other areas are never backed up.
  ["assignfeedback_editpdf", "*"],
  // Legacy mod_assignment.
  ["mod_assignment", "submission"],
  ["mod_assignment", "response"],
  // Gradebook feedback files (grade_grades and their history).
  ["grade", "feedback"],
  ["grade", "historyfeedback"],
  // Question attempt step files: "response_" + each qtype's response file areas (essay: attachments, answer).
  ["question", "response_*"],
  // Not listed: mod_workshop submission_content/submission_attachment/overallfeedback_content/
  // overallfeedback_attachment hold both students' work and the teacher's example submissions and
  // reference assessments (written without user information); only the itemid tells them apart.
];
