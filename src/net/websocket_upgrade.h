// The checks on a WebSocket upgrade request before it is accepted: a pure
// function of the request, so the listener, a unit test and the WebSocket
// fuzz target all run the very same rules.
//
// MQTT over WebSocket [MQTT-6.0.0-3]: the client offers the "mqtt"
// subprotocol in Sec-WebSocket-Protocol (some offer a list, as
// "mqtt, mqttv3.1"), and the server answers with that one. A request for
// another path is answered 404, so a broker sharing a port's address space
// with nothing else still tells a misdirected client what went wrong.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

namespace cairn::net {

inline constexpr std::string_view kMqttSubprotocol = "mqtt";

struct UpgradeVerdict {
  bool accept = false;
  boost::beast::http::status status = boost::beast::http::status::ok;  // when refused
  std::string why;                                                     // when refused, for the log
};

// `path`: the listener's configured path ("/mqtt"); a query string in the
// request target is ignored.
UpgradeVerdict check_upgrade(
    const boost::beast::http::request<boost::beast::http::string_body>& request,
    std::string_view path);

// Whether a Sec-WebSocket-Protocol value (a comma-separated list) offers
// "mqtt".
bool offers_mqtt(std::string_view protocols);

}  // namespace cairn::net
