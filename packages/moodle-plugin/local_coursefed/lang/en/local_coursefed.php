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

/**
 * English strings.
 *
 * @package    local_coursefed
 * @category   string
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['archiveblocked'] = 'Moodle\'s HTTP security settings block the coursefed node at {$a->host} ({$a->reason}): a site administrator allows its host and port (Site administration > General > Security > HTTP security: cURL blocked hosts list, cURL allowed ports list).';
$string['archiveincomplete'] = 'The backup could not be downloaded from the coursefed node: {$a->received} of {$a->size} bytes came in {$a->attempts} attempts ({$a->reason}); nothing was restored. The node tries again later.';
$string['archivemismatch'] = 'The backup downloaded from the coursefed node is not the one announced: {$a->size} bytes with SHA-256 {$a->actual}, not {$a->expected}; it was deleted and nothing was restored.';
$string['archiverefused'] = 'The coursefed node at {$a->host} refused the backup\'s download (HTTP {$a->status}: {$a->reason}); nothing was restored.';
$string['archivetoolarge'] = 'The coursefed node sent more than the {$a} bytes it announced for the backup; the download was stopped and deleted, and nothing was restored.';
$string['archiveunreachable'] = 'The coursefed node at {$a->host} could not be reached to download the backup ({$a->reason}): check that the node\'s public address is reachable from this Moodle site.';
$string['archiveunwritable'] = 'The backup could not be written to {$a}: check the disk space and permissions of Moodle\'s data directory.';
$string['backupfailed'] = 'Backup failed: {$a}';
$string['backupnotwritten'] = 'Moodle did not write the backup file; check the disk space and permissions of the data directory.';
$string['coursefed:backup'] = 'Back up a course without user data for coursefed';
$string['coursefed:probe'] = 'Read the site version and installed plugins for coursefed';
$string['coursefed:restore'] = 'Restore a coursefed backup without user data';
$string['nodebadresponse'] = 'The coursefed node answered something this plugin cannot read ({$a}); check the node address in the registration code, or ask the node\'s admin.';
$string['nodeerror'] = 'The coursefed node refused: {$a}';
$string['nodenotconfigured'] = 'This site is not connected to a coursefed node yet: an administrator pastes the node\'s registration code under Site administration > Plugins > Local plugins > coursefed.';
$string['nodeunreachable'] = 'The coursefed node could not be reached ({$a}); try again later, or ask the site administrator to check the node\'s address and Moodle\'s blocked hosts (Site administration > General > Security > HTTP security).';
$string['notabackup'] = '{$a} is not a Moodle backup: it cannot be unpacked or has no moodle_backup.xml.';
$string['pluginname'] = 'coursefed';
$string['precheckfailed'] = 'the restore precheck found errors: {$a}';
$string['privacy:metadata'] = 'The coursefed plugin stores no personal data: it restores and makes course backups without user data, and keeps a backup file for a day only.';
$string['restorefailed'] = 'Restore failed: {$a}';
$string['servicemissing'] = 'The \'coursefed\' web service is not installed; run admin/cli/upgrade.php.';
$string['settinglocked'] = 'Replacing a course\'s contents needs the restore setting "{$a}" on, so that its people stay enrolled, but it is locked off: unlock it (Site administration > Courses > Backups > General restore defaults) and give the node\'s user moodle/restore:configure.';
$string['taskdeleteoldbackups'] = 'Delete coursefed backups older than a day';
$string['userdatalocked'] = 'The site setting "{$a}" is locked on, and coursefed never moves user data; unlock it under Site administration > Courses > Backups.';
