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


namespace local_coursefed\output;

use local_coursefed\local\network_view;
use renderable;
use renderer_base;
use templatable;

/**
 * A course's sharing state at a glance, from the node's GET /site/courses/{id}: not shared, shared as revision N
 * (when, to whom), withdrawn, a share under way, or why the last one did not go through. Every value comes from
 * the node: the template escapes it.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class share_state implements renderable, templatable {
    /** A share job's states while it runs; 'done' and 'failed' are final. */
    public const RUNNING = ['queued', 'backing-up', 'scanning', 'publishing'];

    /** @var array the node's answer */
    private array $state;

    /**
     * Constructor.
     *
     * @param array $state the node's answer to GET /site/courses/{id}
     */
    public function __construct(array $state) {
        $this->state = $state;
    }

    /**
     * Whether a share of the course is under way (the page then refreshes itself).
     *
     * @return bool
     */
    public function under_way(): bool {
        return in_array($this->state['job']['state'] ?? 'done', self::RUNNING, true);
    }

    /**
     * Data for local_coursefed/share_state.
     *
     * @param renderer_base $output
     * @return array
     */
    public function export_for_template(renderer_base $output): array {
        $course = $this->state['course'] ?? null;
        $job = $this->state['job'] ?? null;
        $shared = !empty($this->state['shared']) && is_array($course);
        $data = ['state' => 'notshared', 'statustext' => get_string('sharestate_notshared', 'local_coursefed'),
            'details' => [], 'hasdetails' => false];
        if ($shared) {
            $data['state'] = 'shared';
            $data['statustext'] = get_string('sharestate_shared', 'local_coursefed', (object) [
                'revision' => (int) $course['revision'],
                'date' => self::date($course['publishedAt']),
            ]);
            $data['details'] = $this->details($course);
            $data['hasdetails'] = true;
            $data['courseurl'] = network_view::web_address((string) ($course['url'] ?? ''));
        } else if (is_array($course) && !empty($this->state['withdrawnAt'])) {
            $data['state'] = 'withdrawn';
            $data['statustext'] = get_string('sharestate_withdrawn', 'local_coursefed',
                self::date($this->state['withdrawnAt']));
        }
        if (!empty($this->state['derivedFrom']['object'])) {
            $data['derivedtext'] = get_string('sharederivedfrom', 'local_coursefed', (object) [
                'object' => $this->state['derivedFrom']['object'],
                'revision' => (int) $this->state['derivedFrom']['revision'],
            ]);
        }
        if ($this->under_way()) {
            $data['progress'] = get_string('sharejob_' . str_replace('-', '', $job['state']), 'local_coursefed');
        } else if (($job['state'] ?? '') === 'failed' && $this->newer_than_publication($job, $course)) {
            $findings = [];
            foreach ($job['findings'] ?? [] as $finding) {
                $findings[] = get_string('sharefinding', 'local_coursefed', (object) [
                    'count' => (int) $finding['count'],
                    'what' => self::category($finding['category']),
                    'where' => implode(', ', array_column($finding['sources'] ?? [], 'source')),
                ]);
            }
            $data['failure'] = [
                'intro' => get_string($findings ? 'sharefailedpersonaldata' : 'sharefailed', 'local_coursefed'),
                'message' => (string) ($job['message'] ?? ''),
                'findings' => $findings,
                'hasfindings' => !empty($findings),
            ];
        }
        return $data;
    }

    /**
     * The shared course's title, visibility, tags, licence and author, as label/value pairs.
     *
     * @param array $course the node's course
     * @return array
     */
    private function details(array $course): array {
        $visibility = in_array($course['visibility'], ['public', 'followers', 'private'], true)
            ? get_string('sharevisibility_' . $course['visibility'], 'local_coursefed')
            : $course['visibility'];
        $details = [
            ['label' => get_string('sharetitle', 'local_coursefed'), 'value' => $course['title']],
            ['label' => get_string('sharevisibility', 'local_coursefed'), 'value' => $visibility],
        ];
        if (!empty($course['tags'])) {
            $details[] = ['label' => get_string('sharetags', 'local_coursefed'), 'value' => implode(', ', $course['tags'])];
        }
        if (!empty($course['license'])) {
            // The node keeps the short name Moodle knows the licence by: its full name when this site has it.
            $licences = \local_coursefed\local\course_share::licence_options();
            $details[] = ['label' => get_string('sharelicense', 'local_coursefed'),
                'value' => $licences[$course['license']] ?? $course['license']];
        }
        if (!empty($course['author'])) {
            $details[] = ['label' => get_string('sharedby', 'local_coursefed'), 'value' => $course['author']];
        }
        return $details;
    }

    /**
     * Whether a failed job came after the course's last publication: an older failure is no news.
     *
     * @param array $job
     * @param array|null $course
     * @return bool
     */
    private function newer_than_publication(array $job, ?array $course): bool {
        if (!is_array($course) || !empty($this->state['withdrawnAt'])) {
            return true;
        }
        return strtotime($job['updatedAt']) >= strtotime($course['publishedAt']);
    }

    /**
     * A personal-data category of the node's scan in words ("userAccounts": "user accounts").
     *
     * @param string $category
     * @return string
     */
    private static function category(string $category): string {
        $id = 'personaldata_' . strtolower($category);
        return get_string_manager()->string_exists($id, 'local_coursefed') ? get_string($id, 'local_coursefed') : $category;
    }

    /**
     * A date of the node's (ISO 8601) in the user's time zone and language.
     *
     * @param string $iso
     * @return string
     */
    private static function date(string $iso): string {
        return userdate((int) strtotime($iso), get_string('strftimedatetime', 'langconfig'));
    }
}
