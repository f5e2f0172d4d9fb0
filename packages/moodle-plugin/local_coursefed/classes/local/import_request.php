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

use moodle_exception;

/**
 * An import (or an update) of a network course the current user asks for: its destination is checked against
 * what Moodle lets them restore into before the node is asked, whatever the form that sent it.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class import_request {
    /** @var string the catalog course's object id */
    private string $object;
    /** @var int|null the revision, null for the latest the node has */
    private ?int $revision;
    /** @var array|null the destination as the node's API takes it, once checked */
    private ?array $destination = null;

    /**
     * An import of a catalog course.
     *
     * @param string $object the catalog course's object id
     * @param int|null $revision the revision, null for the latest
     */
    public function __construct(string $object, ?int $revision) {
        $this->object = $object;
        $this->revision = $revision;
    }

    /**
     * As a new course in a category.
     *
     * @param int $categoryid
     * @param string $fullname the new course's full name; '' for the catalog title
     * @param string $shortname the new course's short name; '' for Moodle's, made from the full name
     * @throws moodle_exception when Moodle does not let the user create and restore a course there, or the short
     *     name is too long (see shortname_problem)
     */
    public function into_category(int $categoryid, string $fullname = '', string $shortname = ''): void {
        if (!import_destinations::allows_category($categoryid)) {
            throw new moodle_exception('networknocategorypermission', 'local_coursefed', '', $categoryid);
        }
        $this->destination = ['kind' => 'new-course', 'categoryId' => $categoryid];
        $fullname = trim($fullname);
        if ($fullname !== '') {
            // The node cuts nothing: a longer name than Moodle keeps is refused there, so cut it here.
            $this->destination['fullName'] = \core_text::substr($fullname, 0, course_restorer::FULLNAME_MAX_LENGTH);
        }
        $shortname = trim($shortname);
        $problem = self::shortname_problem($shortname);
        if ($problem !== null) {
            throw new moodle_exception('networkshortnametoolong', 'local_coursefed', '', $problem);
        }
        if ($shortname !== '') {
            $this->destination['shortName'] = $shortname;
        }
    }

    /**
     * What is wrong with a short name the user typed, as the node would refuse it: null when nothing (empty is
     * fine: Moodle makes one). Not cut as the full name is: a short name identifies the course, the user picks it.
     *
     * @param string $shortname trimmed
     * @return array|null ['length' => ..., 'max' => ...] for the string networkshortnametoolong
     */
    public static function shortname_problem(string $shortname): ?array {
        $length = \core_text::strlen($shortname);
        return $length > course_restorer::SHORTNAME_MAX_LENGTH
            ? ['length' => $length, 'max' => course_restorer::SHORTNAME_MAX_LENGTH] : null;
    }

    /**
     * Into an existing course, adding to its contents (merge) or in their place (replace).
     *
     * @param int $courseid
     * @param string $mode merge or replace
     * @throws moodle_exception when Moodle does not let the user restore into that course
     */
    public function into_course(int $courseid, string $mode): void {
        if ($mode !== 'merge' && $mode !== 'replace') {
            throw new \invalid_parameter_exception('mode: merge or replace');
        }
        if (!import_destinations::allows_course($courseid)) {
            throw new moodle_exception('networknocoursepermission', 'local_coursefed', '', $courseid);
        }
        $this->destination = ['kind' => 'existing-course', 'courseId' => $courseid, 'mode' => $mode];
    }

    /**
     * Asks the node for the import, for the current user.
     *
     * @param node_client $client
     * @return array the node's job (id, state...)
     * @throws node_error when the node refuses or cannot be reached
     */
    public function send(node_client $client): array {
        global $USER;
        if ($this->destination === null) {
            throw new \coding_exception('import_request: no destination chosen');
        }
        $body = ['catalogCourse' => $this->object, 'destination' => $this->destination];
        if ($this->revision !== null) {
            $body['revision'] = $this->revision;
        }
        if ($this->destination['kind'] === 'existing-course') {
            // The user picked merge, or confirmed replacing the course named on the confirmation page.
            $body['confirm'] = true;
        }
        $job = $client->request('POST', '/site/imports', $body, $USER)['job'];
        if ($this->destination['kind'] === 'existing-course') {
            network_notice::forget($this->destination['courseId']);
        } else {
            restorer_access::remember_request((string) $job['id']);
        }
        return $job;
    }
}
