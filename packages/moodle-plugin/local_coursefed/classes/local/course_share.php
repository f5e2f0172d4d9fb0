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

use context;
use core_tag_tag;
use core_text;
use stdClass;

/**
 * What a course is shared on the network with: its title, summary, tags, licence and visibility, taken from the
 * course (or from the course as last shared), checked as the node checks them, and sent to it.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class course_share {
    /** The node's limits (packages/node/src/courses/publish-service.ts, METADATA_LIMITS): longer is refused there. */
    public const MAX_TITLE = 300;
    /** See MAX_TITLE. */
    public const MAX_SUMMARY = 20000;
    /** See MAX_TITLE. */
    public const MAX_LICENSE = 100;
    /** See MAX_TITLE. */
    public const MAX_TAGS = 30;
    /** See MAX_TITLE. */
    public const MAX_TAG_LENGTH = 64;
    /** A tag the node accepts: words of letters, digits, _ and -, one space between them ("web programming"). */
    public const TAG_PATTERN = '/^[\p{L}\p{N}_-]+(?: [\p{L}\p{N}_-]+)*$/u';
    /** Who may see a shared course on the network, as the node names them. */
    public const VISIBILITIES = ['public', 'followers'];

    /**
     * The form's first values: the course as last shared when it is shared (so "Share the changes" keeps what
     * the teacher chose), else from the course itself.
     *
     * @param stdClass $course
     * @param context $context the course's context
     * @param array|null $shared the node's course ("course" of GET /site/courses/{id}) while it is shared
     * @return array form values: title, summary, tags, license, visibility
     */
    public static function defaults(stdClass $course, context $context, ?array $shared): array {
        global $CFG;
        if ($shared !== null) {
            return [
                'title' => (string) $shared['title'],
                'summary' => (string) ($shared['summary'] ?? ''),
                'tags' => implode(', ', $shared['tags'] ?? []),
                'license' => (string) ($shared['license'] ?? ''),
                'visibility' => (string) $shared['visibility'],
            ];
        }
        $title = format_string($course->fullname, true, ['context' => $context, 'escape' => false]);
        $html = format_text($course->summary ?? '', $course->summaryformat ?? FORMAT_HTML, ['context' => $context]);
        // html_to_text writes bold text and headings in capitals, which would shout in the catalog: plain first.
        $html = preg_replace(['~</?(strong|b|th)\b[^>]*>~i', '~<(/?)h[1-6]\b[^>]*>~i'], ['', '<$1p>'], $html);
        $summary = trim(html_to_text($html, 0, false));
        $tags = array_values(array_filter(array_map([self::class, 'tag_from_moodle'],
            core_tag_tag::get_item_tags_array('core', 'course', $course->id))));
        return [
            'title' => core_text::substr($title, 0, self::MAX_TITLE),
            'summary' => core_text::substr($summary, 0, self::MAX_SUMMARY),
            'tags' => implode(', ', array_slice(array_unique($tags), 0, self::MAX_TAGS)),
            // Moodle courses have no licence of their own: the site's default one for new content.
            'license' => (string) ($CFG->sitedefaultlicense ?? ''),
            'visibility' => 'public',
        ];
    }

    /**
     * A Moodle tag as the node accepts it: what is not a letter, digit, _ or - becomes a space ("C++" gives "C").
     *
     * @param string $name the tag's display name
     * @return string '' when nothing is left
     */
    public static function tag_from_moodle(string $name): string {
        $words = trim(preg_replace('/[^\p{L}\p{N}_-]+/u', ' ', $name));
        return trim(core_text::substr($words, 0, self::MAX_TAG_LENGTH));
    }

    /**
     * The tags typed in the form, separated by commas ("web programming, maths"), spaces folded.
     *
     * @param string $typed
     * @return string[]
     */
    public static function tags_typed(string $typed): array {
        $tags = array_map(fn($tag) => trim(preg_replace('/\s+/u', ' ', $tag)), explode(',', $typed));
        return array_values(array_unique(array_filter($tags, fn($tag) => $tag !== '')));
    }

    /**
     * What is wrong with the values of the share form, by field, worded for the teacher.
     *
     * @param array $data the submitted values
     * @return array field => message; empty when all is well
     */
    public static function errors(array $data): array {
        $errors = [];
        $title = trim((string) ($data['title'] ?? ''));
        if ($title === '') {
            $errors['title'] = get_string('required');
        } else if (core_text::strlen($title) > self::MAX_TITLE) {
            $errors['title'] = get_string('maximumchars', '', self::MAX_TITLE);
        }
        if (core_text::strlen((string) ($data['summary'] ?? '')) > self::MAX_SUMMARY) {
            $errors['summary'] = get_string('maximumchars', '', self::MAX_SUMMARY);
        }
        $tags = self::tags_typed((string) ($data['tags'] ?? ''));
        if (count($tags) > self::MAX_TAGS) {
            $errors['tags'] = get_string('sharetagstoomany', 'local_coursefed', self::MAX_TAGS);
        } else {
            foreach ($tags as $tag) {
                if (!preg_match(self::TAG_PATTERN, $tag) || core_text::strlen($tag) > self::MAX_TAG_LENGTH) {
                    $errors['tags'] = get_string('sharetaginvalid', 'local_coursefed',
                        (object) ['tag' => $tag, 'max' => self::MAX_TAG_LENGTH]);
                    break;
                }
            }
        }
        if (core_text::strlen((string) ($data['license'] ?? '')) > self::MAX_LICENSE) {
            $errors['license'] = get_string('maximumchars', '', self::MAX_LICENSE);
        }
        if (!in_array($data['visibility'] ?? '', self::VISIBILITIES, true)) {
            $errors['visibility'] = get_string('required');
        }
        return $errors;
    }

    /**
     * The body of POST /site/courses/{id}/share for the form's values.
     *
     * @param stdClass $data the form's data, checked by errors()
     * @return array
     */
    public static function request_body(stdClass $data): array {
        $summary = trim((string) $data->summary);
        $license = (string) $data->license;
        return [
            'title' => trim((string) $data->title),
            'summary' => $summary === '' ? null : $summary,
            'tags' => self::tags_typed((string) $data->tags),
            'license' => $license === '' ? null : $license,
            'visibility' => (string) $data->visibility,
        ];
    }

    /**
     * The licences a teacher may choose from: the site's enabled ones, by short name (what the node records).
     *
     * @return array shortname => full name
     */
    public static function licence_options(): array {
        global $CFG;
        require_once($CFG->libdir . '/licenselib.php');
        $options = [];
        foreach (\license_manager::get_active_licenses() as $licence) {
            $options[$licence->shortname] = $licence->fullname;
        }
        return $options;
    }
}
