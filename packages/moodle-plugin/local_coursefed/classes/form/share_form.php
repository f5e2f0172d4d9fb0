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


namespace local_coursefed\form;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/formslib.php');

use local_coursefed\local\course_share;

/**
 * What a course is shared on the network with: title, summary, tags, licence and who may see it.
 *
 * Custom data: 'shared' (bool, the course is shared now: the button says "Share the changes").
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class share_form extends \moodleform {
    /**
     * The fields.
     */
    protected function definition() {
        $form = $this->_form;
        $form->addElement('hidden', 'id');
        $form->setType('id', PARAM_INT);

        $form->addElement('text', 'title', get_string('sharetitle', 'local_coursefed'),
            ['size' => 60, 'maxlength' => course_share::MAX_TITLE]);
        $form->setType('title', PARAM_TEXT);
        $form->addRule('title', null, 'required', null, 'client');

        $form->addElement('textarea', 'summary', get_string('sharesummary', 'local_coursefed'),
            ['rows' => 6, 'cols' => 60]);
        $form->setType('summary', PARAM_TEXT);
        $form->addHelpButton('summary', 'sharesummary', 'local_coursefed');

        $form->addElement('text', 'tags', get_string('sharetags', 'local_coursefed'), ['size' => 60]);
        $form->setType('tags', PARAM_TEXT);
        $form->addHelpButton('tags', 'sharetags', 'local_coursefed');

        $form->addElement('select', 'license', get_string('sharelicense', 'local_coursefed'),
            ['' => get_string('sharelicensenone', 'local_coursefed')] + course_share::licence_options());
        $form->setType('license', PARAM_TEXT);

        $visibilities = [];
        foreach (course_share::VISIBILITIES as $visibility) {
            $visibilities[$visibility] = get_string('sharevisibility_' . $visibility, 'local_coursefed');
        }
        $form->addElement('select', 'visibility', get_string('sharevisibility', 'local_coursefed'), $visibilities);
        $form->setType('visibility', PARAM_ALPHA);
        $form->addHelpButton('visibility', 'sharevisibility', 'local_coursefed');

        $shared = !empty($this->_customdata['shared']);
        $this->add_action_buttons(true, get_string($shared ? 'sharechanges' : 'sharebutton', 'local_coursefed'));
    }

    /**
     * Checks the values as the node will, so that the teacher hears of a mistake here.
     *
     * @param array $data
     * @param array $files
     * @return array
     */
    public function validation($data, $files) {
        return array_merge(parent::validation($data, $files), course_share::errors($data));
    }
}
