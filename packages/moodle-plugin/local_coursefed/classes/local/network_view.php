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
 * How the network pages show what the node tells about a catalog course: who published it and the facts
 * of its backup. Every value comes from another server, so all of it is escaped here.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class network_view {
    /**
     * "Institution · teacher" for a catalog entry of the node's API (its institution and author).
     *
     * @param array $entry a catalog entry (GET /catalog, GET /catalog/course)
     * @return string HTML
     */
    public static function byline(array $entry): string {
        $institution = $entry['institution'] ?? [];
        $parts = [s($institution['name'] ?? $institution['host'] ?? '')];
        $author = $entry['author'] ?? null;
        // The institution's own courses have it as author: name a teacher only when there is one.
        if (is_array($author) && ($author['actor'] ?? null) !== ($institution['actor'] ?? null)) {
            $parts[] = s($author['name'] ?? $author['handle'] ?? '');
        }
        return implode(' · ', array_filter($parts, fn($part) => $part !== ''));
    }

    /**
     * Revision, size, the Moodle release it was made on and its tags, in one line.
     *
     * @param array $entry a catalog entry
     * @return string HTML
     */
    public static function facts(array $entry): string {
        $facts = [
            get_string('networkrevisionn', 'local_coursefed', (int) $entry['revision']),
            display_size((int) $entry['size']),
        ];
        if (!empty($entry['moodleRelease'])) {
            $facts[] = get_string('networkmadeonmoodle', 'local_coursefed', s($entry['moodleRelease']));
        }
        if (!empty($entry['tags'])) {
            $facts[] = get_string('networktagslist', 'local_coursefed', s(implode(', ', $entry['tags'])));
        }
        return implode(' · ', $facts);
    }

    /**
     * A list of what a backup holds, as its signed manifest says: sections, activities by kind, languages.
     *
     * @param array $manifest the manifest of one revision
     * @return string HTML
     */
    public static function contents(array $manifest): string {
        $items = [get_string('networksectionsn', 'local_coursefed', (int) ($manifest['sections'] ?? 0))];
        foreach ($manifest['activities'] ?? [] as $module => $count) {
            $items[] = s(self::module_name((string) $module)) . ': ' . (int) $count;
        }
        if (!empty($manifest['languages'])) {
            $items[] = get_string('networklanguageslist', 'local_coursefed', s(implode(', ', $manifest['languages'])));
        }
        if (!empty($manifest['requiredPlugins'])) {
            $items[] = get_string('networkrequiredpluginslist', 'local_coursefed', s(implode(', ', $manifest['requiredPlugins'])));
        }
        return html_writer::alist($items, ['class' => 'coursefed-contents']);
    }

    /**
     * An address the node gave, as a link may hold it: an http(s) address, or '' (no link). Escaping an href keeps
     * a javascript: or data: address whole, to run when clicked.
     *
     * @param string $url
     * @return string
     */
    public static function web_address(string $url): string {
        return preg_match('~^https?://~i', $url) && clean_param($url, PARAM_URL) === $url ? $url : '';
    }

    /**
     * A module's name in the user's language when this site has it ("quiz" → "Quiz"), else its technical name.
     *
     * @param string $module a Moodle module name (quiz, page...)
     * @return string plain text
     */
    public static function module_name(string $module): string {
        $manager = get_string_manager();
        return $manager->string_exists('modulename', 'mod_' . $module)
            ? get_string('modulename', 'mod_' . $module)
            : $module;
    }
}
