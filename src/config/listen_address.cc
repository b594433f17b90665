#include "config/listen_address.h"

#include <algorithm>
#include <cstddef>

#include <arpa/inet.h>

namespace cairn::config {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// inet_pton reads a C string: a NUL inside the host (TOML strings may hold
// one) would hide whatever follows it, so such a host is never a literal.
bool is_ipv4_literal(const std::string& host) {
  in_addr out{};
  return host.find('\0') == std::string::npos && inet_pton(AF_INET, host.c_str(), &out) == 1;
}

bool is_ipv6_literal(const std::string& host) {
  in6_addr out{};
  return host.find('\0') == std::string::npos && inet_pton(AF_INET6, host.c_str(), &out) == 1;
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner
// hyphens, 1..63 bytes each, 253 in all. Checking the shape here turns a typo
// such as "localhost;1883" into a configuration error rather than a resolver
// error at start-up.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    const std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// The part after the last ':'; a number 1..65535 in decimal.
std::variant<std::uint16_t, ListenAddressError> parse_port(std::string_view text) {
  if (text.empty()) return ListenAddressError{"the port after ':' is missing"};
  // Five digits bound the value before it can overflow; leading zeros beyond
  // that are not worth accepting.
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) {
    return ListenAddressError{"the port must be a number between 1 and 65535"};
  }
  std::uint32_t port = 0;
  for (char c : text) port = port * 10 + static_cast<std::uint32_t>(c - '0');
  if (port < 1 || port > 65535) {
    return ListenAddressError{"the port must be between 1 and 65535"};
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::variant<ListenAddress, ListenAddressError> parse_listen_address(std::string_view text) {
  if (text.empty()) return ListenAddressError{"expected HOST:PORT, as 127.0.0.1:1883"};

  std::string host;
  std::string_view port_text;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return ListenAddressError{"an IPv6 address needs its closing ']', as [::1]:1883"};
    }
    host = std::string(text.substr(1, close - 1));
    if (!is_ipv6_literal(host))
      return ListenAddressError{"the host in [...] is not an IPv6 address"};
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return ListenAddressError{"expected ':PORT' after ']', as [::1]:1883"};
    }
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      return ListenAddressError{"the ':PORT' is missing; expected HOST:PORT, as 127.0.0.1:1883"};
    }
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return ListenAddressError{"an IPv6 address needs brackets, as [::1]:1883"};
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.empty()) {
      return ListenAddressError{
          "the host is empty; use 0.0.0.0 or [::] to listen on every interface"};
    }
    const bool numeric =
        std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
    if (numeric ? !is_ipv4_literal(host) : !is_host_name(host)) {
      return ListenAddressError{numeric ? "the host is not an IPv4 address"
                                        : "the host is not a valid host name or IP address"};
    }
  }

  auto port = parse_port(port_text);
  if (auto* error = std::get_if<ListenAddressError>(&port)) return std::move(*error);
  return ListenAddress{std::move(host), std::get<std::uint16_t>(port)};
}

std::string to_string(const ListenAddress& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + address.host + "]" : address.host;
  out += ':';
  out += std::to_string(address.port);
  return out;
}

}  // namespace cairn::config
