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


namespace local_coursefed\admin;

use local_coursefed\local\node_client;
use local_coursefed\local\node_error;
use local_coursefed\local\registration_code;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/adminlib.php');

/**
 * The registration code field of the plugin's settings page: a code is saved only once the node it names answers
 * GET /api/v1/site with its token, and what the node said (its institution, this site's target) is kept for the
 * page to show, so that showing the page never waits on the node.
 *
 * Saving a code also sets the plugin's nodeurl and sitetoken, which node_client uses; emptying the field
 * disconnects the site.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class setting_registration_code extends \admin_setting_configpasswordunmask {
    /** @var array|null the node's answer to the code being saved, from validate() */
    private ?array $site = null;
    /** @var registration_code|null the code being saved */
    private ?registration_code $code = null;

    /**
     * Checks the code with the node it names.
     *
     * @param string $data the pasted code
     * @return true|string true, or what is wrong
     */
    public function validate($data) {
        $this->site = null;
        $this->code = null;
        if (trim((string) $data) === '') {
            return true;
        }
        try {
            $code = registration_code::parse((string) $data);
            // Short: the admin waits on the page, and a node that does not answer in seconds is not reachable.
            $site = (new node_client($code->nodeurl, $code->token, 15))->request('GET', '/site');
        } catch (node_error $e) {
            // The settings page escapes a setting's error itself.
            return $e->plaintext;
        } catch (\moodle_exception $e) {
            return $e->getMessage();
        }
        if (!isset($site['institution']['name'], $site['target']['name'])) {
            return get_string('nodebadresponse', 'local_coursefed', $code->nodeurl);
        }
        $this->code = $code;
        $this->site = $site;
        return true;
    }

    /**
     * Saves the code and what the node said about it; an empty code disconnects the site.
     *
     * @param string $data
     * @return string '' when saved, else the error
     */
    public function write_setting($data) {
        $error = parent::write_setting(trim((string) $data));
        if ($error !== '') {
            return $error;
        }
        if ($this->code === null) {
            foreach (['nodeurl', 'sitetoken', 'site', 'moodleaccess'] as $name) {
                unset_config($name, 'local_coursefed');
            }
            return '';
        }
        set_config('nodeurl', $this->code->nodeurl, 'local_coursefed');
        set_config('sitetoken', $this->code->token, 'local_coursefed');
        set_config('site', json_encode($this->site), 'local_coursefed');
        set_config('moodleaccess', empty($this->site['target']['moodleAccess']) ? 0 : 1, 'local_coursefed');
        return '';
    }

    /**
     * A plain password field the width of the form: Moodle's own, a dot per character, runs off the page for a
     * code this long.
     *
     * @param string $data the code saved
     * @param string $query
     * @return string HTML
     */
    public function output_html($data, $query = '') {
        $input = \html_writer::empty_tag('input', [
            'type' => 'password',
            'name' => $this->get_full_name(),
            'id' => $this->get_id(),
            'value' => (string) $data,
            'class' => 'form-control text-ltr',
            'autocomplete' => 'off',
            'spellcheck' => 'false',
        ]);
        return format_admin_setting($this, $this->visiblename, \html_writer::div($input, 'form-text defaultsnext'),
            $this->description, true, '', null, $query);
    }

    /**
     * What the node said when the code was saved, if the site is registered.
     *
     * @return array|null {institution: {name, handle, url}, node: {url, version}, target: {name, driver}}
     */
    public static function registered_site(): ?array {
        if (!node_client::is_configured()) {
            return null;
        }
        $site = json_decode((string) get_config('local_coursefed', 'site'), true);
        return is_array($site) ? $site : null;
    }
}
