<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php probe.php --moodle=/path/to/moodle
// Prints the site's version, release, branch, wwwroot, identifier hash, every installed plugin with its
// version, and the site's maximum upload size setting.

require(__DIR__ . '/cli-bootstrap.php');

coursefed_run([], function (array $options): array {
    global $CFG;
    $plugins = [];
    foreach (core_plugin_manager::instance()->get_plugins() as $type => $ofType) {
        foreach ($ofType as $plugin) {
            // versiondb is what the site installed; a plugin only on disk is not usable yet.
            if ($plugin->versiondb !== null) {
                $plugins[$plugin->component] = (float) $plugin->versiondb;
            }
        }
    }
    ksort($plugins);
    // The release ("4.5.6 (Build: ...)") names the branch; $CFG->branch ("405") is its compact form.
    $branch = preg_match('/^(\d+)\.(\d+)/', $CFG->release, $m) ? "{$m[1]}.{$m[2]}" : (string) $CFG->branch;
    return [
        'version' => (string) $CFG->version,
        'release' => (string) $CFG->release,
        'branch' => $branch,
        'wwwroot' => (string) $CFG->wwwroot,
        // Which site this is whatever its address: the hash Moodle writes into its backups.
        'siteIdentifierHash' => md5(get_site_identifier()),
        'plugins' => (object) $plugins,
        // The site setting "Maximum uploaded file size"; 0 means the site sets no limit.
        'siteMaxBytes' => (int) ($CFG->maxbytes ?? 0),
    ];
});
