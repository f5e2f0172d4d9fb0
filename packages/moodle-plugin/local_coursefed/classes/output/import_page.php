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

use html_writer;
use moodle_url;
use single_button;

/**
 * What the import page and the update page (apply from a course's notice) both draw: a destination's or a
 * mode's choice, and the confirmation asked before a course's contents are replaced.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class import_page {
    /**
     * One radio button of a group with its label, in Bootstrap's form-check layout.
     *
     * @param string $name the group's field name
     * @param string $value the value posted when chosen
     * @param string $label the label, already a string of the user's language
     * @param bool $checked chosen when the page shows
     * @return string HTML
     */
    public static function choice(string $name, string $value, string $label, bool $checked): string {
        $id = 'coursefed-' . $name . '-' . $value;
        $attributes = ['type' => 'radio', 'name' => $name, 'value' => $value, 'id' => $id, 'class' => 'form-check-input'];
        if ($checked) {
            $attributes['checked'] = 'checked';
        }
        return html_writer::div(html_writer::empty_tag('input', $attributes) .
            html_writer::label($label, $id, false, ['class' => 'form-check-label']), 'form-check');
    }

    /**
     * The whole page that asks before replacing a course's contents with a course of the network, naming both.
     *
     * @param string $coursename the Moodle course, formatted
     * @param string $title the network course's title, escaped
     * @param moodle_url $confirm where "Replace the contents" posts (with the session key)
     * @param moodle_url $cancel where Cancel goes
     */
    public static function confirm_replace(string $coursename, string $title, moodle_url $confirm, moodle_url $cancel): void {
        global $OUTPUT;
        echo $OUTPUT->header();
        echo $OUTPUT->confirm(
            get_string('networkreplaceconfirm', 'local_coursefed', ['course' => $coursename, 'title' => $title]),
            new single_button($confirm, get_string('networkreplacecontents', 'local_coursefed'), 'post',
                single_button::BUTTON_DANGER),
            new single_button($cancel, get_string('cancel'), 'get')
        );
        echo $OUTPUT->footer();
    }
}
