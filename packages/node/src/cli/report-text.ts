import { type BackupReport, formatBytes, type PersonalDataFinding } from "@coursefed/mbz";

/** Singular and plural names of each finding category. */
const CATEGORY_LABELS: Readonly<Record<string, readonly [string, string]>> = {
  userAccounts: ["user account", "user accounts"],
  enrolments: ["enrolment", "enrolments"],
  roleAssignments: ["role assignment", "role assignments"],
  groupMemberships: ["group membership", "group memberships"],
  activityUserData: ["activity user record", "activity user records"],
  grades: ["grade", "grades"],
  gradeHistory: ["grade history entry", "grade history entries"],
  logs: ["log entry", "log entries"],
  comments: ["comment", "comments"],
  badgesAwarded: ["badge awarded", "badges awarded"],
  completion: ["completion record", "completion records"],
  userFiles: ["file in user areas", "files in user areas"],
  messages: ["message", "messages"],
  competencies: ["user competency", "user competencies"],
  ratings: ["rating", "ratings"],
};

/** "13 user accounts, 200 grades, ..." */
export function describeFindings(findings: readonly PersonalDataFinding[]): string {
  return findings
    .map((finding) => {
      const [one, many] = CATEGORY_LABELS[finding.category] ?? [finding.category, finding.category];
      return `${finding.count} ${finding.count === 1 ? one : many}`;
    })
    .join(", ");
}

/** The human-readable form of `coursefed inspect`. */
export function formatReport(report: BackupReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string | number | null) =>
    lines.push(`${`${label}:`.padEnd(18)}${value === null || value === "" ? "-" : value}`);

  row("Course", `${report.course.fullname} (${report.course.shortname})`);
  row(
    "Backup",
    `${report.type} backup, ${report.modeName} mode, ${report.format}, ${formatBytes(report.size)}`,
  );
  row("sha256", report.sha256);
  row(
    "Moodle",
    `${report.moodleRelease} (version ${report.moodleVersion}, backup ${report.backupRelease})`,
  );
  row("Made", report.backupDate);
  row("From site", report.originalWwwroot);
  row("Course format", report.course.format);
  row("Language", report.course.language);
  row("Sections", report.sections.length);
  const modules = countBy(report.activities.map((activity) => activity.module));
  row("Activities", `${report.activities.length}${modules ? ` (${modules})` : ""}`);
  for (const activity of report.activities)
    lines.push(`${"".padEnd(18)}- ${activity.module}: ${activity.title}`);
  const qtypes = Object.entries(report.questionBank.byQtype)
    .map(([qtype, count]) => `${count} ${qtype}`)
    .join(", ");
  row("Questions", `${report.questionBank.questions}${qtypes ? ` (${qtypes})` : ""}`);
  row(
    "Files",
    `${report.files.count} (${formatBytes(report.files.bytes)}), ${report.files.blobCount} stored blobs${report.files.missingBlobs ? `, ${report.files.missingBlobs} missing` : ""}`,
  );
  const blocks = Object.entries(report.blocks)
    .map(([block, count]) => (count > 1 ? `${block} ×${count}` : block))
    .join(", ");
  row("Blocks", blocks);
  row("Filters", report.filters.join(", "));
  row(
    "Plugins needed",
    report.requiredPlugins.length > 0
      ? report.requiredPlugins.join(", ")
      : "none beyond standard Moodle",
  );
  const personal = report.personalData;
  row(
    "Personal data",
    personal.verdict === "clean"
      ? `none found${personal.declaredUserData ? " (settings say users were included, but the contents hold none)" : ""}`
      : `YES: ${describeFindings(personal.findings)}`,
  );
  return `${lines.join("\n")}\n`;
}

function countBy(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${count} ${name}`).join(", ");
}
