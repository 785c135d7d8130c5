// Mosquitto's disconnect log lines → EMQX's client.disconnected `reason` (the reference,
// section 4: `normal`, `tcp_closed`, `keepalive_timeout`, `kicked`, `takenover`, the POSIX name of
// a socket error, `frame_error`, `protocol_error`, MQTT reason-code names, `internal_error` for
// anything unrecognised).
//
// Mosquitto: src/loop.c do_disconnect (v2.0.22 and v2.1.2), one line per MOSQ_ERR_* reason;
// "disconnected: %s." with strerror(errno) for MOSQ_ERR_ERRNO, whose text is the C library's:
// glibc (Debian, Ubuntu, Fedora packages) or musl (the Alpine-based eclipse-mosquitto image,
// musl src/errno/__strerror.h); "bad socket read/write: %s" with mosquitto_strerror(rc) otherwise.

/** Mosquitto 2.0's whole sentences after "Client <id> " → reason. */
export const V20_DISCONNECTS: Readonly<Record<string, string>> = {
  // The client sent DISCONNECT (state mosq_cs_disconnecting).
  'disconnected.': 'normal',
  'closed its connection.': 'tcp_closed',
  'has exceeded timeout, disconnecting.': 'keepalive_timeout',
  'disconnected due to malformed packet.': 'frame_error',
  'disconnected due to protocol error.': 'protocol_error',
  'disconnected, not authorised.': 'not_authorized',
  'disconnected due to oversize packet.': 'packet_too_large',
  'disconnected due to oversize payload.': 'packet_too_large',
  'disconnected due to out of memory.': 'internal_error',
  // One line for three MQTT 5 reason codes (QoS not supported, retain not supported, bad AUTH
  // method) that the line cannot tell apart.
  'disconnected due to using not allowed feature (QoS too high, retain not supported, or bad AUTH method).': 'protocol_error',
  'been disconnected by administrative action.': 'kicked',
  // Logged for the old connection when a new one takes its client id (handle_connect.c); EMQX
  // says `takenover` or `discarded` after the new connection's clean start, logged only after.
  'already connected, closing old connection.': 'takenover',
};

/** Mosquitto 2.1's text after "disconnected: " (without the final ".") → reason. */
export const V21_DISCONNECTS: Readonly<Record<string, string>> = {
  'malformed packet': 'frame_error',
  'protocol error': 'protocol_error',
  'connection closed by client': 'tcp_closed',
  'not authorised': 'not_authorized',
  'exceeded timeout': 'keepalive_timeout',
  'oversize packet': 'packet_too_large',
  'oversize payload': 'packet_too_large',
  'out of memory': 'internal_error',
  'used disallowed feature (QoS too high, retain not supported, or bad AUTH method)': 'protocol_error',
  'administrative action': 'kicked',
  'receive maximum exceeded': 'receive_maximum_exceeded',
  'implementation specific error': 'implementation_specific_error',
  'client identifier not valid': 'client_identifier_not_valid',
  'bad username or password': 'bad_username_or_password',
  'server unavailable': 'server_unavailable',
  'server busy': 'server_busy',
  'client banned': 'banned',
  'bad authentication method': 'bad_authentication_method',
  'quota exceeded': 'quota_exceeded',
  'connection rate exceeded': 'connection_rate_exceeded',
  'session taken over': 'takenover',
  'topic alias invalid': 'topic_alias_invalid',
  // A WebSocket whose HTTP Origin the listener does not accept.
  'non-matching http origin': 'not_authorized',
};

/** strerror(errno) texts, glibc's and musl's, → the POSIX name EMQX reports for a socket error. */
export const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  'Connection reset by peer': 'econnreset',
  'Broken pipe': 'epipe',
  'Connection timed out': 'etimedout',
  'No route to host': 'ehostunreach',
  'Network is unreachable': 'enetunreach',
  'Network is down': 'enetdown',
  'Software caused connection abort': 'econnaborted',
  'Connection refused': 'econnrefused',
  'Host is down': 'ehostdown',
  'Transport endpoint is not connected': 'enotconn',
  'Socket is not connected': 'enotconn',
  'Bad file descriptor': 'ebadf',
  'Bad file number': 'ebadf',
  'Cannot allocate memory': 'enomem',
  'Out of memory': 'enomem',
  'Resource temporarily unavailable': 'eagain',
  'Operation would block': 'eagain',
  'Input/output error': 'eio',
  'I/O error': 'eio',
  'No buffer space available': 'enobufs',
  'Protocol error': 'eproto',
  'Invalid argument': 'einval',
  'Network dropped connection on reset': 'enetreset',
  'Network dropped connection because of reset': 'enetreset',
  'Cannot send after transport endpoint shutdown': 'eshutdown',
  'Cannot send after socket shutdown': 'eshutdown',
  'Interrupted system call': 'eintr',
};

/** mosquitto_strerror texts (lib/strings_mosq.c) that name a cause EMQX has a reason for. */
const MOSQUITTO_ERRORS: Readonly<Record<string, string>> = {
  'A TLS error occurred.': 'ssl_error',
  'TLS handshake failed.': 'ssl_error',
  'Keepalive exceeded': 'keepalive_timeout',
  'A network protocol error occurred when communicating with the broker.': 'protocol_error',
  'Malformed UTF-8': 'frame_error',
  'Packet larger than supported by the server.': 'packet_too_large',
  'Payload too large.': 'packet_too_large',
  'The connection was lost.': 'tcp_closed',
  'The client is not currently connected.': 'tcp_closed',
};

/**
 * The reason for Mosquitto's text after "disconnected: " (2.1), "disconnected: <strerror>" (2.0),
 * or "bad socket read/write: <text>": `normal` for none (the client sent DISCONNECT), the tables
 * above, `internal_error` for anything else.
 */
export function disconnectReasonOf(text: string | undefined): string {
  if (text === undefined) return 'normal';
  const known = V21_DISCONNECTS[text] ?? SOCKET_ERRORS[text];
  if (known !== undefined) return known;
  if (text.startsWith('bad socket read/write: ')) {
    const cause = text.slice('bad socket read/write: '.length);
    return MOSQUITTO_ERRORS[cause] ?? MOSQUITTO_ERRORS[`${cause}.`] ?? SOCKET_ERRORS[cause] ?? 'internal_error';
  }
  return 'internal_error';
}
