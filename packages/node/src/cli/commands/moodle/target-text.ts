/** A Moodle target as the API describes it, and as the CLI prints it. */
export interface Target {
  name: string;
  driver: string;
  url: string;
  defaultCategoryId: number;
  teacherCategoryIds: number[];
  nodeUrl: string | null;
  probe: {
    version: string;
    release: string;
    branch: string;
    plugins: number;
    probedAt: string;
  } | null;
}

export function describeTarget(target: Target): string {
  const probe = target.probe
    ? `Moodle ${target.probe.release}, ${target.probe.plugins} plugins (probed ${target.probe.probedAt})`
    : `never probed (coursefed moodle probe ${target.name})`;
  const teachers = target.teacherCategoryIds.length
    ? `teachers restore into ${target.teacherCategoryIds.length === 1 ? "category" : "categories"} ${target.teacherCategoryIds.join(", ")}`
    : "closed to teachers' new courses";
  const nodeUrl = target.nodeUrl ? `  reaches this node at ${target.nodeUrl}\n` : "";
  return `${target.name}  ${target.driver}  ${target.url}  category ${target.defaultCategoryId}\n  ${probe}\n  ${teachers}\n${nodeUrl}`;
}
