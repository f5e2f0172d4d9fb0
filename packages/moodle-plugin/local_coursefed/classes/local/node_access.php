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

use context_system;
use moodle_exception;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/user/lib.php');

/**
 * Gives a coursefed node access to the site: web services and REST on, a dedicated user with a
 * site-level role holding what restoring and backing up need, and a token of the 'coursefed' service.
 *
 * The role deliberately lacks moodle/restore:userinfo and moodle/backup:userinfo, so Moodle itself
 * keeps user data out of every restore and backup the node asks for, whatever this plugin does.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class node_access {
    /** Short name of the role. */
    public const ROLE = 'coursefednode';
    /** The node's user, unless the CLI is told another: the settings page's "Give the node access" uses it. */
    public const DEFAULT_USERNAME = 'coursefed';

    /** What the node's user may do, everywhere on the site. */
    public const CAPABILITIES = [
        'webservice/rest:use',
        'local/coursefed:probe',
        'local/coursefed:restore',
        'local/coursefed:backup',
        // Web service functions log in to the course they act on.
        'moodle/course:view',
        'moodle/course:viewhiddencourses',
        'moodle/course:create',
        'moodle/course:update',
        'moodle/course:changefullname',
        'moodle/course:changeshortname',
        'moodle/course:changeidnumber',
        'moodle/course:changesummary',
        'moodle/course:setforcedlanguage',
        'moodle/course:managescales',
        'moodle/grade:manageoutcomes',
        'moodle/restore:restorecourse',
        'moodle/restore:restoreactivity',
        'moodle/restore:restoresection',
        // Without it every restore setting is locked, including "users" and "keep enrolments".
        'moodle/restore:configure',
        'moodle/restore:rolldates',
        'moodle/question:add',
        'moodle/question:managecategory',
        'moodle/backup:backupcourse',
        'moodle/backup:configure',
    ];

    /**
     * Sets everything up; running it again updates the role and reuses the user and its token.
     *
     * @param string $username the node's user, created when missing
     * @return string a permanent token of the 'coursefed' service for that user
     */
    public function grant(string $username): string {
        global $CFG, $DB;
        set_config('enablewebservices', 1);
        $protocols = array_filter(explode(',', (string) get_config('core', 'webserviceprotocols')));
        if (!in_array('rest', $protocols)) {
            $protocols[] = 'rest';
            set_config('webserviceprotocols', implode(',', $protocols));
        }

        $context = context_system::instance();
        $roleid = $DB->get_field('role', 'id', ['shortname' => self::ROLE]);
        if (!$roleid) {
            $roleid = create_role('coursefed node', self::ROLE,
                'The coursefed node: restores and backs up courses without user data through web services.');
            set_role_contextlevels($roleid, [CONTEXT_SYSTEM]);
        }
        foreach (self::CAPABILITIES as $capability) {
            assign_capability($capability, CAP_ALLOW, $roleid, $context->id, true);
        }

        $user = $DB->get_record('user', ['username' => $username, 'mnethostid' => $CFG->mnet_localhost_id, 'deleted' => 0]);
        if (!$user) {
            $userid = user_create_user((object) [
                'username' => $username,
                'auth' => 'manual',
                'password' => generate_password(32),
                'firstname' => 'coursefed',
                'lastname' => 'node',
                'email' => $username . '@coursefed.invalid',
                'confirmed' => 1,
                'mnethostid' => $CFG->mnet_localhost_id,
            ]);
            $user = $DB->get_record('user', ['id' => $userid], '*', MUST_EXIST);
        }
        role_assign($roleid, $user->id, $context->id);

        $service = $DB->get_record('external_services', ['shortname' => 'coursefed', 'component' => 'local_coursefed']);
        if (!$service) {
            throw new moodle_exception('servicemissing', 'local_coursefed');
        }
        $token = $DB->get_field('external_tokens', 'token', ['userid' => $user->id, 'externalserviceid' => $service->id,
            'tokentype' => EXTERNAL_TOKEN_PERMANENT], IGNORE_MULTIPLE);
        return $token ?: \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $user->id, $context);
    }
}
