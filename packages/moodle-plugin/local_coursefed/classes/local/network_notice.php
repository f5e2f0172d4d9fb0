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

use core\hook\output\before_standard_top_of_body_html_generation;
use html_writer;
use moodle_url;

/**
 * On the page of a course imported from the network, for those who may import into it: where it came from
 * and, when a newer revision is on the node, "Update available" with what changed, Apply and Dismiss.
 *
 * Shown as a Moodle notification: the hook runs before the page's notifications are drawn at the top of the
 * course's main region, the one place every theme shows them.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class network_notice {
    /** The table of the updates dismissed, one row per course, catalog course and revision. */
    public const DISMISSALS = 'local_coursefed_dismissals';
    /** Seconds a course page waits for the node at most, to connect and to answer: a slow node must not hold it back. */
    private const TIMEOUT = 2;
    /** The cache of the node's answers (db/caches.php), per course. */
    private const CACHE = 'origins';
    /** Seconds an answer of the node's is shown before it is asked again: a new revision shows within them. */
    private const ANSWER_SECONDS = 300;
    /** Seconds a node that did not answer is left alone: the course's views meanwhile do not wait for it. */
    private const UNREACHABLE_SECONDS = 60;

    /**
     * Callback of core\hook\output\before_standard_top_of_body_html_generation (Moodle 4.4 and later).
     *
     * @param before_standard_top_of_body_html_generation $hook
     */
    public static function before_top_of_body(before_standard_top_of_body_html_generation $hook): void {
        global $PAGE;
        if (during_initial_install() || !isloggedin() || isguestuser()) {
            return;
        }
        if (strpos((string) $PAGE->pagetype, 'course-view-') !== 0 || (int) $PAGE->course->id === (int) SITEID) {
            return;
        }
        $courseid = (int) $PAGE->course->id;
        if (!node_client::is_configured() || !import_destinations::allows_course($courseid)) {
            return;
        }
        $origin = self::origin_for_page($courseid);
        if ($origin !== null) {
            \core\notification::add(self::render($courseid, $origin), \core\notification::INFO);
        }
    }

    /**
     * Where a course came from, for its page: the node's answer of the last few minutes, else asked with a short
     * timeout. Null when it was not imported from the network, and while the node does not answer: the course
     * page stays usable, the reason goes to the developer log.
     *
     * @param int $courseid
     * @return array|null as origin_of()
     */
    public static function origin_for_page(int $courseid): ?array {
        $cache = \cache::make('local_coursefed', self::CACHE);
        $key = self::cache_key($courseid);
        $entry = $cache->get($key);
        if ($entry !== false && $entry['until'] > time()) {
            return $entry['origin'];
        }
        try {
            $entry = ['origin' => self::origin_of($courseid, new node_client(null, null, self::TIMEOUT)),
                'until' => time() + self::ANSWER_SECONDS];
        } catch (node_error $error) {
            debugging('coursefed: no origin for course ' . $courseid . ': ' . $error->getMessage(), DEBUG_DEVELOPER);
            $entry = ['origin' => null, 'until' => time() + self::UNREACHABLE_SECONDS];
        }
        $cache->set($key, $entry);
        return $entry['origin'];
    }

    /**
     * Forgets the node's answer for a course, whose origin or update just changed (imported into, updated,
     * update dismissed, shared): its page asks the node again.
     *
     * @param int $courseid
     */
    public static function forget(int $courseid): void {
        \cache::make('local_coursefed', self::CACHE)->delete(self::cache_key($courseid));
    }

    /**
     * The cache key of a course's origin: the node and the site token in it too, so an answer from the node the
     * site was connected to before is never shown for another.
     *
     * @param int $courseid
     * @return string
     */
    private static function cache_key(int $courseid): string {
        $connection = get_config('local_coursefed', 'nodeurl') . ' ' . get_config('local_coursefed', 'sitetoken');
        return $courseid . '_' . substr(sha1($connection), 0, 16);
    }

    /**
     * Where a course came from, as the node tells it; null when it was not imported from the network.
     *
     * @param int $courseid
     * @param node_client $client
     * @return array|null the node's origin (object, title, institution, teacher, revision, latestRevision,
     *     updateAvailable, changes...)
     * @throws node_error
     */
    public static function origin_of(int $courseid, node_client $client): ?array {
        return $client->request('GET', '/site/courses/' . $courseid . '/origin')['origin'] ?? null;
    }

    /**
     * Whether the update to this revision was dismissed in this course.
     *
     * @param int $courseid
     * @param string $object the catalog course's object id
     * @param int $revision
     * @return bool
     */
    public static function dismissed(int $courseid, string $object, int $revision): bool {
        global $DB;
        return $DB->record_exists(self::DISMISSALS, ['courseid' => $courseid, 'objecthash' => hash('sha256', $object),
            'revision' => $revision]);
    }

    /**
     * Dismisses the update to this revision in this course: the notice tells it no more, until a newer one.
     *
     * @param int $courseid
     * @param string $object
     * @param int $revision
     */
    public static function dismiss(int $courseid, string $object, int $revision): void {
        global $DB;
        if (self::dismissed($courseid, $object, $revision)) {
            return;
        }
        $DB->insert_record(self::DISMISSALS, ['courseid' => $courseid, 'objecthash' => hash('sha256', $object),
            'revision' => $revision, 'timecreated' => time()]);
    }

    /**
     * Observer of \core\event\course_deleted: the course's dismissed updates go with it.
     *
     * @param \core\event\course_deleted $event
     */
    public static function course_deleted(\core\event\course_deleted $event): void {
        global $DB;
        $DB->delete_records(self::DISMISSALS, ['courseid' => $event->objectid]);
    }

    /**
     * The notice's HTML.
     *
     * @param int $courseid
     * @param array $origin
     * @return string
     */
    public static function render(int $courseid, array $origin): string {
        $institution = $origin['institution']['name'] ?? $origin['institution']['host'];
        $parts = [s($institution)];
        if (!empty($origin['teacher'])) {
            $parts[] = s($origin['teacher']['name'] ?? $origin['teacher']['handle'] ?? '');
        }
        $parts[] = s($origin['title']);
        $parts[] = get_string('networkrevisionn', 'local_coursefed', (int) $origin['revision']);
        $html = html_writer::tag('p', html_writer::tag('strong', get_string('networkfromnetwork', 'local_coursefed')) . ' '
            . implode(', ', array_filter($parts, fn($part) => $part !== '')), ['class' => 'coursefed-origin mb-1']);
        if (!empty($origin['withdrawn'])) {
            $html .= html_writer::tag('p', get_string('networkoriginwithdrawn', 'local_coursefed'), ['class' => 'mb-1']);
        }
        if ($origin['updateAvailable']
                && !self::dismissed($courseid, $origin['object'], (int) $origin['latestRevision'])) {
            $html .= self::render_update($courseid, $origin);
        }
        return html_writer::div($html, 'coursefed-network-notice');
    }

    /**
     * "Update available (rev N → M)", what changed, and the Apply and Dismiss buttons.
     *
     * @param int $courseid
     * @param array $origin
     * @return string
     */
    private static function render_update(int $courseid, array $origin): string {
        $heading = get_string('networkupdateavailable', 'local_coursefed', [
            'from' => (int) $origin['revision'],
            'to' => (int) $origin['latestRevision'],
        ]);
        $html = html_writer::tag('p', html_writer::tag('strong', $heading), ['class' => 'coursefed-update mb-1']);
        $html .= html_writer::alist(self::changes($origin['changes'] ?? []), ['class' => 'coursefed-changes']);
        // The manifests tell counts; the page beside works out every change from the two backups themselves.
        $html .= html_writer::tag('p', html_writer::link(new moodle_url('/local/coursefed/changes.php', ['id' => $courseid]),
            get_string('networkchangesdetail', 'local_coursefed')), ['class' => 'mb-1']);
        return $html . self::update_actions($courseid, $origin);
    }

    /**
     * The Apply (merge, replace) and Dismiss links of an update, for the notice and the changes page.
     *
     * @param int $courseid
     * @param array $origin
     * @return string
     */
    public static function update_actions(int $courseid, array $origin): string {
        // Links, not forms: Moodle cleans a notification's HTML of forms and buttons. Applying by merging and
        // dismissing carry the session key; replacing goes through a confirmation page naming the course. The
        // text colours are set: an alert's own link colour would leave too little contrast on the buttons.
        $action = ['id' => $courseid, 'revision' => (int) $origin['latestRevision']];
        $links = [
            html_writer::link(new moodle_url('/local/coursefed/update.php', $action + ['action' => 'apply',
                'mode' => 'merge', 'sesskey' => sesskey()]), get_string('networkapplymerge', 'local_coursefed'),
                ['class' => 'btn btn-primary btn-sm text-white']),
            html_writer::link(new moodle_url('/local/coursefed/update.php', $action + ['action' => 'apply',
                'mode' => 'replace', 'sesskey' => sesskey()]), get_string('networkapplyreplace', 'local_coursefed'),
                ['class' => 'btn btn-secondary btn-sm text-dark']),
            html_writer::link(new moodle_url('/local/coursefed/update.php', $action + ['action' => 'dismiss',
                'sesskey' => sesskey()]), get_string('networkdismiss', 'local_coursefed'),
                ['class' => 'btn btn-secondary btn-sm text-dark']),
        ];
        return html_writer::div(implode(' ', $links), 'coursefed-update-actions');
    }

    /**
     * What changed, one line each, as the node compared the two revisions' manifests.
     *
     * @param array $changes the origin's changes
     * @return string[] HTML
     */
    private static function changes(array $changes): array {
        $lines = [];
        if (!empty($changes['title'])) {
            $lines[] = get_string('networkchangedtitle', 'local_coursefed', ['before' => s($changes['title']['before']),
                'after' => s($changes['title']['after'])]);
        }
        if (!empty($changes['sections'])) {
            // Counts from a publisher's manifest: numbers, or nothing that reaches the page.
            $lines[] = get_string('networkchangedsections', 'local_coursefed', ['before' => (int) $changes['sections']['before'],
                'after' => (int) $changes['sections']['after']]);
        }
        foreach ($changes['activities'] ?? [] as $activity) {
            $lines[] = get_string('networkchangedactivities', 'local_coursefed', [
                'module' => s(network_view::module_name($activity['module'])),
                'before' => (int) $activity['before'],
                'after' => (int) $activity['after'],
            ]);
        }
        if (!empty($changes['size']) && $changes['size']['before'] !== $changes['size']['after']) {
            $lines[] = get_string('networkchangedsize', 'local_coursefed', [
                'before' => display_size((int) $changes['size']['before']),
                'after' => display_size((int) $changes['size']['after']),
            ]);
        }
        if ($lines === []) {
            $lines[] = get_string('networkchangednothingknown', 'local_coursefed');
        }
        return $lines;
    }
}
