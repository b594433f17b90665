#include "config/listener_config.h"

#include <array>
#include <utility>
#include <variant>

#include "config/listen_address.h"

namespace cairn::config {
namespace {

constexpr std::array<std::pair<std::string_view, ListenerType>, 4> kTypes = {{
    {"mqtt", ListenerType::kMqtt},
    {"mqtts", ListenerType::kMqtts},
    {"ws", ListenerType::kWs},
    {"wss", ListenerType::kWss},
}};

}  // namespace

std::optional<ListenerType> parse_listener_type(std::string_view text) {
  for (const auto& [name, type] : kTypes) {
    if (name == text) return type;
  }
  return std::nullopt;
}

std::string_view listener_type_name(ListenerType type) {
  for (const auto& [name, t] : kTypes) {
    if (t == type) return name;
  }
  return "?";
}

std::optional<TlsVersion> parse_tls_version(std::string_view text) {
  if (text == "1.2") return TlsVersion::k1_2;
  if (text == "1.3") return TlsVersion::k1_3;
  return std::nullopt;
}

bool is_loopback(const ListenerConfig& listener) {
  const auto parsed = parse_listen_address(listener.listen);
  const auto* address = std::get_if<ListenAddress>(&parsed);
  if (address == nullptr) return false;
  const std::string& host = address->host;
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted IPv4 literal.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

std::string listener_key(std::size_t index) { return "listener[" + std::to_string(index) + "]"; }

}  // namespace cairn::config
