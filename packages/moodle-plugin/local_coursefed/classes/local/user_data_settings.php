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

use base_plan;
use base_setting;
use moodle_exception;

/**
 * Switches off every backup or restore setting that carries user data.
 *
 * Moodle's defaults come from the site's backup and restore settings, where "include users"
 * is on by default; coursefed never moves personal data, so it overrides them. A setting the
 * admin locked on refuses the change: the operation stops rather than proceed with users.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class user_data_settings {
    /** Root settings of a backup plan that include user data; "users" first, the others depend on it. */
    public const BACKUP = ['users', 'anonymize', 'role_assignments', 'comments', 'badges', 'userscompletion', 'logs',
        'grade_histories', 'xapistate'];

    /** Root settings of a restore plan that bring user data into the site. */
    public const RESTORE = ['users', 'role_assignments', 'comments', 'badges', 'userscompletion', 'logs',
        'grade_histories', 'xapistate'];

    /**
     * Sets each named setting the plan has to off.
     *
     * @param base_plan $plan a backup or restore plan, before it runs
     * @param string[] $names setting names
     * @return void
     * @throws moodle_exception when a setting that is on cannot be changed
     */
    public static function switch_off(base_plan $plan, array $names): void {
        foreach ($names as $name) {
            if (!$plan->setting_exists($name)) {
                continue;
            }
            $setting = $plan->get_setting($name);
            if (!$setting->get_value()) {
                continue;
            }
            $status = $setting->get_status();
            if ($status == base_setting::LOCKED_BY_CONFIG || $status == base_setting::LOCKED_BY_PERMISSION) {
                throw new moodle_exception('userdatalocked', 'local_coursefed', '', $name);
            }
            $setting->set_value(false);
        }
    }

    /**
     * The value of each setting the plan has, for the caller's record.
     *
     * @param base_plan $plan
     * @param string[] $names
     * @return string "name=value" pairs separated by spaces
     */
    public static function describe(base_plan $plan, array $names): string {
        $pairs = [];
        foreach ($names as $name) {
            if ($plan->setting_exists($name)) {
                $pairs[] = $name . '=' . (int) $plan->get_setting($name)->get_value();
            }
        }
        return implode(' ', $pairs);
    }
}
