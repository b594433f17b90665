// [[listener]]: several listeners, their types, TLS and WebSocket keys, and
// every rule between keys, each message naming the key with its index.
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/listener_config.h"
#include "config_test_support.h"

namespace cairn::config {
namespace {

using testing::parse_error;
using testing::parse_ok;

TEST(ConfigListeners, DefaultIsOnePlainLoopbackListener) {
  const Config c = parse_ok("");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].type, ListenerType::kMqtt);
  EXPECT_EQ(c.listeners[0].listen, "127.0.0.1:1883");
  EXPECT_TRUE(is_loopback(c.listeners[0]));
}

TEST(ConfigListeners, SingleTableIsOneListener) {
  const Config c =
      parse_ok("[listener]\ntype = \"ws\"\nlisten = \"0.0.0.0:8080\"\npath = \"/x\"\n");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].type, ListenerType::kWs);
  EXPECT_EQ(c.listeners[0].listen, "0.0.0.0:8080");
  EXPECT_EQ(c.listeners[0].path, "/x");
}

TEST(ConfigListeners, EveryKeyOfAnArray) {
  const Config c = parse_ok(R"([[listener]]
listen = "127.0.0.1:1883"

[[listener]]
type = "mqtts"
listen = "0.0.0.0:8883"
cert_file = "/etc/cairn/server.pem"
key_file = "/etc/cairn/server.key"
ca_file = "/etc/cairn/ca.pem"
require_certificate = true
use_identity_as_username = true
tls_min_version = "1.3"
ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"
ciphersuites = "TLS_AES_128_GCM_SHA256"
handshake_timeout = 5

[[listener]]
type = "wss"
listen = "[::]:8884"
path = "/ws"
cert_file = "c.pem"
key_file = "k.pem"

[[listener]]
type = "ws"
listen = "127.0.0.1:8080"
handshake_timeout = 3
)");
  ASSERT_EQ(c.listeners.size(), 4u);
  EXPECT_EQ(c.listeners[0], ListenerConfig{});
  const ListenerConfig& t = c.listeners[1];
  EXPECT_EQ(t.type, ListenerType::kMqtts);
  EXPECT_EQ(t.listen, "0.0.0.0:8883");
  EXPECT_EQ(t.cert_file, "/etc/cairn/server.pem");
  EXPECT_EQ(t.key_file, "/etc/cairn/server.key");
  EXPECT_EQ(t.ca_file, "/etc/cairn/ca.pem");
  EXPECT_TRUE(t.require_certificate);
  EXPECT_TRUE(t.use_identity_as_username);
  EXPECT_EQ(t.tls_min_version, TlsVersion::k1_3);
  EXPECT_EQ(t.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(t.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(t.handshake_timeout, 5u);
  EXPECT_FALSE(is_loopback(t));
  const ListenerConfig& w = c.listeners[2];
  EXPECT_EQ(w.type, ListenerType::kWss);
  EXPECT_EQ(w.path, "/ws");
  EXPECT_EQ(w.tls_min_version, TlsVersion::k1_2);
  EXPECT_EQ(w.handshake_timeout, 10u);
  EXPECT_FALSE(w.require_certificate);
  EXPECT_FALSE(is_loopback(w));
  EXPECT_EQ(c.listeners[3].type, ListenerType::kWs);
  EXPECT_EQ(c.listeners[3].path, "/mqtt");
  EXPECT_EQ(c.listeners[3].handshake_timeout, 3u);
}

TEST(ConfigListeners, TlsTypesNeedCertificateAndKey) {
  EXPECT_EQ(parse_error("[[listener]]\nlisten = \"127.0.0.1:1\"\n\n"
                        "[[listener]]\ntype = \"mqtts\"\nkey_file = \"k\"\n"),
            "cairn.toml:4: listener[1].cert_file: required for type 'mqtts'");
  EXPECT_EQ(parse_error("[listener]\ntype = \"wss\"\ncert_file = \"c\"\n"),
            "cairn.toml:1: listener.key_file: required for type 'wss'");
}

TEST(ConfigListeners, TlsKeysOnAPlainListenerAreErrors) {
  EXPECT_EQ(parse_error("[[listener]]\ncert_file = \"c\"\nrequire_certificate = false\n"),
            "cairn.toml:2: listener[0].cert_file: only for type 'mqtts' or 'wss'; this listener "
            "is 'mqtt'\n"
            "cairn.toml:3: listener[0].require_certificate: only for type 'mqtts' or 'wss'; this "
            "listener is 'mqtt'");
  for (const char* key : {"key_file = \"k\"", "ca_file = \"a\"", "use_identity_as_username = true",
                          "tls_min_version = \"1.2\"", "ciphers = \"\"", "ciphersuites = \"\"",
                          "handshake_timeout = 5"}) {
    const std::string name = std::string(key).substr(0, std::string(key).find(' '));
    EXPECT_EQ(parse_error(std::string("[listener]\n") + key + "\n"),
              "cairn.toml:2: listener." + name +
                  ": only for type 'mqtts' or 'wss'; this listener is 'mqtt'");
  }
  // ws has a handshake, but no TLS.
  EXPECT_EQ(
      parse_error("[listener]\ntype = \"ws\"\nca_file = \"a\"\n"),
      "cairn.toml:3: listener.ca_file: only for type 'mqtts' or 'wss'; this listener is 'ws'");
}

TEST(ConfigListeners, PathOnlyForWebSocket) {
  EXPECT_EQ(parse_error("[listener]\npath = \"/mqtt\"\n"),
            "cairn.toml:2: listener.path: only for type 'ws' or 'wss'; this listener is 'mqtt'");
  EXPECT_EQ(parse_error("[listener]\ntype = \"ws\"\npath = \"mqtt\"\n"),
            "cairn.toml:3: listener.path: must start with '/', got 'mqtt'");
  EXPECT_EQ(parse_error("[listener]\ntype = \"ws\"\npath = \"/a b\"\n"),
            "cairn.toml:3: listener.path: must be a URL path without spaces, control "
            "characters, '?' or '#', got '/a b'");
}

TEST(ConfigListeners, ValuesAreChecked) {
  EXPECT_EQ(parse_error("[listener]\ntype = \"http\"\n"),
            "cairn.toml:2: listener.type: must be one of mqtt, mqtts, ws, wss, got 'http'");
  const std::string tls = "[[listener]]\ntype = \"mqtts\"\ncert_file = \"c\"\nkey_file = \"k\"\n";
  EXPECT_EQ(parse_error(tls + "tls_min_version = \"1.1\"\n"),
            "cairn.toml:5: listener[0].tls_min_version: must be \"1.2\" or \"1.3\", got '1.1'");
  EXPECT_EQ(parse_error(tls + "handshake_timeout = 0\n"),
            "cairn.toml:5: listener[0].handshake_timeout: must be between 1 and 3600, got 0");
  EXPECT_EQ(parse_error(tls + "handshake_timeout = 3601\n"),
            "cairn.toml:5: listener[0].handshake_timeout: must be between 1 and 3600, got 3601");
  EXPECT_EQ(parse_error(tls + "require_certificate = 1\n"),
            "cairn.toml:5: listener[0].require_certificate: expected a boolean (true or false), "
            "got an integer");
  EXPECT_EQ(parse_error("[[listener]]\ntype = \"mqtts\"\ncert_file = \"\"\nkey_file = \"k\"\n"),
            "cairn.toml:3: listener[0].cert_file: must name a file, got ''");
  EXPECT_EQ(parse_error(tls + "ciphers = \"A\\u0001\"\n"),
            "cairn.toml:5: listener[0].ciphers: must not contain control characters, got "
            "'A\\x01'");
  EXPECT_EQ(parse_error("[[listener]]\nlisten = \"x\"\n"),
            "cairn.toml:2: listener[0].listen: the ':PORT' is missing; expected HOST:PORT, as "
            "127.0.0.1:1883, got 'x'");
}

TEST(ConfigListeners, RulesBetweenTlsKeys) {
  const std::string tls = "[[listener]]\ntype = \"mqtts\"\ncert_file = \"c\"\nkey_file = \"k\"\n";
  EXPECT_EQ(parse_error(tls + "require_certificate = true\n"),
            "cairn.toml:5: listener[0].require_certificate: needs ca_file: the CAs client "
            "certificates must chain to");
  EXPECT_EQ(parse_error(tls + "ca_file = \"a\"\nuse_identity_as_username = true\n"),
            "cairn.toml:6: listener[0].use_identity_as_username: needs require_certificate = "
            "true: without a certificate there is no identity");
  parse_ok(tls + "ca_file = \"a\"\nrequire_certificate = true\nuse_identity_as_username = true\n");
}

TEST(ConfigListeners, ArrayShapeErrors) {
  EXPECT_EQ(parse_error("listener = []\n"),
            "cairn.toml:1: listener: at least one listener is needed, got none");
  EXPECT_EQ(parse_error("listener = [1]\n"),
            "cairn.toml:1: listener[0]: expected a table, got an integer");
  EXPECT_EQ(parse_error("listener = \"x\"\n"),
            "cairn.toml:1: listener: expected a table, got a string");
  EXPECT_EQ(parse_error("[[listener]]\nlisten = \"127.0.0.1:1\"\n[[listener]]\nlisen = \"a\"\n"),
            "cairn.toml:4: unknown key 'listener[1].lisen'; did you mean 'listener.listen'?");
}

TEST(ConfigListeners, CommandLineListenReplacesTheFirstListener) {
  Config c = parse_ok(
      "[[listener]]\nlisten = \"127.0.0.1:1\"\n[[listener]]\ntype = \"ws\"\nlisten = "
      "\"127.0.0.1:2\"\n");
  CliOverrides o;
  o.listen = "127.0.0.1:3";
  ASSERT_FALSE(apply_overrides(c, o).has_value());
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].listen, "127.0.0.1:3");
  EXPECT_EQ(c.listeners[1].listen, "127.0.0.1:2");
}

TEST(ConfigListeners, Loopback) {
  ListenerConfig l;
  for (const char* address : {"127.0.0.1:1", "127.1.2.3:1", "localhost:1", "[::1]:1"}) {
    l.listen = address;
    EXPECT_TRUE(is_loopback(l)) << address;
  }
  for (const char* address :
       {"0.0.0.0:1", "[::]:1", "10.0.0.1:1", "example.com:1", "127.example.com:1", "128.0.0.1:1"}) {
    l.listen = address;
    EXPECT_FALSE(is_loopback(l)) << address;
  }
}

}  // namespace
}  // namespace cairn::config
