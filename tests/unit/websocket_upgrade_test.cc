// The checks on a WebSocket upgrade request: path, subprotocol, upgrade.
#include "net/websocket_upgrade.h"

#include <boost/beast/http/field.hpp>
#include <gtest/gtest.h>

namespace cairn::net {
namespace {

namespace http = boost::beast::http;

http::request<http::string_body> upgrade(std::string target, const char* protocols) {
  http::request<http::string_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "localhost");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_version, "13");
  if (protocols != nullptr) request.set(http::field::sec_websocket_protocol, protocols);
  return request;
}

TEST(WebSocketUpgrade, AcceptsTheMqttSubprotocolOnThePath) {
  EXPECT_TRUE(check_upgrade(upgrade("/mqtt", "mqtt"), "/mqtt").accept);
  EXPECT_TRUE(check_upgrade(upgrade("/mqtt", "mqtt, mqttv3.1"), "/mqtt").accept);
  EXPECT_TRUE(check_upgrade(upgrade("/mqtt", "mqttv3.1,mqtt"), "/mqtt").accept);
  EXPECT_TRUE(check_upgrade(upgrade("/mqtt?x=1", "MQTT"), "/mqtt").accept);
}

TEST(WebSocketUpgrade, RefusesAnotherPathWith404) {
  const UpgradeVerdict v = check_upgrade(upgrade("/other", "mqtt"), "/mqtt");
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(v.status, http::status::not_found);
  EXPECT_EQ(v.why, "path '/other' is not '/mqtt'");
  EXPECT_FALSE(check_upgrade(upgrade("/mqtt/", "mqtt"), "/mqtt").accept);
}

TEST(WebSocketUpgrade, RefusesWithoutTheMqttSubprotocol) {
  for (const char* protocols :
       {static_cast<const char*>(nullptr), "", "mqttv3.1", "mqt", "xmqtt"}) {
    const UpgradeVerdict v = check_upgrade(upgrade("/mqtt", protocols), "/mqtt");
    EXPECT_FALSE(v.accept) << (protocols ? protocols : "(none)");
    EXPECT_EQ(v.status, http::status::bad_request);
  }
}

TEST(WebSocketUpgrade, RefusesAPlainHttpRequest) {
  http::request<http::string_body> request(http::verb::get, "/mqtt", 11);
  request.set(http::field::sec_websocket_protocol, "mqtt");
  const UpgradeVerdict v = check_upgrade(request, "/mqtt");
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(v.status, http::status::bad_request);
}

}  // namespace
}  // namespace cairn::net
