#include "net/websocket_upgrade.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace cairn::net {
namespace {

namespace http = boost::beast::http;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 100)) {
    out +=
        (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) ? '?' : c;
  }
  return out;
}

}  // namespace

bool offers_mqtt(std::string_view protocols) {
  while (!protocols.empty()) {
    const std::size_t comma = protocols.find(',');
    const std::string_view one = trim(protocols.substr(0, comma));
    // Subprotocol names are tokens compared exactly (RFC 6455 §4.1), but
    // clients spelling "MQTT" exist and mean nothing else.
    if (equals_ignoring_case(one, kMqttSubprotocol)) return true;
    if (comma == std::string_view::npos) break;
    protocols.remove_prefix(comma + 1);
  }
  return false;
}

UpgradeVerdict check_upgrade(const http::request<http::string_body>& request,
                             std::string_view path) {
  if (!boost::beast::websocket::is_upgrade(request)) {
    return {false, http::status::bad_request, "not a WebSocket upgrade request"};
  }
  std::string_view target(request.target().data(), request.target().size());
  target = target.substr(0, target.find('?'));
  if (target != path) {
    return {false, http::status::not_found,
            "path '" + printable(target) + "' is not '" + std::string(path) + "'"};
  }
  const auto protocols = request[http::field::sec_websocket_protocol];
  if (!offers_mqtt(std::string_view(protocols.data(), protocols.size()))) {
    return {false, http::status::bad_request,
            "no 'mqtt' in Sec-WebSocket-Protocol ('" +
                printable(std::string_view(protocols.data(), protocols.size())) + "')"};
  }
  return {true, http::status::switching_protocols, {}};
}

}  // namespace cairn::net
