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
 * A restore that failed, and at which point: the plugin's web service reports it as the exception it is
 * (errorcode restorefailed), the node's cli driver, which runs course_restorer without the plugin installed,
 * words it from the kind, the precheck's results and the cause.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class restore_failure extends moodle_exception {
    /** The archive cannot be unpacked or holds no moodle_backup.xml; nothing was created. */
    public const NOT_A_BACKUP = 'notabackup';
    /** Moodle's precheck found errors; nothing was changed. */
    public const PRECHECK = 'precheck';
    /** The restore into an existing course failed after it had started changing that course. */
    public const PARTIAL = 'partial';
    /** Anything else; a course the restore created was deleted. */
    public const FAILED = 'failed';

    /** @var string one of the constants above */
    public string $kind;
    /** @var string[] the precheck's errors (kind PRECHECK) */
    public array $precheckerrors;
    /** @var string[] the precheck's warnings, when it ran */
    public array $warnings;
    /** @var \Throwable|null what Moodle threw (kinds PARTIAL and FAILED) */
    public ?\Throwable $cause;

    /**
     * Constructor.
     *
     * @param string $kind one of the constants
     * @param string $reason what went wrong, for the plugin's message "Restore failed: {reason}"
     * @param \Throwable|null $cause
     * @param string[] $precheckerrors
     * @param string[] $warnings
     */
    public function __construct(string $kind, string $reason, ?\Throwable $cause = null, array $precheckerrors = [],
            array $warnings = []) {
        parent::__construct('restorefailed', 'local_coursefed', '', $reason);
        $this->kind = $kind;
        $this->cause = $cause;
        $this->precheckerrors = $precheckerrors;
        $this->warnings = $warnings;
    }

    /**
     * One of the plugin's strings. Run by the cli driver on a site without the plugin, the string does not
     * exist, and nobody reads it there: the identifier and the parameter then stand for it.
     *
     * @param string $identifier
     * @param string $a
     * @return string
     */
    public static function plugin_string(string $identifier, string $a): string {
        if (get_string_manager()->string_exists($identifier, 'local_coursefed')) {
            return get_string($identifier, 'local_coursefed', $a);
        }
        return "{$identifier}: {$a}";
    }
}
