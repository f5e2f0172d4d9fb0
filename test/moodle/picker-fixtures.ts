import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What the picker tests made on a site: a small category tree and three courses. */
export interface PickerFixtures {
  /** Distinguishes this run's categories and courses from everyone else's on the shared site. */
  readonly stamp: string;
  /** "Sciences <stamp>", top level. */
  readonly sciencesId: number;
  /** "Sciences <stamp> / Chimie", holding the three courses. */
  readonly chimieId: number;
  /** "Sciences <stamp> / Archives", hidden, empty. */
  readonly archivesId: number;
  /** "Chimie organique <stamp>" (CHORG<stamp>), "Chimie minérale <stamp>" (CHMIN<stamp>), "Physique <stamp>" (PHY<stamp>). */
  readonly courseIds: readonly [number, number, number];
}

/** Runs PHP with the site's config.php loaded as its admin; prints what `code` echoes. */
export async function moodlePhp(moodleDir: string, code: string): Promise<string> {
  const { stdout } = await run(
    "php",
    [
      "-d",
      "max_input_vars=5000",
      "-r",
      `define('CLI_SCRIPT', true); require 'config.php'; require_once($CFG->dirroot . '/course/lib.php'); \\core\\session\\manager::set_user(get_admin()); ${code}`,
    ],
    { cwd: moodleDir, maxBuffer: 1 << 24 },
  );
  return stdout.trim();
}

/** Makes the categories and courses of PickerFixtures on the site at moodleDir. */
export async function makePickerFixtures(moodleDir: string): Promise<PickerFixtures> {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const made = JSON.parse(
    await moodlePhp(
      moodleDir,
      `$stamp = ${JSON.stringify(stamp)};
      $sciences = core_course_category::create(['name' => "Sciences {$stamp}"]);
      $chimie = core_course_category::create(['name' => 'Chimie', 'parent' => $sciences->id]);
      $archives = core_course_category::create(['name' => 'Archives', 'parent' => $sciences->id, 'visible' => 0]);
      $ids = [];
      foreach ([["Chimie organique {$stamp}", "CHORG{$stamp}"], ["Chimie minérale {$stamp}", "CHMIN{$stamp}"],
          ["Physique {$stamp}", "PHY{$stamp}"]] as [$full, $short]) {
        $ids[] = (int) create_course((object) ['fullname' => $full, 'shortname' => $short, 'category' => $chimie->id])->id;
      }
      echo json_encode(['sciences' => (int) $sciences->id, 'chimie' => (int) $chimie->id,
        'archives' => (int) $archives->id, 'courses' => $ids]);`,
    ),
  ) as { sciences: number; chimie: number; archives: number; courses: [number, number, number] };
  return {
    stamp,
    sciencesId: made.sciences,
    chimieId: made.chimie,
    archivesId: made.archives,
    courseIds: made.courses,
  };
}

/**
 * A token of the 'coursefed' service for a new user who may use REST on the site but
 * restore only in one category (and its courses), as an admin would narrow the node's
 * user: a site role with webservice/rest:use, a category role with the restore
 * capabilities. Needs local_coursefed installed.
 */
export async function tokenRestrictedTo(
  moodleDir: string,
  categoryId: number,
  stamp: string,
  capabilities: readonly string[] = [
    "moodle/course:create",
    "moodle/restore:restorecourse",
    "local/coursefed:restore",
  ],
): Promise<string> {
  return await moodlePhp(
    moodleDir,
    `require_once($CFG->dirroot . '/user/lib.php');
    $stamp = ${JSON.stringify(stamp)};
    $system = context_system::instance();
    $userid = user_create_user((object) ['username' => "picker{$stamp}", 'auth' => 'manual',
      'password' => 'Picker#' . $stamp, 'firstname' => 'Picker', 'lastname' => $stamp,
      'email' => "picker{$stamp}@example.invalid", 'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id]);
    $rest = create_role("rest {$stamp}", "rest{$stamp}", '');
    set_role_contextlevels($rest, [CONTEXT_SYSTEM]);
    assign_capability('webservice/rest:use', CAP_ALLOW, $rest, $system->id, true);
    role_assign($rest, $userid, $system->id);
    $restore = create_role("restore {$stamp}", "restore{$stamp}", '');
    set_role_contextlevels($restore, [CONTEXT_COURSECAT]);
    foreach (${JSON.stringify(capabilities)} as $capability) {
      assign_capability($capability, CAP_ALLOW, $restore, $system->id, true);
    }
    role_assign($restore, $userid, context_coursecat::instance(${Number(categoryId)})->id);
    $service = $DB->get_record('external_services', ['shortname' => 'coursefed', 'component' => 'local_coursefed'], '*', MUST_EXIST);
    echo \\core_external\\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $userid, $system);`,
  );
}

/** The categories made by makePickerFixtures, as a site lists them (MoodleCategory). */
export function sciencesTree(made: PickerFixtures) {
  return [
    {
      id: made.sciencesId,
      name: `Sciences ${made.stamp}`,
      path: `Sciences ${made.stamp}`,
      parentId: 0,
      courseCount: 0,
      visible: true,
    },
    {
      id: made.chimieId,
      name: "Chimie",
      path: `Sciences ${made.stamp} / Chimie`,
      parentId: made.sciencesId,
      courseCount: 3,
      visible: true,
    },
    {
      id: made.archivesId,
      name: "Archives",
      path: `Sciences ${made.stamp} / Archives`,
      parentId: made.sciencesId,
      courseCount: 0,
      visible: false,
    },
  ];
}
