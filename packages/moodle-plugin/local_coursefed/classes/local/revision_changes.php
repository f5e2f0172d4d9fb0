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

use html_writer;

/**
 * What changed between two revisions of a network course, as the node works it out from the two backups
 * (GET /api/v1/catalog/changes; the JSON is described in the node's docs/diff-json.md), shown before an
 * update is applied.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class revision_changes {
    /** Longest setting value shown whole: a course summary is a page of HTML. */
    private const SHOWN_VALUE_CHARS = 80;

    /**
     * The node's diff of two revisions of a catalog course. The node fetches both backups (verified) if it
     * does not hold them, so this can take as long as reading them.
     *
     * @param node_client $client
     * @param string $object the catalog course's object id
     * @param int $from the revision the Moodle course holds
     * @param int $to the revision the update brings
     * @return array the diff
     * @throws node_error when the node refuses (a revision's backup no longer available, ...) or cannot be reached
     */
    public static function between(node_client $client, string $object, int $from, int $to): array {
        $query = http_build_query(['object' => $object, 'from' => $from, 'to' => $to], '', '&');
        $answer = $client->request('GET', '/catalog/changes?' . $query);
        return is_array($answer['diff'] ?? null) ? $answer['diff'] : [];
    }

    /**
     * The diff as headed lists; every name and title in it came from a backup and is escaped.
     *
     * @param array $diff
     * @return string HTML
     */
    public static function render(array $diff): string {
        if (!empty($diff['unchanged'])) {
            return html_writer::tag('p', get_string('networkchangesnone', 'local_coursefed'));
        }
        $html = '';
        if (($diff['matchedBy'] ?? '') === 'names') {
            $html .= html_writer::tag('p', get_string('networkchangesmatchedbynames', 'local_coursefed'));
        }
        $section = fn(?array $ref): string => $ref === null ? '' : get_string('networkchangessection', 'local_coursefed',
            s((string) $ref['title']));
        $activity = fn(array $item): string => s(network_view::module_name((string) $item['module'])) . ': '
            . s((string) $item['title']);
        $renamed = fn(string $before, string $after): string => get_string('networkchangesfromto', 'local_coursefed',
            ['before' => s($before), 'after' => s($after)]);
        $file = fn(array $item): string => ($item['activity'] ? $activity($item['activity']) . ' — ' : '')
            . s($item['component'] . '/' . $item['filearea'] . $item['filepath'] . $item['filename']);
        $value = function(?string $text): string {
            if ($text === null) {
                return '—';
            }
            $flat = trim(preg_replace('/\s+/u', ' ', $text));
            return s(\core_text::strlen($flat) > self::SHOWN_VALUE_CHARS
                ? \core_text::substr($flat, 0, self::SHOWN_VALUE_CHARS - 1) . '…' : $flat);
        };
        $setting = fn(array $item): string => s((string) $item['key']) . ': '
            . get_string('networkchangesfromto', 'local_coursefed', ['before' => $value($item['old']),
                'after' => $value($item['new'])]);
        $groups = [
            'sectionsadded' => [$diff['sections']['added'] ?? [], fn($item) => $section($item)],
            'sectionsremoved' => [$diff['sections']['removed'] ?? [], fn($item) => $section($item)],
            'sectionsrenamed' => [$diff['sections']['renamed'] ?? [], fn($item) => $renamed($item['oldTitle'],
                $item['title'])],
            'sectionsmoved' => [$diff['sections']['moved'] ?? [], fn($item) => $section($item)],
            'activitiesadded' => [$diff['activities']['added'] ?? [], fn($item) => $activity($item)
                . ($item['section'] ? ' (' . $section($item['section']) . ')' : '')],
            'activitiesremoved' => [$diff['activities']['removed'] ?? [], fn($item) => $activity($item)],
            'activitiesrenamed' => [$diff['activities']['renamed'] ?? [],
                fn($item) => s(network_view::module_name((string) $item['module'])) . ': '
                    . $renamed($item['oldTitle'], $item['title'])],
            'activitiesmoved' => [$diff['activities']['moved'] ?? [], fn($item) => $activity($item) . ': '
                . get_string('networkchangesfromto', 'local_coursefed', ['before' => $section($item['fromSection']),
                    'after' => $section($item['toSection'])])],
            'questions' => [$diff['questions']['byQtype'] ?? [], fn($item) => s((string) $item['qtype']) . ': '
                . get_string('networkchangesfromto', 'local_coursefed', ['before' => (int) $item['old'],
                    'after' => (int) $item['new']])],
            'filesadded' => [$diff['files']['added'] ?? [], $file],
            'filesremoved' => [$diff['files']['removed'] ?? [], $file],
            'fileschanged' => [$diff['files']['changed'] ?? [], $file],
            'coursesettings' => [$diff['settings']['course'] ?? [], $setting],
            'backupsettings' => [$diff['settings']['backup'] ?? [], $setting],
        ];
        foreach ($groups as $name => [$items, $line]) {
            if ($items === []) {
                continue;
            }
            $html .= html_writer::tag('h4', get_string('networkchanges_' . $name, 'local_coursefed'), ['class' => 'h6']);
            $html .= html_writer::alist(array_map($line, $items), ['class' => 'coursefed-diff-' . $name]);
        }
        return $html;
    }
}
