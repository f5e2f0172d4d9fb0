<?php
// This file is part of coursefed (AGPL-3.0-or-later). It is our own code: it runs against
// the Moodle APIs of the site it is pointed at, and is loaded by probe.php, restore.php,
// backup.php and discard.php beside it.
//
// Each script prints exactly one JSON object, on one line starting {"ok":, normally the
// last: either {"ok": true, ...result} or {"ok": false, "error": {"code", "message"}}.
// What Moodle prints goes into its "log" when PHP's output buffer caught it, or around
// it (mtrace writes to STDOUT directly; shutdown handlers run after it), so the caller
// never has to interpret Moodle's exit code or free text.

// The driver hands PHP the script on stdin, and PHP defines STDIN, STDOUT and STDERR only
// for a script read from a file; Moodle's CLI code (mtrace, cli_writeln) writes to them.
foreach (['STDIN' => ['php://stdin', 'r'], 'STDOUT' => ['php://stdout', 'w'], 'STDERR' => ['php://stderr', 'w']]
        as $coursefedstream => [$coursefedpath, $coursefedmode]) {
    if (!defined($coursefedstream)) {
        define($coursefedstream, fopen($coursefedpath, $coursefedmode));
    }
}
unset($coursefedstream, $coursefedpath, $coursefedmode);

/** A failure the caller can act on; its code is one of the names the node's driver maps. */
class coursefed_failure extends Exception {
    /** @var string */
    public $failurecode;
    /** @var array extra structured details (e.g. precheck errors) */
    public $details;

    public function __construct(string $failurecode, string $message, array $details = []) {
        parent::__construct($message);
        $this->failurecode = $failurecode;
        $this->details = $details;
    }
}

/**
 * Loads the Moodle site named by --moodle, runs $action with the parsed options as the
 * site's main admin, and prints its result (an array) or its failure as one JSON line.
 *
 * @param string[] $longoptions getopt() long options the script takes besides moodle:
 * @param callable $action function(array $options): array
 */
function coursefed_run(array $longoptions, callable $action): void {
    $options = coursefed_start($longoptions);
    coursefed_answer(fn(): array => $action($options));
}

/**
 * Loads the Moodle site named by --moodle as its main admin and returns the parsed
 * options; when it cannot, prints why as the script's answer and ends the script. A
 * script that needs code of the companion plugin loads it after this (the plugin's files
 * require a loaded Moodle), then answers with coursefed_answer().
 *
 * @param string[] $longoptions getopt() long options the script takes besides moodle:
 * @return array the options
 */
function coursefed_start(array $longoptions): array {
    // Moodle code sometimes exit()s on its own (and fatal errors end the script): still
    // answer with one JSON object, so the caller sees why.
    register_shutdown_function(function (): void {
        $last = error_get_last();
        $fatal = $last !== null && in_array($last['type'], [E_ERROR, E_CORE_ERROR, E_COMPILE_ERROR, E_PARSE], true);
        coursefed_emit(['ok' => false, 'error' => [
            'code' => 'php_exit',
            'message' => $fatal
                ? "PHP stopped: {$last['message']} in {$last['file']}:{$last['line']}"
                : 'The script ended without a result (Moodle exited early; see the log).',
        ]]);
    });
    ob_start();
    try {
        $options = getopt('', array_merge(['moodle:'], $longoptions));
        $moodledir = $options['moodle'] ?? '';
        if ($moodledir === '' || !is_file($moodledir . '/config.php')) {
            throw new coursefed_failure('misconfigured', "No Moodle config.php in '{$moodledir}'.");
        }
        if (!is_readable($moodledir . '/config.php')) {
            $user = posix_getpwuid(posix_geteuid())['name'] ?? posix_geteuid();
            throw new coursefed_failure('misconfigured',
                "{$moodledir}/config.php is not readable by the user running PHP ({$user}): run PHP as the web server's user, or let it read config.php.");
        }
        define('CLI_SCRIPT', true);
        global $CFG, $DB, $USER;
        require($moodledir . '/config.php');
        \core\session\manager::set_user(get_admin());
        return $options;
    } catch (Throwable $e) {
        coursefed_emit(coursefed_failure_answer($e));
        exit(1);
    }
}

/**
 * Runs $action on the loaded site and prints its result (an array) or its failure as
 * the script's one JSON line.
 *
 * @param callable $action function(): array
 */
function coursefed_answer(callable $action): void {
    try {
        coursefed_emit(['ok' => true] + $action());
    } catch (Throwable $e) {
        coursefed_emit(coursefed_failure_answer($e));
    }
}

/** The answer for a failure: ours with its code and details, or anything else Moodle threw. */
function coursefed_failure_answer(Throwable $e): array {
    if ($e instanceof coursefed_failure) {
        return ['ok' => false, 'error' => [
            'code' => $e->failurecode,
            'message' => $e->getMessage(),
        ] + $e->details];
    }
    return ['ok' => false, 'error' => [
        'code' => $e instanceof dml_connection_exception ? 'db_unreachable' : 'exception',
        'message' => coursefed_describe($e),
        'trace' => $e->getFile() . ':' . $e->getLine(),
    ]];
}

/** Prints the script's answer with what PHP's output buffer caught as its log, once. */
function coursefed_emit(array $result): void {
    static $emitted = false;
    if ($emitted) {
        return;
    }
    $emitted = true;
    $log = '';
    while (ob_get_level() > 0) {
        $log = ob_get_clean() . $log;
    }
    $result['log'] = $log;
    echo "\n", json_encode($result, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
}

/** An exception as one line of text: its class, message and Moodle's debug info. */
function coursefed_describe(Throwable $e): string {
    $message = $e->getMessage();
    if ($e instanceof moodle_exception && !empty($e->debuginfo)) {
        $message .= " ({$e->debuginfo})";
    }
    // Moodle's messages are HTML meant for a page.
    return get_class($e) . ': ' . trim(preg_replace('/\s+/', ' ', strip_tags($message)));
}

/**
 * Sets a backup or restore setting, when the plan has it, to $value. A setting the site
 * locked to another value is an error: coursefed must not silently carry user data.
 */
function coursefed_set_setting(base_plan $plan, string $name, $value): void {
    if (!$plan->setting_exists($name)) {
        return;
    }
    $setting = $plan->get_setting($name);
    if ($setting->get_value() == $value) {
        return;
    }
    try {
        $setting->set_value($value);
    } catch (base_setting_exception $e) {
        throw new coursefed_failure('locked_setting',
            "The site locks the setting '{$name}' at " . var_export($setting->get_value(), true) .
            " ({$e->errorcode}); coursefed needs it at " . var_export($value, true) .
            '. Unlock it in Site administration > Courses > Backups.');
    }
}
