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

global $CFG;
require_once($CFG->libdir . '/filelib.php');

/**
 * Pulls a backup from a coursefed node's archive link into a temporary file.
 *
 * The node used to upload backups to webservice/upload.php, where PHP's upload_max_filesize and post_max_size
 * (2 MB and 8 MB on a stock PHP) refused real courses. Here the site downloads the archive itself: streamed to
 * disk chunk by chunk, never held in memory, resumed with a Range request after a cut, and kept only if its size
 * and sha256 are the ones the node announced. Moodle's \curl makes the requests, so the site's proxy and its HTTP
 * security settings (blocked hosts, allowed ports) apply to the node like to any other address.
 *
 * The file lives in the backup temp directory (shared storage, as a restore's own files), under a name of its
 * own; delete() removes it, and a failed download removes it itself. What a killed PHP process left there is
 * deleted by Moodle's scheduled task \core\task\file_temp_cleanup_task (after $CFG->tempdatafoldercleanup hours,
 * a week by default).
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class archive_download {
    /** Requests in all: the first one and the resumes after a cut. */
    public const MAX_ATTEMPTS = 4;
    /** Folder of the backup temp directory the downloads go to. */
    public const DIRECTORY = 'coursefed-downloads';
    /** A transfer slower than this many bytes a second ... */
    private const LOW_SPEED_BYTES = 1024;
    /** ... for this many seconds is cut, then resumed. */
    private const LOW_SPEED_SECONDS = 60;
    /** The most of an error answer kept for the message. */
    private const ERROR_BODY_BYTES = 2000;

    /** @var string the link */
    private string $url;
    /** @var string the archive's sha256, lowercase hex */
    private string $sha256;
    /** @var int the archive's size in bytes */
    private int $size;
    /** @var string|null the file, once created */
    private ?string $path = null;

    /**
     * Constructor.
     *
     * @param string $url the archive link the node made (http or https)
     * @param string $sha256 the archive's sha256 in hex
     * @param int $size the archive's size in bytes
     * @throws \invalid_parameter_exception for a link, digest or size that cannot be right
     */
    public function __construct(string $url, string $sha256, int $size) {
        $scheme = strtolower((string) parse_url($url, PHP_URL_SCHEME));
        if (($scheme !== 'http' && $scheme !== 'https') || parse_url($url, PHP_URL_HOST) === null) {
            throw new \invalid_parameter_exception('url must be the http(s) address of an archive link of the node');
        }
        if (!preg_match('/^[0-9a-f]{64}$/', $sha256)) {
            throw new \invalid_parameter_exception('sha256 must be 64 lowercase hexadecimal digits');
        }
        if ($size < 1) {
            throw new \invalid_parameter_exception('size must be the archive\'s size in bytes, at least 1');
        }
        $this->url = $url;
        $this->sha256 = $sha256;
        $this->size = $size;
    }

    /**
     * Downloads the archive.
     *
     * @return string the path of the complete, checked file
     * @throws moodle_exception archiveblocked, archiverefused, archiveunreachable, archivetoolarge,
     *     archiveincomplete or archivemismatch; no file is left behind
     */
    public function fetch(): string {
        \core_php_time_limit::raise();
        $directory = make_backup_temp_directory(self::DIRECTORY);
        // Named after the archive for whoever reads a message about it; unique, as two restores may pull it at once.
        $this->path = $directory . '/' . substr($this->sha256, 0, 16) . '-' . random_string(16) . '.mbz';
        $file = fopen($this->path, 'xb');
        if ($file === false) {
            $this->path = null;
            throw new moodle_exception('archiveunwritable', 'local_coursefed', '', $directory);
        }
        try {
            $hash = hash_init('sha256');
            $received = 0;
            $lasterror = '';
            for ($attempt = 1; $received < $this->size; $attempt++) {
                if ($attempt > self::MAX_ATTEMPTS) {
                    throw new moodle_exception('archiveincomplete', 'local_coursefed', '', (object) [
                        'received' => $received, 'size' => $this->size, 'attempts' => self::MAX_ATTEMPTS,
                        'reason' => $lasterror,
                    ]);
                }
                if ($attempt > 1) {
                    // A node that restarts needs a moment: 1, 2, then 4 seconds.
                    sleep(2 ** ($attempt - 2));
                }
                $lasterror = $this->request($file, $hash, $received);
            }
            fclose($file);
            $file = null;
            $actual = hash_final($hash);
            if ($actual !== $this->sha256) {
                throw new moodle_exception('archivemismatch', 'local_coursefed', '', (object) [
                    'size' => $this->size, 'actual' => $actual, 'expected' => $this->sha256,
                ]);
            }
            return $this->path;
        } catch (\Throwable $e) {
            if ($file !== null) {
                fclose($file);
            }
            $this->delete();
            throw $e;
        }
    }

    /**
     * Deletes the downloaded file, if any. Safe to call more than once.
     */
    public function delete(): void {
        if ($this->path !== null && file_exists($this->path)) {
            unlink($this->path);
        }
        $this->path = null;
    }

    /**
     * One request: from the start, or from $received on with a Range. Appends what comes to the file and the hash.
     *
     * @param resource $file
     * @param \HashContext $hash
     * @param int $received bytes already in the file; updated
     * @return string why the transfer stopped early ('' when it did not), for a resume
     * @throws moodle_exception when resuming cannot help
     */
    private function request($file, \HashContext &$hash, int &$received): string {
        $curl = new \curl();
        if ($received > 0) {
            $curl->setHeader('Range: bytes=' . $received . '-');
        }
        $status = 0;
        $errorbody = '';
        $toolarge = false;
        $badrange = false;
        $write = function($handle, string $data) use ($curl, $file, &$hash, &$received, &$status, &$errorbody,
                &$toolarge, &$badrange): int {
            $length = strlen($data);
            if ($status === 0) {
                $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
                if ($status === 200 && $received > 0) {
                    // The node sent the whole archive instead of the rest: start again from its first byte.
                    ftruncate($file, 0);
                    rewind($file);
                    $hash = hash_init('sha256');
                    $received = 0;
                } else if ($status === 206 && !self::starts_at($curl->getResponse(), $received)) {
                    $badrange = true;
                    return 0;
                }
            }
            if ($status !== 200 && $status !== 206) {
                $errorbody .= substr($data, 0, max(0, self::ERROR_BODY_BYTES - strlen($errorbody)));
                return $length;
            }
            // More than announced: stop at once rather than fill the disk.
            if ($received + $length > $this->size) {
                $toolarge = true;
                return 0;
            }
            if (fwrite($file, $data) !== $length) {
                return 0;
            }
            hash_update($hash, $data);
            $received += $length;
            return $length;
        };
        $result = $curl->get($this->url, [], [
            'CURLOPT_WRITEFUNCTION' => $write,
            'CURLOPT_CONNECTTIMEOUT' => 30,
            // Moodle's \curl does not check certificates unless told. The digest proves the archive, not who read
            // it on the way: a course of the node's is not for whoever stands between.
            'CURLOPT_SSL_VERIFYPEER' => 1,
            'CURLOPT_SSL_VERIFYHOST' => 2,
            // A multi-GB archive takes as long as it takes; a stalled one is cut and resumed.
            'CURLOPT_TIMEOUT' => 0,
            'CURLOPT_LOW_SPEED_LIMIT' => self::LOW_SPEED_BYTES,
            'CURLOPT_LOW_SPEED_TIME' => self::LOW_SPEED_SECONDS,
        ]);
        $host = (string) parse_url($this->url, PHP_URL_HOST);
        if ($toolarge) {
            throw new moodle_exception('archivetoolarge', 'local_coursefed', '', $this->size);
        }
        if ($badrange) {
            throw new moodle_exception('archiverefused', 'local_coursefed', '', (object) [
                'host' => $host, 'status' => 206, 'reason' => 'the range sent is not the one asked for',
            ]);
        }
        $info = $curl->get_info();
        if (empty($info) && $result !== true) {
            // \curl answers a blocked address before any request, with its reason as the result.
            throw new moodle_exception('archiveblocked', 'local_coursefed', '', (object) [
                'host' => $host, 'reason' => (string) $result,
            ]);
        }
        $status = $status ?: (int) ($info['http_code'] ?? 0);
        // A redirect is not followed (the link is the node's own address); a 4xx will not change by asking again.
        if ($status >= 300 && $status < 500) {
            // A range past the end: the archive is shorter than announced.
            $reason = $status === 416 ? "the archive ends before the {$this->size} bytes announced"
                : self::reason_of($errorbody);
            throw new moodle_exception('archiverefused', 'local_coursefed', '', (object) [
                'host' => $host, 'status' => $status, 'reason' => $reason,
            ]);
        }
        if ($status >= 500) {
            return "HTTP {$status} " . self::reason_of($errorbody);
        }
        if ($curl->get_errno() !== 0) {
            if ($status === 0) {
                // Not even an answer: the address is wrong or the node down; trying again is for cuts.
                if ($received === 0) {
                    throw new moodle_exception('archiveunreachable', 'local_coursefed', '', (object) [
                        'host' => $host, 'reason' => $curl->error,
                    ]);
                }
            }
            return $curl->error;
        }
        return '';
    }

    /**
     * Whether a 206's Content-Range starts where the download stands.
     *
     * @param array $headers \curl's response headers
     * @param int $received
     * @return bool
     */
    private static function starts_at(array $headers, int $received): bool {
        foreach ($headers as $name => $value) {
            if (strtolower((string) $name) === 'content-range') {
                return is_string($value) && preg_match('/^bytes ' . $received . '-\d+\/\d+$/', trim($value)) === 1;
            }
        }
        return false;
    }

    /**
     * The node's own words from an error answer ({error:{code,message}}), else its first characters.
     *
     * @param string $body
     * @return string
     */
    private static function reason_of(string $body): string {
        $decoded = json_decode($body, true);
        if (is_array($decoded) && isset($decoded['error']['message']) && is_string($decoded['error']['message'])) {
            return $decoded['error']['message'];
        }
        return trim(clean_param(substr($body, 0, 200), PARAM_NOTAGS));
    }
}
