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
$string['cachedef_origins'] = 'The coursefed node\'s answers about where courses came from, for the notice on their pages';
$string['connection'] = 'Connection to the node';
$string['connectioncli'] = 'The node runs this site\'s Moodle scripts on its own host (cli driver): it needs no web-service access.';
$string['connectionnone'] = 'Not connected yet: paste the registration code the node\'s admin gives you (on the node\'s console, Moodle sites, "Registration code"; or `coursefed moodle register TARGET`).';
$string['connectionto'] = 'Connected to {$a->institution} (@{$a->handle}), on the coursefed node {$a->node}, as its Moodle site "{$a->target}". Teachers\' requests to the node name them: the node acts as one of its teachers for each.';
$string['coursefed:backup'] = 'Back up a course without user data for coursefed';
$string['coursefed:import'] = 'Browse the coursefed network and import its courses';
$string['coursefed:probe'] = 'Read the site version and installed plugins for coursefed';
$string['coursefed:restore'] = 'Restore a coursefed backup without user data';
$string['coursefed:share'] = 'Share a course on the coursefed network';
$string['networkapplymerge'] = 'Apply (add to the course)';
$string['networkapplyreplace'] = 'Apply (replace the contents)';
$string['networkasnewcourse'] = 'As a new course';
$string['networkbackupcontents'] = 'What the backup holds';
$string['networkbrowse'] = 'Browse the network';
$string['networkbrowseintro'] = 'Courses shared by the institutions and teachers this site\'s coursefed node follows. Import one into a category or a course where you may restore.';
$string['networkchangedactivities'] = '{$a->module}: {$a->before} → {$a->after}';
$string['networkchangednothingknown'] = 'A new backup of the course, with the same sections and activities.';
$string['networkchangedsections'] = 'Sections: {$a->before} → {$a->after}';
$string['networkchangedsize'] = 'Size: {$a->before} → {$a->after}';
$string['networkchangedtitle'] = 'Course name: {$a->before} → {$a->after}';
$string['networkchanges_activitiesadded'] = 'Activities added';
$string['networkchanges_activitiesmoved'] = 'Activities moved to another section';
$string['networkchanges_activitiesremoved'] = 'Activities removed';
$string['networkchanges_activitiesrenamed'] = 'Activities renamed';
$string['networkchanges_backupsettings'] = 'Backup settings changed';
$string['networkchanges_coursesettings'] = 'Course settings changed';
$string['networkchanges_filesadded'] = 'Files added';
$string['networkchanges_fileschanged'] = 'Files changed';
$string['networkchanges_filesremoved'] = 'Files removed';
$string['networkchanges_questions'] = 'Questions by type';
$string['networkchanges_sectionsadded'] = 'Sections added';
$string['networkchanges_sectionsmoved'] = 'Sections moved';
$string['networkchanges_sectionsremoved'] = 'Sections removed';
$string['networkchanges_sectionsrenamed'] = 'Sections renamed';
$string['networkchangesdetail'] = 'See everything that changed';
$string['networkchangesfromto'] = '{$a->before} → {$a->after}';
$string['networkchangesmatchedbynames'] = 'The two backups come from different Moodle courses (the course was restored elsewhere and shared from there): sections and activities are paired by name and type, so a renamed one shows as removed and added.';
$string['networkchangesnone'] = 'Nothing changed between these revisions.';
$string['networkchangessection'] = 'section {$a}';
$string['networkchangestitle'] = 'What the update changes (revision {$a->from} → {$a->to})';
$string['networkchangesunavailable'] = 'The network node could not tell what changed: {$a}';
$string['networkcompatibility'] = 'Compatibility with this site';
$string['networkcompatibilityok'] = 'This site can restore the course faithfully.';
$string['networkcompatibilityproblems'] = 'This site cannot restore the course faithfully:';
$string['networkcompatibilityunknown'] = 'The node has not probed this site yet, so it cannot tell whether the course restores here; ask your admin to probe it.';
$string['networkcoursewithdrawn'] = 'Its publisher withdrew this course from the network: it can no longer be imported.';
$string['networkdismiss'] = 'Dismiss';
$string['networkfromnetwork'] = 'From the network:';
$string['networkfullname'] = 'Full name of the new course';
$string['networkgotocourse'] = 'Go to the course';
$string['networkimport'] = 'Import';
$string['networkimportdone'] = 'The course was imported.';
$string['networkimportprogress'] = 'Import from the network';
$string['networkimportstate_failed'] = 'The import failed.';
$string['networkimportstate_queued'] = 'The import is waiting to start… This page refreshes itself.';
$string['networkimportstate_refused'] = 'The import was refused.';
$string['networkimportstate_running'] = 'The course is being fetched and restored… This page refreshes itself.';
$string['networkimportstate_succeeded'] = 'Imported.';
$string['networkimporttitle'] = 'Import "{$a}"';
$string['networkintocategory'] = 'Into the category';
$string['networkintocourse'] = 'Into the course';
$string['networkintoexisting'] = 'Into an existing course';
$string['networklanguageslist'] = 'Languages: {$a}';
$string['networklicence'] = 'Licence';
$string['networklicenceunknown'] = 'None given';
$string['networklineage'] = 'Lineage';
$string['networklineageancestor'] = '{$a->title}, revision {$a->revision}{$a->by}: licence {$a->licence}';
$string['networklineageby'] = ', by {$a}';
$string['networklineagecredited'] = '(as credited by the signed manifest of a course derived from it)';
$string['networklineageintro'] = 'Every course this one adapts, its source first, with its authors and licence:';
$string['networklineageunknown'] = '{$a}: not known to the network node (it holds neither this course nor a description of it).';
$string['networkmadeonmoodle'] = 'made on Moodle {$a}';
$string['networkmodemerge'] = 'Add its contents to the course (merge)';
$string['networkmodereplace'] = 'Replace the course\'s contents (its people stay)';
$string['networknocategorypermission'] = 'Moodle does not let you create and restore a course in category {$a}; pick a category from the list.';
$string['networknocoursepermission'] = 'Moodle does not let you restore into course {$a}; pick a course from the list.';
$string['networknodestinations'] = 'Moodle lets you restore into no category and no course of this site: ask your admin for the right to create courses in a category.';
$string['networkoriginwithdrawn'] = 'Its publisher has since withdrawn it from the network: no update will come.';
$string['networkpublished'] = 'Published';
$string['networkreplaceconfirm'] = 'Replace the contents of the course "{$a->course}" with "{$a->title}"? Its activities and resources are deleted first; its participants stay enrolled.';
$string['networkreplacecontents'] = 'Replace the contents';
$string['networkrequiredpluginslist'] = 'Plugins needed: {$a}';
$string['networkrevision'] = 'Revision';
$string['networkrevisionn'] = 'revision {$a}';
$string['networkrevisions'] = 'Revisions';
$string['networksearchinstitution'] = 'Institution (server)';
$string['networksearchnothing'] = 'No course matches.';
$string['networksearchrestorable'] = 'Only courses this site can restore';
$string['networksearchresults'] = '{$a} course(s)';
$string['networksearchtag'] = 'Tag';
$string['networksearchteacher'] = 'Teacher';
$string['networksearchwords'] = 'Words';
$string['networksectionsn'] = 'Sections: {$a}';
$string['networkshortname'] = 'Short name of the new course (optional)';
$string['networkshortnamehint'] = 'Left empty, Moodle makes one from the full name.';
$string['networkshortnametoolong'] = 'The short name is {$a->length} characters long; a Moodle course\'s short name holds at most {$a->max}: shorten it.';
$string['networktagslist'] = 'tags: {$a}';
$string['networkupdateavailable'] = 'Update available (revision {$a->from} → {$a->to}):';
$string['networkupdatedismissed'] = 'The update was dismissed; a newer revision will be offered again.';
$string['networkupdategone'] = 'This update is no longer the one on offer: look at the course\'s notice again.';
$string['networkupdatetitle'] = 'Update "{$a}"';
$string['nodeaccessconfirm'] = 'The node will restore and back up courses on this site through web services. This turns on web services and the REST protocol, makes (or reuses) the user "{$a->username}" with the site-level role "{$a->role}" (no access to user data), and sends a token of the \'coursefed\' service for that user to the node, which checks it by probing this site. Go on?';
$string['nodeaccessgive'] = 'Give the node access';
$string['nodeaccessgiveagain'] = 'Give the node access again';
$string['nodeaccessgiven'] = 'The node reached this site with its new token (Moodle {$a}): it may now restore and back up courses here.';
$string['nodeaccessno'] = 'The node cannot reach this site through web services yet.';
$string['nodeaccessyes'] = 'The node has a web-service token for this site.';
$string['nodeanswertoolarge'] = 'an answer larger than {$a}';
$string['nodebadresponse'] = 'The coursefed node answered something this plugin cannot read ({$a}); check the node address in the registration code, or ask the node\'s admin.';
$string['nodeerror'] = 'The coursefed node refused: {$a}';
$string['nodenotconfigured'] = 'This site is not connected to a coursefed node yet: an administrator pastes the node\'s registration code under Site administration > Plugins > Local plugins > coursefed.';
$string['nodeunreachable'] = 'The coursefed node could not be reached ({$a}); try again later, or ask the site administrator to check the node\'s address, its certificate and Moodle\'s blocked hosts (Site administration > General > Security > HTTP security).';
$string['notabackup'] = '{$a} is not a Moodle backup: it cannot be unpacked or has no moodle_backup.xml.';
$string['personaldata_activityuserdata'] = 'records of students\' work in activities';
$string['personaldata_badgesawarded'] = 'badges awarded';
$string['personaldata_comments'] = 'comments';
$string['personaldata_competencies'] = 'competency records of users';
$string['personaldata_completion'] = 'completion records';
$string['personaldata_enrolments'] = 'enrolments';
$string['personaldata_gradehistory'] = 'grade history entries';
$string['personaldata_grades'] = 'grades';
$string['personaldata_groupmemberships'] = 'group memberships';
$string['personaldata_logs'] = 'log entries';
$string['personaldata_messages'] = 'messages';
$string['personaldata_ratings'] = 'ratings';
$string['personaldata_roleassignments'] = 'role assignments';
$string['personaldata_useraccounts'] = 'user accounts';
$string['personaldata_userfiles'] = 'files in users\' own areas';
$string['pluginname'] = 'coursefed';
$string['precheckfailed'] = 'the restore precheck found errors: {$a}';
$string['privacy:metadata:coursefed_node'] = 'The coursefed node this site is registered with: requests a user makes to it (sharing or withdrawing a course, importing or updating one) name that user, and the node keeps them as one of its teachers, whose name goes with what they share.';
$string['privacy:metadata:coursefed_node:email'] = 'The user\'s email address, for the node\'s admins to recognise the teacher.';
$string['privacy:metadata:coursefed_node:fullname'] = 'The user\'s full name, shown as the author of what they share.';
$string['privacy:metadata:coursefed_node:userid'] = 'The user\'s id on this site, which the node maps to its teacher.';
$string['privacy:metadata:coursefed_node:username'] = 'The user\'s username, from which the node names its teacher.';
$string['registrationcode'] = 'Registration code';
$string['registrationcode_desc'] = 'The code the coursefed node\'s admin issued for this site (it starts with coursefed-site:). On saving, the node is asked who it is; leave empty to disconnect the site.';
$string['registrationcodecut'] = 'it is cut or altered';
$string['registrationcodeinvalid'] = 'This is not a coursefed registration code: {$a}. Copy the whole code the node\'s console or `coursefed moodle register` showed.';
$string['registrationcodenoprefix'] = 'it does not start with "{$a}"';
$string['registrationcodeversion'] = 'it was made by a newer coursefed node than this plugin reads; update the plugin';
$string['restorefailed'] = 'Restore failed: {$a}';
$string['servicemissing'] = 'The \'coursefed\' web service is not installed; run admin/cli/upgrade.php.';
$string['settinglocked'] = 'Replacing a course\'s contents needs the restore setting "{$a}" on, so that its people stay enrolled, but it is locked off: unlock it (Site administration > Courses > Backups > General restore defaults) and give the node\'s user moodle/restore:configure.';
$string['sharebutton'] = 'Share';
$string['sharechanges'] = 'Share the changes';
$string['sharechangesheading'] = 'Share the changes as a new revision';
$string['sharedby'] = 'Shared by';
$string['sharederivedfrom'] = 'This course came from the network: it is shared as a derivative of {$a->object} (revision {$a->revision}).';
$string['sharefailed'] = 'The last share did not go through.';
$string['sharefailedpersonaldata'] = 'The last share was refused: the backup of this course holds personal data, which never leaves the site. Remove it from the course, then share again.';
$string['sharefinding'] = '{$a->count} {$a->what} ({$a->where})';
$string['shareheading'] = 'Share this course';
$string['sharejob_backingup'] = 'Moodle is making a backup of the course without any user data…';
$string['sharejob_publishing'] = 'The course is being published on the network…';
$string['sharejob_queued'] = 'The share is waiting to start…';
$string['sharejob_scanning'] = 'The node is checking the backup for personal data…';
$string['sharelicense'] = 'Licence';
$string['sharelicensenone'] = 'None given';
$string['sharenetwork'] = 'Share on the network';
$string['sharerefreshes'] = 'This page refreshes itself until the share is done.';
$string['sharestate_notshared'] = 'This course is not shared on the network.';
$string['sharestate_shared'] = 'Shared on the network as revision {$a->revision}, on {$a->date}.';
$string['sharestate_withdrawn'] = 'Withdrawn from the network on {$a}. Sharing it again publishes it as a new course.';
$string['sharesummary'] = 'Summary';
$string['sharesummary_help'] = 'What colleagues elsewhere read about the course in their catalog: plain text, at most 20,000 characters.';
$string['sharetaginvalid'] = 'The tag "{$a->tag}" cannot be used: a tag is made of words of letters, digits, _ and -, separated by single spaces, at most {$a->max} characters.';
$string['sharetags'] = 'Tags';
$string['sharetags_help'] = 'Separated by commas, e.g. "organic chemistry, lab work". A tag is made of words of letters, digits, _ and -.';
$string['sharetagstoomany'] = 'At most {$a} tags.';
$string['sharetitle'] = 'Title';
$string['shareviewonnode'] = 'See the course on the network';
$string['sharevisibility'] = 'Who may see it';
$string['sharevisibility_followers'] = 'Followers only';
$string['sharevisibility_help'] = 'Public: anyone on the network. Followers only: the institutions and people your node has accepted as followers.';
$string['sharevisibility_private'] = 'Private (this node only)';
$string['sharevisibility_public'] = 'Public';
$string['sharewithdraw'] = 'Withdraw from the network';
$string['sharewithdrawconfirm'] = 'Withdraw "{$a}" from the network? Followers are told it is gone; copies already restored elsewhere stay.';
$string['sharewithdrawn'] = 'The course was withdrawn from the network.';
$string['taskdeleteoldbackups'] = 'Delete coursefed backups older than a day';
$string['userdatalocked'] = 'The site setting "{$a}" is locked on, and coursefed never moves user data; unlock it under Site administration > Courses > Backups.';
