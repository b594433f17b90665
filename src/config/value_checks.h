// The checks a string value gets whether it comes from the file or the
// command line, so that both accept and refuse exactly the same values.
//
// Internal to src/config. Each check returns what is wrong with the value,
// without the key or option (the caller prefixes it), e.g.
// "the port must be between 1 and 65535, got 'localhost:0'".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn::config::detail {

std::optional<std::string> check_listen(std::string_view text);
// The same, or empty: the endpoint is off ([metrics] listen).
std::optional<std::string> check_listen_or_off(std::string_view text);
std::optional<std::string> check_data_dir(std::string_view text);
std::optional<std::string> check_log_level(std::string_view text);
// A file's path, or empty: no such file ([auth] password_file, acl_file).
std::optional<std::string> check_file_or_none(std::string_view text);
std::optional<std::string> check_queue_full_policy(std::string_view text);
// [[listener]]: type, path (ws, wss), a PEM file, tls_min_version, and an
// OpenSSL cipher string (ciphers, ciphersuites; empty: OpenSSL's defaults).
std::optional<std::string> check_listener_type(std::string_view text);
std::optional<std::string> check_websocket_path(std::string_view text);
std::optional<std::string> check_file(std::string_view text);
std::optional<std::string> check_tls_version(std::string_view text);
std::optional<std::string> check_cipher_list(std::string_view text);

// `text` in single quotes for a message: control bytes, quotes and
// backslashes escaped (a message is one line on a terminal whatever the file
// held) and anything past 100 bytes cut to "...".
std::string quote(std::string_view text);

// `text` with control bytes escaped as \xNN, for text that is not ours (a
// parser's description may quote the input).
std::string one_line(std::string_view text);

}  // namespace cairn::config::detail
