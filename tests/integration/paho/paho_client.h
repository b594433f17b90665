// PahoClient: the Eclipse Paho C synchronous client (MQTTClient) in
// multi-threaded mode, wrapped so that a test reads what arrives from a queue
// with a timeout and sees the broker's DISCONNECT and connection loss as
// events it can wait for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <MQTTClient.h>

namespace cairn::paho_test {

using std::chrono::milliseconds;

// Long enough for a loaded 2-core machine; the happy path never waits it out.
inline constexpr milliseconds kWait{5000};

// The MQTT 5 properties a broker forwards with a message, plus those it adds.
struct MessageProperties {
  std::optional<int> payload_format_indicator;
  std::optional<std::uint32_t> message_expiry_interval;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::vector<std::pair<std::string, std::string>> user_properties;
  std::vector<std::uint32_t> subscription_identifiers;  // received only
};

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
  bool dup = false;
  MessageProperties properties;
};

struct Will {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  std::optional<std::uint32_t> delay_interval;  // MQTT 5
};

struct ConnectOptions {
  bool clean = true;  // Clean Session (3.1.1) or Clean Start (5.0)
  int keep_alive = 60;
  std::optional<std::uint32_t> session_expiry;  // MQTT 5
  std::optional<Will> will;
};

struct ConnectResult {
  int rc = -1;  // MQTTCLIENT_SUCCESS (0), a 3.1.1 return code or a 5.0 reason code
  // Paho 1.3.12 reports Session Present for 3.1.1 only (MQTTClient_connect5
  // leaves it 0): tests that need it in 5.0 use a RawClient.
  std::optional<bool> session_present;
};

struct SubscribeOptions {
  bool no_local = false;
  bool retain_as_published = false;
  int retain_handling = 0;
  std::optional<std::uint32_t> subscription_identifier;
};

class PahoClient {
 public:
  // `version` is the protocol level: 4 (3.1.1) or 5.
  PahoClient(const std::string& uri, const std::string& client_id, int version);
  ~PahoClient();  // disconnects (normally) if still connected; see paho_client.cc
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  ConnectResult connect(const ConnectOptions& options = {});
  bool connected();
  // The granted QoS (0-2), or the failure code (0x80 and above).
  int subscribe(const std::string& filter, int qos, const SubscribeOptions& options = {});
  // Publishes and, for QoS 1 and 2, waits until the flow completes.
  // MQTTCLIENT_SUCCESS (0), a Paho error code (negative) or the broker's
  // failure reason code (MQTT 5 PUBACK / PUBREC).
  int publish(const std::string& topic, const std::string& payload, int qos, bool retain = false,
              const MessageProperties& properties = {});
  // DISCONNECT with `reason` (5.0) and, if given, a new Session Expiry.
  void disconnect(int reason = 0, std::optional<std::uint32_t> session_expiry = std::nullopt);

  // The next message received, or nothing after `timeout`.
  std::optional<Message> receive(milliseconds timeout = kWait);
  // Waits for `n` messages; returns those that came in time.
  std::vector<Message> receive(std::size_t n, milliseconds timeout = kWait);
  // Publishes a QoS 2 marker to `topic` (which this client must be
  // subscribed to) and returns every message received before it: since the
  // broker delivers in order, whatever it had queued for this client comes
  // first. (Subscribe to `topic` at QoS 2 if QoS 2 messages may come before
  // it on another subscription: Paho hands them over only at PUBREL.) Fails
  // the calling test if the marker does not come back.
  std::vector<Message> receive_until_marker(const std::string& topic);

  // The reason code of a DISCONNECT from the broker (MQTT 5), waited for.
  std::optional<int> wait_server_disconnect(milliseconds timeout = kWait);
  // True once the connection is lost (closed by the broker or the network).
  bool wait_connection_lost(milliseconds timeout = kWait);

  int version() const { return version_; }

 private:
  static int on_message(void* context, char* topic, int topic_length, MQTTClient_message* m);
  static void on_connection_lost(void* context, char* cause);
  static void on_delivered(void* context, MQTTClient_deliveryToken token);
  static void on_published(void* context, int token, int packet_type, MQTTProperties* properties,
                           enum MQTTReasonCodes reason);
  static void on_disconnected(void* context, MQTTProperties* properties,
                              enum MQTTReasonCodes reason);

  MQTTClient handle_ = nullptr;
  int version_;
  // What Paho's callbacks get as their context: a number never reused, which
  // they look up among the live clients (a PahoClient's address could be).
  std::uint64_t id_ = 0;
  // Only the test's thread reads or writes these three.
  bool clean_ = true;                  // the last connect asked for a clean session
  bool connected_once_ = false;        // the last connect succeeded
  bool disconnect_requested_ = false;  // disconnect() since, while connected
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Message> messages_;
  std::map<int, int> completed_;  // delivery token -> reason code
  std::optional<int> server_disconnect_;
  bool connection_lost_ = false;
  int marker_count_ = 0;
};

}  // namespace cairn::paho_test
