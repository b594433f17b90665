// ListenerConfig: one [[listener]] of the configuration file: what clients
// speak on an address (MQTT over TCP, TLS, WebSocket or WebSocket over TLS)
// and, for TLS, the files and policy of its certificate.
//
// Checked when the file is read (config_file.cc): the rest of the broker may
// rely on a TLS listener having cert_file and key_file, on require_certificate
// having a ca_file, and on a plain listener carrying no TLS key at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::config {

enum class ListenerType : std::uint8_t { kMqtt, kMqtts, kWs, kWss };
inline constexpr std::string_view kListenerTypeNames = "mqtt, mqtts, ws, wss";
std::optional<ListenerType> parse_listener_type(std::string_view text);
std::string_view listener_type_name(ListenerType type);

enum class TlsVersion : std::uint8_t { k1_2, k1_3 };
std::optional<TlsVersion> parse_tls_version(std::string_view text);

inline bool uses_tls(ListenerType type) {
  return type == ListenerType::kMqtts || type == ListenerType::kWss;
}
inline bool uses_websocket(ListenerType type) {
  return type == ListenerType::kWs || type == ListenerType::kWss;
}

struct ListenerConfig {
  ListenerType type = ListenerType::kMqtt;
  std::string listen = "127.0.0.1:1883";  // HOST:PORT
  std::string path = "/mqtt";             // ws, wss: the HTTP path of the upgrade request

  // mqtts, wss only.
  std::string cert_file;                  // PEM: the server certificate, then its chain
  std::string key_file;                   // PEM: its private key
  std::string ca_file;                    // PEM: the CAs client certificates must chain to
  bool require_certificate = false;       // mutual TLS; needs ca_file
  bool use_identity_as_username = false;  // needs require_certificate
  TlsVersion tls_min_version = TlsVersion::k1_2;
  std::string ciphers;       // TLS 1.2 and below, OpenSSL's syntax; empty: OpenSSL's defaults
  std::string ciphersuites;  // TLS 1.3; empty: OpenSSL's defaults
  std::uint32_t handshake_timeout = 10;  // seconds, 1..3600: TLS and WebSocket handshakes

  bool operator==(const ListenerConfig&) const = default;
};

// True when the listener's host is a loopback address (127.0.0.0/8, ::1) or
// "localhost": nothing outside this machine can reach it. Anything else,
// including a DNS name that may resolve to a public address, is false.
bool is_loopback(const ListenerConfig& listener);

// "listener[INDEX]": how messages after the file is read (opening the
// certificate, binding the address) name a listener; INDEX counts from 0.
std::string listener_key(std::size_t index);

}  // namespace cairn::config
