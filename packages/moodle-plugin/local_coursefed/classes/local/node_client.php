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

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->libdir . '/filelib.php');

/**
 * The one client of the coursefed node's HTTP API (/api/v1, JSON): every call the plugin makes to its node
 * goes through request().
 *
 * How to use it:
 *
 *     $client = new \local_coursefed\local\node_client();      // the registered node (settings page)
 *     if (!node_client::is_configured()) { ... say "ask your admin to register the site" ... }
 *     try {
 *         $state = $client->request('GET', '/site/courses/' . $course->id, null, $USER);
 *         $job = $client->request('POST', '/site/courses/' . $course->id . '/share', ['title' => ...], $USER);
 *     } catch (node_error $e) {
 *         echo $OUTPUT->notification($e->getMessage(), 'error');   // the node's own words
 *     }
 *
 * $path is relative to /api/v1 and starts with '/'; put query strings in it (encode values with rawurlencode).
 * Pass the Moodle user the request is made for as $actingas (after checking their Moodle capabilities: the
 * node trusts the site for that): the node then acts as that user's teacher account, made at first use if its
 * policy allows. Without it the node sees the site itself (the institution), read-only except /site/*.
 * The answer is the node's JSON decoded into arrays ([] for an empty answer); a refusal or a failure to
 * reach the node is a node_error, whose message is fit to show.
 *
 * Uses Moodle's \curl, so Moodle's proxy settings and its blocked hosts and ports
 * (curlsecurityblockedhosts, curlsecurityallowedport) apply to the node too.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class node_client {
    /** The header naming the Moodle user a request is made for. */
    public const ACTING_USER_HEADER = 'Coursefed-Moodle-User';
    /** The node refuses longer values than these (and a header over 2 KiB): cut them here rather than fail. */
    private const MAX_FULLNAME = 200;
    /** See MAX_FULLNAME. */
    private const MAX_EMAIL = 254;
    /**
     * The largest answer read: the node's biggest (a page of the catalog, the changes between two revisions of a
     * course with thousands of files) is a few hundred KiB, and an answer is held and decoded in the page's memory.
     */
    public const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

    /** @var string the node's public URL, without a trailing slash */
    private string $nodeurl;
    /** @var string the site token the node issued in the registration code */
    private string $token;
    /** @var int seconds to wait for the node's whole answer */
    private int $timeout;

    /**
     * A client of the registered node, or of another one (the settings page checks a code before saving it).
     *
     * @param string|null $nodeurl the node's URL; default: the registered node
     * @param string|null $token the site token; default: the registered one
     * @param int $timeout seconds to wait for an answer
     */
    public function __construct(?string $nodeurl = null, ?string $token = null, int $timeout = 30) {
        $this->nodeurl = rtrim($nodeurl ?? (string) get_config('local_coursefed', 'nodeurl'), '/');
        $this->token = $token ?? (string) get_config('local_coursefed', 'sitetoken');
        $this->timeout = $timeout;
    }

    /**
     * Whether the site has been registered with a node (a registration code was saved).
     *
     * @return bool
     */
    public static function is_configured(): bool {
        return (string) get_config('local_coursefed', 'nodeurl') !== ''
            && (string) get_config('local_coursefed', 'sitetoken') !== '';
    }

    /**
     * Calls the node's API.
     *
     * @param string $method GET, POST, PUT, PATCH or DELETE
     * @param string $path under /api/v1, starting with '/', query string included
     * @param array|null $body sent as JSON (not with GET)
     * @param \stdClass|null $actingas the Moodle user (a user record) the request is made for
     * @return array the node's JSON answer, decoded; [] when it sent none
     * @throws node_error when the node refuses, cannot be reached or answers something else than its JSON
     */
    public function request(string $method, string $path, ?array $body = null, ?\stdClass $actingas = null): array {
        if ($this->nodeurl === '' || $this->token === '') {
            throw new node_error(node_error::NOT_CONFIGURED, '');
        }
        $method = strtoupper($method);
        $headers = ['Authorization: Bearer ' . $this->token, 'Accept: application/json'];
        if ($actingas !== null) {
            $headers[] = self::ACTING_USER_HEADER . ': ' . self::acting_user_header($actingas);
        }
        $curl = new \curl();
        $received = '';
        $toolarge = false;
        $options = [
            'CURLOPT_TIMEOUT' => $this->timeout,
            'CURLOPT_CONNECTTIMEOUT' => min(10, $this->timeout),
            // Never follow a redirect with the token: a node answers its API where it is asked.
            'CURLOPT_FOLLOWLOCATION' => 0,
            // Moodle's \curl does not check certificates unless told: the token must go to the node, not to whoever
            // stands between (a node with a private authority's certificate needs it in Moodle's or PHP's CA file).
            'CURLOPT_SSL_VERIFYPEER' => 1,
            'CURLOPT_SSL_VERIFYHOST' => 2,
            // Cut at MAX_ANSWER_BYTES as it arrives: a node that never stops must not fill the page's memory.
            'CURLOPT_WRITEFUNCTION' => function($handle, string $data) use (&$received, &$toolarge): int {
                if (strlen($received) + strlen($data) > self::MAX_ANSWER_BYTES) {
                    $toolarge = true;
                    return 0;
                }
                $received .= $data;
                return strlen($data);
            },
        ];
        $url = $this->nodeurl . '/api/v1' . $path;
        if ($method === 'GET') {
            $curl->setHeader($headers);
            $answer = $curl->get($url, [], $options);
        } else {
            $headers[] = 'Content-Type: application/json';
            $curl->setHeader($headers);
            $options['CURLOPT_CUSTOMREQUEST'] = $method;
            $payload = $body === null ? '' : json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
            $answer = $curl->post($url, $payload, $options);
        }
        $status = (int) ($curl->get_info()['http_code'] ?? 0);
        if ($toolarge) {
            throw new node_error(node_error::BAD_RESPONSE, get_string('nodeanswertoolarge', 'local_coursefed',
                display_size(self::MAX_ANSWER_BYTES)), $status);
        }
        if ($curl->get_errno() || $status === 0) {
            // A blocked host leaves no status and returns Moodle's own message; a cURL failure sets its error.
            $reason = $curl->error ?: (string) $answer;
            throw new node_error(node_error::UNREACHABLE, $this->nodeurl . ': ' . $reason);
        }
        // \curl gives the reason a blocked host is refused as the answer; what the node sent went to $received.
        $decoded = $received === '' ? [] : json_decode($received, true);
        if ($status >= 400) {
            $problem = is_array($decoded) ? ($decoded['error'] ?? null) : null;
            if (is_array($problem) && isset($problem['code'], $problem['message'])) {
                throw new node_error((string) $problem['code'], (string) $problem['message'], $status);
            }
            throw new node_error(node_error::BAD_RESPONSE, "HTTP {$status} from {$url}", $status);
        }
        if (!is_array($decoded)) {
            throw new node_error(node_error::BAD_RESPONSE, "HTTP {$status} from {$url}", $status);
        }
        return $decoded;
    }

    /**
     * The value of the acting-user header for a Moodle user: base64url of the JSON {id, username, fullname, email}.
     *
     * @param \stdClass $user a user record (id, username, names, email)
     * @return string
     */
    public static function acting_user_header(\stdClass $user): string {
        $json = json_encode([
            'id' => (int) $user->id,
            'username' => (string) $user->username,
            'fullname' => \core_text::substr(fullname($user), 0, self::MAX_FULLNAME),
            'email' => \core_text::substr((string) ($user->email ?? ''), 0, self::MAX_EMAIL),
        ], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        return rtrim(strtr(base64_encode($json), '+/', '-_'), '=');
    }
}
