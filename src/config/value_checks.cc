#include "config/value_checks.h"

#include <cstddef>
#include <variant>

#include "config/config.h"
#include "config/listen_address.h"
#include "config/log_level.h"

namespace cairn::config::detail {

namespace {

void append_escaped(std::string& out, char c) {
  constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7F;
}

}  // namespace

std::optional<std::string> check_listen(std::string_view text) {
  auto parsed = parse_listen_address(text);
  if (auto* error = std::get_if<ListenAddressError>(&parsed)) {
    return error->why + ", got " + quote(text);
  }
  return std::nullopt;
}

std::optional<std::string> check_listen_or_off(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return check_listen(text);
}

std::optional<std::string> check_data_dir(std::string_view text) {
  if (text.empty()) return "must name a directory, got ''";
  // The path goes to the operating system as a C string, which ends at a NUL.
  if (text.find('\0') != std::string_view::npos) {
    return "must not contain a NUL character, got " + quote(text);
  }
  return std::nullopt;
}

std::optional<std::string> check_file_or_none(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return "must not contain a NUL character, got " + quote(text);
  }
  return std::nullopt;
}

std::optional<std::string> check_log_level(std::string_view text) {
  if (parse_log_level(text)) return std::nullopt;
  return "must be one of " + std::string(kLogLevelNames) + ", got " + quote(text);
}

std::optional<std::string> check_listener_type(std::string_view text) {
  if (parse_listener_type(text)) return std::nullopt;
  return "must be one of " + std::string(kListenerTypeNames) + ", got " + quote(text);
}

std::optional<std::string> check_websocket_path(std::string_view text) {
  if (!text.starts_with('/')) return "must start with '/', got " + quote(text);
  // Compared with the request line's target, which holds no space or control
  // byte: such a path could never match.
  for (char c : text) {
    if (is_control(c) || c == ' ' || c == '?' || c == '#') {
      return "must be a URL path without spaces, control characters, '?' or '#', got " +
             quote(text);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_file(std::string_view text) {
  if (text.empty()) return "must name a file, got ''";
  return check_data_dir(text);  // the same rule: a C string for the OS
}

std::optional<std::string> check_tls_version(std::string_view text) {
  if (parse_tls_version(text)) return std::nullopt;
  return "must be \"1.2\" or \"1.3\", got " + quote(text);
}

std::optional<std::string> check_cipher_list(std::string_view text) {
  for (char c : text) {
    if (is_control(c)) return "must not contain control characters, got " + quote(text);
  }
  return std::nullopt;  // OpenSSL judges the names when the listener opens
}

}  // namespace cairn::config::detail

namespace cairn::config {

std::optional<QueueFullPolicy> parse_queue_full_policy(std::string_view text) {
  if (text == "refuse") return QueueFullPolicy::kRefuse;
  if (text == "drop") return QueueFullPolicy::kDrop;
  return std::nullopt;
}

}  // namespace cairn::config

namespace cairn::config::detail {

std::optional<std::string> check_queue_full_policy(std::string_view text) {
  if (parse_queue_full_policy(text)) return std::nullopt;
  return "must be one of " + std::string(kQueueFullPolicyNames) + ", got " + quote(text);
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_control(c)) {
      append_escaped(out, c);
    } else {
      out += c;
    }
  }
  return out;
}

std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 100;
  std::size_t cut = text.size();
  if (cut > kMaxShown) {
    // Cut before a character, never inside a UTF-8 sequence: back up over
    // continuation bytes (10xxxxxx).
    cut = kMaxShown;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  const std::string_view shown = text.substr(0, cut);
  std::string out = "'";
  for (char c : shown) {
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += c;
    } else if (is_control(c)) {
      append_escaped(out, c);
    } else {
      out += c;
    }
  }
  if (shown.size() < text.size()) out += "...";
  out += '\'';
  return out;
}

}  // namespace cairn::config::detail
