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
 * What the coursefed node refused or could not answer, worded for the person in front of Moodle.
 *
 * Catch it around any node_client call and show getMessage(): it is the node's own problem message
 * (which says what is wrong and what to do) or, when the node was not reached, why not, as HTML with the node's
 * words escaped (never pass it to s() again; $plaintext is the same message unescaped). $problemcode is
 * the node's machine-readable code ('forbidden', 'not_found', ...) or one of the constants below for
 * failures on this side; $status is the HTTP status (0 when no answer came).
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class node_error extends moodle_exception {
    /** No node is registered on this site yet: the settings page has no registration code. */
    public const NOT_CONFIGURED = 'not_configured';
    /** The node could not be reached (refused connection, timeout, blocked host, TLS...). */
    public const UNREACHABLE = 'unreachable';
    /** Something answered, but not with the node's JSON. */
    public const BAD_RESPONSE = 'bad_response';

    /** @var string the node's problem code, or one of the constants above */
    public string $problemcode;
    /** @var int the HTTP status of the node's answer, 0 when there was none */
    public int $status;
    /** @var string the node's message as it sent it, or what went wrong on this side */
    public string $nodemessage;
    /** @var string the whole message as plain text, for what escapes it itself (a form's error, a log) */
    public string $plaintext;

    /**
     * Constructor.
     *
     * @param string $problemcode the node's problem code or one of the constants
     * @param string $nodemessage the node's message, or the reason it was not reached
     * @param int $status the HTTP status, 0 when no answer came
     */
    public function __construct(string $problemcode, string $nodemessage, int $status = 0) {
        $this->problemcode = $problemcode;
        $this->status = $status;
        $this->nodemessage = $nodemessage;
        $stringids = [
            self::NOT_CONFIGURED => 'nodenotconfigured',
            self::UNREACHABLE => 'nodeunreachable',
            self::BAD_RESPONSE => 'nodebadresponse',
        ];
        $stringid = $stringids[$problemcode] ?? 'nodeerror';
        $this->plaintext = get_string($stringid, 'local_coursefed', $nodemessage);
        // Moodle shows an exception's message as HTML (notifications, redirects, its error page), and the node's words
        // may carry what another institution wrote: escaped once, here, whatever page shows them.
        parent::__construct($stringid, 'local_coursefed', '', s($nodemessage), "HTTP {$status} {$problemcode}");
    }
}
