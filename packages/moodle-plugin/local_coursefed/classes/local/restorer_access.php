<?php
// This file is part of coursefed's companion plugin for Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

namespace local_coursefed\local;

use context_course;

/**
 * Lets the user who imported a new course into it, as Moodle's own restore does for whoever restores
 * (restore_fix_restorer_access_step): the node restored it as its own Moodle user, so the teacher who asked
 * is neither enrolled nor given a role there yet.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class restorer_access {
    /** How many of the session's imports into a new course are remembered: a few pages' worth, the oldest forgotten. */
    private const REMEMBERED_JOBS = 50;

    /**
     * Remembers that the current user asked the node for this import into a new course, in this session: only they
     * may then be let into the course it makes (see requested_in_session).
     *
     * @param string $jobid the node's job id
     */
    public static function remember_request(string $jobid): void {
        global $SESSION;
        $jobs = $SESSION->local_coursefed_importjobs ?? [];
        $jobs[$jobid] = true;
        $SESSION->local_coursefed_importjobs = array_slice($jobs, -self::REMEMBERED_JOBS, null, true);
    }

    /**
     * Whether the current user asked for this import in this session. A job's id travels in the progress page's
     * address (history, a shared link, a screenshot): another user who may restore into the same category must not
     * be let into the course someone else imported by opening it.
     *
     * @param string $jobid
     * @return bool
     */
    public static function requested_in_session(string $jobid): bool {
        global $SESSION;
        return !empty($SESSION->local_coursefed_importjobs[$jobid]);
    }

    /**
     * Gives the user the site's role for restorers ($CFG->restorernewroleid) in a course imported into a
     * category where Moodle lets them create and restore courses, unless they may manage it already.
     *
     * @param int $courseid the new course
     * @param int $userid the user who imported it
     * @return bool whether the user may now manage the course
     */
    public static function grant(int $courseid, int $userid): bool {
        global $CFG, $DB;
        $course = $DB->get_record('course', ['id' => $courseid], 'id, category', IGNORE_MISSING);
        // Only where the user could have restored the course themselves: the job id alone proves nothing.
        if (!$course || !import_destinations::allows_category((int) $course->category)) {
            return false;
        }
        $context = context_course::instance($courseid);
        if (self::manages($context, $userid)) {
            return true;
        }
        if (empty($CFG->restorernewroleid)) {
            return false;
        }
        role_assign($CFG->restorernewroleid, $userid, $context);
        if (!self::manages($context, $userid) && enrol_is_enabled('manual')) {
            // A backup without users may bring no manual enrolment method: add one, as Moodle's restore does.
            $manual = enrol_get_plugin('manual');
            if ($manual && !$DB->record_exists('enrol', ['enrol' => 'manual', 'courseid' => $courseid])) {
                $manual->add_instance(get_course($courseid), ['status' => ENROL_INSTANCE_ENABLED,
                    'roleid' => $manual->get_config('roleid', 0)]);
            }
            enrol_try_internal_enrol($courseid, $userid, $CFG->restorernewroleid);
        }
        return self::manages($context, $userid);
    }

    /**
     * Whether the user may enter and edit the course, as Moodle's restore asks.
     *
     * @param context_course $context
     * @param int $userid
     * @return bool
     */
    private static function manages(context_course $context, int $userid): bool {
        return is_enrolled($context, $userid, 'moodle/course:update', true)
            || is_viewing($context, $userid, 'moodle/course:update');
    }
}
