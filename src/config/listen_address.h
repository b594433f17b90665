// ListenAddress: the HOST:PORT form of every listening address in the
// configuration (the MQTT listener, the metrics endpoint).
//
// Checked when the configuration is loaded, so that a typo stops start-up
// with a message naming the key instead of surfacing later as a failed bind
// or resolve. HOST is an IPv4 literal, a bracketed IPv6 literal ("[::1]",
// "[::]" for every interface) or a DNS name; PORT is 1..65535 (port 0, "any
// free port", is refused: clients could not know where to connect).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace cairn::config {

struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;

  bool operator==(const ListenAddress&) const = default;
};

struct ListenAddressError {
  std::string why;  // e.g. "port must be between 1 and 65535"
};

std::variant<ListenAddress, ListenAddressError> parse_listen_address(std::string_view text);

// HOST:PORT again, IPv6 literals in brackets: parse_listen_address reads it
// back to an equal ListenAddress.
std::string to_string(const ListenAddress& address);

}  // namespace cairn::config
