import { type BackupReport, formatBytes, type PersonalDataFinding } from "@coursefed/mbz";

const CATEGORY_LABELS: Readonly<Record<string, string>> = {
  userAccounts: "user accounts",
  enrolments: "enrolments",
  roleAssignments: "role assignments",
  groupMemberships: "group memberships",
  activityUserData: "activity user data",
  grades: "grades",
  gradeHistory: "grade history",
  logs: "log entries",
  comments: "comments",
  badgesAwarded: "badges awarded",
  completion: "completion records",
  userFiles: "files in user areas",
  messages: "messages",
  competencies: "user competencies",
  ratings: "ratings",
};

/** "13 user accounts, 200 grades, ..." */
export function describeFindings(findings: readonly PersonalDataFinding[]): string {
  return findings
    .map((finding) => `${finding.count} ${CATEGORY_LABELS[finding.category] ?? finding.category}`)
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
