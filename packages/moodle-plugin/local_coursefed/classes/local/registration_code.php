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

defined('MOODLE_INTERNAL') || die();

/**
 * A registration code from the coursefed node ("coursefed-site:" + base64url of {"v":1,"node":"...","token":"..."}),
 * as the node's console or `coursefed moodle register TARGET` shows it: the node's address and a site token bound to
 * this site's target on the node.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class registration_code {
    /** What every code starts with. */
    public const PREFIX = 'coursefed-site:';

    /** @var string the node's public URL, without a trailing slash */
    public string $nodeurl;
    /** @var string the site token */
    public string $token;

    /**
     * Constructor.
     *
     * @param string $nodeurl
     * @param string $token
     */
    private function __construct(string $nodeurl, string $token) {
        $this->nodeurl = $nodeurl;
        $this->token = $token;
    }

    /**
     * Reads a pasted code.
     *
     * @param string $code as pasted (surrounding blanks are ignored)
     * @return registration_code
     * @throws moodle_exception registrationcodeinvalid, saying what is wrong
     */
    public static function parse(string $code): self {
        $code = trim($code);
        if (strpos($code, self::PREFIX) !== 0) {
            throw new moodle_exception('registrationcodeinvalid', 'local_coursefed', '',
                get_string('registrationcodenoprefix', 'local_coursefed', self::PREFIX));
        }
        $encoded = substr($code, strlen(self::PREFIX));
        $json = preg_match('/^[A-Za-z0-9_-]+={0,2}$/', $encoded) ? base64_decode(strtr($encoded, '-_', '+/'), true) : false;
        $value = $json === false ? null : json_decode($json, true);
        if (!is_array($value)) {
            throw new moodle_exception('registrationcodeinvalid', 'local_coursefed', '',
                get_string('registrationcodecut', 'local_coursefed'));
        }
        if (($value['v'] ?? null) !== 1) {
            throw new moodle_exception('registrationcodeinvalid', 'local_coursefed', '',
                get_string('registrationcodeversion', 'local_coursefed'));
        }
        $nodeurl = $value['node'] ?? null;
        $token = $value['token'] ?? null;
        $scheme = is_string($nodeurl) ? parse_url($nodeurl, PHP_URL_SCHEME) : null;
        if (!in_array($scheme, ['http', 'https'], true) || !is_string($token) || !preg_match('/^[A-Za-z0-9_-]{16,}$/', $token)) {
            throw new moodle_exception('registrationcodeinvalid', 'local_coursefed', '',
                get_string('registrationcodecut', 'local_coursefed'));
        }
        return new self(rtrim($nodeurl, '/'), $token);
    }
}
