#include "integration/paho/paho_client.h"

#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::paho_test {
namespace {

using Clock = std::chrono::steady_clock;

// Paho returns its own negative error codes in `enum MQTTReasonCodes`
// fields, values the enum cannot hold: read them as the int they are,
// without loading an enum (UBSan's -fsanitize=enum would object).
int as_int(const MQTTReasonCodes& code) {
  static_assert(sizeof(MQTTReasonCodes) == sizeof(int));
  int value = 0;
  std::memcpy(&value, &code, sizeof value);
  return value;
}

MQTTLenString len_string(const std::string& s) {
  return MQTTLenString{static_cast<int>(s.size()), const_cast<char*>(s.data())};
}

std::string from_len_string(const MQTTLenString& s) {
  return s.len > 0 ? std::string(s.data, static_cast<std::size_t>(s.len)) : std::string();
}

// Properties owned here, freed when this goes out of scope. Paho copies
// string and binary values in MQTTProperties_add.
class Properties {
 public:
  Properties() = default;
  ~Properties() { MQTTProperties_free(&p_); }
  Properties(const Properties&) = delete;
  Properties& operator=(const Properties&) = delete;

  void number(MQTTPropertyCodes id, unsigned value) {
    MQTTProperty p{};
    p.identifier = id;
    switch (MQTTProperty_getType(id)) {
      case MQTTPROPERTY_TYPE_BYTE:
        p.value.byte = static_cast<unsigned char>(value);
        break;
      case MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER:
        p.value.integer2 = static_cast<unsigned short>(value);
        break;
      default:
        p.value.integer4 = value;
    }
    add(p);
  }
  void string(MQTTPropertyCodes id, const std::string& value) {
    MQTTProperty p{};
    p.identifier = id;
    p.value.data = len_string(value);
    add(p);
  }
  void pair(const std::string& key, const std::string& value) {
    MQTTProperty p{};
    p.identifier = MQTTPROPERTY_CODE_USER_PROPERTY;
    p.value.data = len_string(key);
    p.value.value = len_string(value);
    add(p);
  }
  MQTTProperties* get() { return &p_; }

 private:
  void add(const MQTTProperty& p) {
    const int rc = MQTTProperties_add(&p_, &p);
    EXPECT_EQ(rc, 0) << "MQTTProperties_add " << MQTTPropertyName(p.identifier);
  }
  MQTTProperties p_ = MQTTProperties_initializer;
};

void add_message_properties(const MessageProperties& in, Properties& out) {
  if (in.payload_format_indicator) {
    out.number(MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR,
               static_cast<unsigned>(*in.payload_format_indicator));
  }
  if (in.message_expiry_interval) {
    out.number(MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL, *in.message_expiry_interval);
  }
  if (in.content_type) out.string(MQTTPROPERTY_CODE_CONTENT_TYPE, *in.content_type);
  if (in.response_topic) out.string(MQTTPROPERTY_CODE_RESPONSE_TOPIC, *in.response_topic);
  if (in.correlation_data) out.string(MQTTPROPERTY_CODE_CORRELATION_DATA, *in.correlation_data);
  for (const auto& [key, value] : in.user_properties) out.pair(key, value);
}

MessageProperties read_message_properties(const MQTTProperties& in) {
  MessageProperties out;
  for (int i = 0; i < in.count; ++i) {
    const MQTTProperty& p = in.array[i];
    switch (p.identifier) {
      case MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR:
        out.payload_format_indicator = p.value.byte;
        break;
      case MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL:
        out.message_expiry_interval = p.value.integer4;
        break;
      case MQTTPROPERTY_CODE_CONTENT_TYPE:
        out.content_type = from_len_string(p.value.data);
        break;
      case MQTTPROPERTY_CODE_RESPONSE_TOPIC:
        out.response_topic = from_len_string(p.value.data);
        break;
      case MQTTPROPERTY_CODE_CORRELATION_DATA:
        out.correlation_data = from_len_string(p.value.data);
        break;
      case MQTTPROPERTY_CODE_USER_PROPERTY:
        out.user_properties.emplace_back(from_len_string(p.value.data),
                                         from_len_string(p.value.value));
        break;
      case MQTTPROPERTY_CODE_SUBSCRIPTION_IDENTIFIER:
        out.subscription_identifiers.push_back(p.value.integer4);
        break;
      default:
        break;
    }
  }
  return out;
}

// Why callbacks and destruction go through `Shared`. Paho calls back from
// threads shared by every client of the process and never says when they are
// done with a handle: MQTTClient_run calls messageArrived without its lock and
// then, under it, dequeues the message from the handle (destroying the handle
// as soon as the test had its message was a use after free: a segfault in
// MQTTClient_run every few hundred runs); MQTT 5's disconnected callback runs
// on a detached thread that reads the handle first; and while a message is
// still queued, disconnecting a 3.1.1 Clean Session client or connecting with
// a clean session frees it. Hence, under one mutex:
// - callbacks reach a PahoClient only through `clients`, left before it is freed;
// - a handle is destroyed only once MQTTClient_run has ended (it does when no
//   client is connected; MQTTClient_disconnect waits for it), and waits,
//   disconnected, in `graveyard` until then;
// - what messageArrived is handed is freed only once dequeued: proven by the
//   next messageArrived (MQTTClient_run hands one message at a time) or by the
//   end of MQTTClient_run. While Paho may empty a client's queue, its callbacks
//   touch nothing and what it was handed is `abandoned` to Paho.
// Sound while Paho is called from one thread (as every test using PahoClient
// does): no other can start MQTTClient_run between the check and the destroy.
struct Delivery {
  std::uint64_t client;
  MQTTClient_message* message;
  char* topic;
};

struct Shared {
  // Never connected nor destroyed: with it the process never destroys its
  // last handle, which terminates Paho and drops Paho's heap tracking of what
  // is in `abandoned` (LeakSanitizer then reports it).
  Shared() {
    const int rc = MQTTClient_create(&anchor, "tcp://127.0.0.1:1", "cairn-paho-anchor",
                                     MQTTCLIENT_PERSISTENCE_NONE, nullptr);
    EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_create: " << MQTTClient_strerror(rc);
  }

  MQTTClient anchor = nullptr;
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, PahoClient*> clients;
  std::unordered_set<std::uint64_t> emptying;  // clients whose queue Paho may empty now
  std::vector<Delivery> handed;                // not yet known to be dequeued
  std::vector<Delivery> abandoned;
  std::vector<MQTTClient> graveyard;
};

// Never destroyed: Paho's threads may call back while statics are destroyed.
Shared& shared() {
  static auto* const s = new Shared;
  return *s;
}

void* context_of(std::uint64_t id) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
}

std::uint64_t id_of(void* context) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(context));
}

// The live PahoClient a callback's context names, or nullptr; with
// shared().mutex held.
PahoClient* client_of(Shared& s, void* context) {
  const auto it = s.clients.find(id_of(context));
  return it == s.clients.end() ? nullptr : it->second;
}

// With shared().mutex held.
void free_handed(Shared& s) {
  for (Delivery& d : s.handed) {
    MQTTClient_freeMessage(&d.message);
    MQTTClient_free(d.topic);
  }
  s.handed.clear();
}

// For the duration of a Paho call that may empty `client`'s message queue.
class QueueEmptying {
 public:
  explicit QueueEmptying(std::uint64_t client) : client_(client) {
    Shared& s = shared();
    std::lock_guard lock(s.mutex);
    s.emptying.insert(client_);
    std::erase_if(s.handed, [&](const Delivery& d) {
      if (d.client != client_) return false;
      s.abandoned.push_back(d);
      return true;
    });
  }
  ~QueueEmptying() {
    Shared& s = shared();
    std::lock_guard lock(s.mutex);
    s.emptying.erase(client_);
  }
  QueueEmptying(const QueueEmptying&) = delete;
  QueueEmptying& operator=(const QueueEmptying&) = delete;

 private:
  std::uint64_t client_;
};

// Destroys the graveyard's handles if MQTTClient_run is not running.
void bury_handles() {
  Shared& s = shared();
  MQTTClient probe = nullptr;
  {
    std::lock_guard lock(s.mutex);
    if (s.graveyard.empty()) return;
    probe = s.graveyard.front();
  }
  // On a disconnected handle MQTTClient_receive fails at once
  // (MQTTCLIENT_FAILURE) while MQTTClient_run runs, and says
  // MQTTCLIENT_DISCONNECTED when it does not.
  char* topic = nullptr;
  int topic_length = 0;
  MQTTClient_message* message = nullptr;
  if (MQTTClient_receive(probe, &topic, &topic_length, &message, 0) != MQTTCLIENT_DISCONNECTED) {
    return;
  }
  std::vector<MQTTClient> handles;
  {
    std::lock_guard lock(s.mutex);
    handles.swap(s.graveyard);
    free_handed(s);
  }
  for (MQTTClient handle : handles) MQTTClient_destroy(&handle);
}

}  // namespace

PahoClient::PahoClient(const std::string& uri, const std::string& client_id, int version)
    : version_(version) {
  bury_handles();
  {
    Shared& s = shared();
    std::lock_guard lock(s.mutex);
    id_ = s.next_id++;
    s.clients.emplace(id_, this);
  }
  MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
  create.MQTTVersion = version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  int rc = MQTTClient_createWithOptions(&handle_, uri.c_str(), client_id.c_str(),
                                        MQTTCLIENT_PERSISTENCE_NONE, nullptr, &create);
  EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_create: " << MQTTClient_strerror(rc);
  // Completion comes from callbacks: MQTTClient_waitForCompletion polls
  // in steps of 100 ms in multi-threaded mode, too slow for 200 messages.
  rc = MQTTClient_setCallbacks(handle_, context_of(id_), &PahoClient::on_connection_lost,
                               &PahoClient::on_message,
                               version == 5 ? nullptr : &PahoClient::on_delivered);
  EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_setCallbacks";
  if (version == 5) {
    rc = MQTTClient_setDisconnected(handle_, context_of(id_), &PahoClient::on_disconnected);
    EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_setDisconnected";
    rc = MQTTClient_setPublished(handle_, context_of(id_), &PahoClient::on_published);
    EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_setPublished";
  }
}

// Why it goes this way: see "Why callbacks and destruction go through `Shared`".
PahoClient::~PahoClient() {
  if (handle_ != nullptr) {
    if (version_ == 5 && connected_once_ && !disconnect_requested_ &&
        !MQTTClient_isConnected(handle_)) {
      // Not lost (Paho reports a loss before it says disconnected): the
      // broker's DISCONNECT, whose thread reads the handle before calling
      // on_disconnected.
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, kWait,
                        [&] { return server_disconnect_.has_value() || connection_lost_; });
    }
    // Connected or not: MQTTClient_disconnect is where MQTTClient_run is
    // stopped, and waited for, once no client is connected.
    disconnect();
  }
  Shared& s = shared();
  {
    std::lock_guard lock(s.mutex);
    s.clients.erase(id_);
    if (handle_ != nullptr) s.graveyard.push_back(handle_);
  }
  handle_ = nullptr;
  bury_handles();
}

ConnectResult PahoClient::connect(const ConnectOptions& options) {
  MQTTClient_connectOptions opts = MQTTClient_connectOptions_initializer;
  if (version_ == 5) {
    MQTTClient_connectOptions v5 = MQTTClient_connectOptions_initializer5;
    opts = v5;
    opts.cleanstart = options.clean ? 1 : 0;
  } else {
    opts.MQTTVersion = MQTTVERSION_3_1_1;
    opts.cleansession = options.clean ? 1 : 0;
  }
  opts.keepAliveInterval = options.keep_alive;
  opts.connectTimeout = static_cast<int>(kWait.count() / 1000);
  MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
  if (options.will) {
    will.topicName = options.will->topic.c_str();
    will.message = options.will->payload.c_str();
    will.qos = options.will->qos;
    will.retained = options.will->retain ? 1 : 0;
    opts.will = &will;
  }
  {
    std::lock_guard lock(mutex_);
    connection_lost_ = false;
    server_disconnect_.reset();
  }
  clean_ = options.clean;
  connected_once_ = false;
  disconnect_requested_ = false;
  // A clean session: Paho empties the queue at the CONNACK.
  std::optional<QueueEmptying> emptying;
  if (options.clean) emptying.emplace(id_);
  ConnectResult result;
  if (version_ == 5) {
    Properties connect_properties;
    Properties will_properties;
    if (options.session_expiry) {
      connect_properties.number(MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL, *options.session_expiry);
    }
    if (options.will && options.will->delay_interval) {
      will_properties.number(MQTTPROPERTY_CODE_WILL_DELAY_INTERVAL, *options.will->delay_interval);
    }
    MQTTResponse response =
        MQTTClient_connect5(handle_, &opts, connect_properties.get(), will_properties.get());
    result.rc = as_int(response.reasonCode);
    MQTTResponse_free(response);
  } else {
    result.rc = MQTTClient_connect(handle_, &opts);
  }
  if (version_ == 4) result.session_present = opts.returned.sessionPresent != 0;
  connected_once_ = result.rc == MQTTCLIENT_SUCCESS;
  return result;
}

bool PahoClient::connected() { return MQTTClient_isConnected(handle_) != 0; }

int PahoClient::subscribe(const std::string& filter, int qos, const SubscribeOptions& options) {
  if (version_ == 5) {
    MQTTSubscribe_options sub = MQTTSubscribe_options_initializer;
    sub.noLocal = options.no_local ? 1 : 0;
    sub.retainAsPublished = options.retain_as_published ? 1 : 0;
    sub.retainHandling = static_cast<unsigned char>(options.retain_handling);
    Properties properties;
    if (options.subscription_identifier) {
      properties.number(MQTTPROPERTY_CODE_SUBSCRIPTION_IDENTIFIER,
                        *options.subscription_identifier);
    }
    MQTTResponse response =
        MQTTClient_subscribe5(handle_, filter.c_str(), qos, &sub, properties.get());
    const int rc = as_int(response.reasonCode);
    MQTTResponse_free(response);
    return rc;
  }
  char* topics[] = {const_cast<char*>(filter.c_str())};
  int granted[] = {qos};
  const int rc = MQTTClient_subscribeMany(handle_, 1, topics, granted);
  if (rc < 0) return rc;  // a Paho error: no SUBACK
  return granted[0];      // the granted QoS, or 0x80 (Failure)
}

int PahoClient::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                        const MessageProperties& properties) {
  MQTTClient_message m = MQTTClient_message_initializer;
  m.payload = const_cast<char*>(payload.data());
  m.payloadlen = static_cast<int>(payload.size());
  m.qos = qos;
  m.retained = retain ? 1 : 0;
  MQTTClient_deliveryToken token = 0;
  int rc = 0;
  if (version_ == 5) {
    Properties props;
    add_message_properties(properties, props);
    m.properties = *props.get();  // Paho reads them; `props` frees them
    MQTTResponse response = MQTTClient_publishMessage5(handle_, topic.c_str(), &m, &token);
    rc = as_int(response.reasonCode);
    MQTTResponse_free(response);
  } else {
    rc = MQTTClient_publishMessage(handle_, topic.c_str(), &m, &token);
  }
  if (rc != MQTTCLIENT_SUCCESS || qos == 0) return rc;
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, kWait,
                         [&] { return completed_.count(token) > 0 || connection_lost_; })) {
    return MQTTCLIENT_FAILURE;  // no PUBACK / PUBCOMP in time
  }
  auto it = completed_.find(token);
  if (it == completed_.end()) return MQTTCLIENT_DISCONNECTED;
  rc = it->second;
  completed_.erase(it);
  return rc;
}

void PahoClient::disconnect(int reason, std::optional<std::uint32_t> session_expiry) {
  if (MQTTClient_isConnected(handle_)) disconnect_requested_ = true;
  // 3.1.1 with Clean Session: Paho empties the queue as it disconnects.
  std::optional<QueueEmptying> emptying;
  if (version_ == 4 && clean_) emptying.emplace(id_);
  if (version_ == 5) {
    Properties properties;
    if (session_expiry) {
      properties.number(MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL, *session_expiry);
    }
    MQTTClient_disconnect5(handle_, 0, static_cast<MQTTReasonCodes>(reason), properties.get());
  } else {
    MQTTClient_disconnect(handle_, 0);
  }
}

std::optional<Message> PahoClient::receive(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return !messages_.empty(); })) return std::nullopt;
  Message m = std::move(messages_.front());
  messages_.pop_front();
  return m;
}

std::vector<Message> PahoClient::receive(std::size_t n, milliseconds timeout) {
  std::vector<Message> out;
  const auto deadline = Clock::now() + timeout;
  while (out.size() < n) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    auto m = receive(std::max(left, milliseconds(0)));
    if (!m) break;
    out.push_back(std::move(*m));
  }
  return out;
}

std::vector<Message> PahoClient::receive_until_marker(const std::string& topic) {
  const std::string marker = "marker-" + std::to_string(++marker_count_);
  // QoS 2: Paho hands a QoS 2 message to the application only at PUBREL, so
  // a QoS 0 or 1 one can overtake it. A marker at the subscription's QoS
  // never overtakes anything that subscription got before it.
  EXPECT_EQ(publish(topic, marker, 2), MQTTCLIENT_SUCCESS) << "publishing the marker";
  std::vector<Message> before;
  for (;;) {
    auto m = receive();
    if (!m) {
      ADD_FAILURE() << "the marker published to " << topic << " never came back";
      return before;
    }
    if (m->topic == topic && m->payload == marker) return before;
    before.push_back(std::move(*m));
  }
}

std::optional<int> PahoClient::wait_server_disconnect(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return server_disconnect_.has_value(); });
  return server_disconnect_;
}

bool PahoClient::wait_connection_lost(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return connection_lost_; });
}

int PahoClient::on_message(void* context, char* topic, int topic_length, MQTTClient_message* m) {
  Shared& s = shared();
  std::lock_guard shared_lock(s.mutex);
  // Paho dequeued the earlier messages before calling back with this one.
  free_handed(s);
  const std::uint64_t id = id_of(context);
  if (s.emptying.count(id) > 0) {
    s.abandoned.push_back({id, m, topic});
    return 1;
  }
  s.handed.push_back({id, m, topic});
  PahoClient* self = client_of(s, context);
  if (self == nullptr) return 1;
  Message message;
  message.topic = topic_length > 0 ? std::string(topic, static_cast<std::size_t>(topic_length))
                                   : std::string(topic);
  message.payload.assign(static_cast<const char*>(m->payload),
                         static_cast<std::size_t>(m->payloadlen));
  message.qos = m->qos;
  message.retained = m->retained != 0;
  message.dup = m->dup != 0;
  message.properties = read_message_properties(m->properties);
  {
    std::lock_guard lock(self->mutex_);
    self->messages_.push_back(std::move(message));
  }
  self->changed_.notify_all();
  return 1;
}

void PahoClient::on_connection_lost(void* context, char* /*cause*/) {
  Shared& s = shared();
  std::lock_guard shared_lock(s.mutex);
  PahoClient* self = client_of(s, context);
  if (self == nullptr) return;
  {
    std::lock_guard lock(self->mutex_);
    self->connection_lost_ = true;
  }
  self->changed_.notify_all();
}

void PahoClient::on_delivered(void* context, MQTTClient_deliveryToken token) {
  on_published(context, token, 0, nullptr, MQTTREASONCODE_SUCCESS);
}

void PahoClient::on_published(void* context, int token, int /*packet_type*/,
                              MQTTProperties* /*properties*/, enum MQTTReasonCodes reason) {
  Shared& s = shared();
  std::lock_guard shared_lock(s.mutex);
  PahoClient* self = client_of(s, context);
  if (self == nullptr) return;
  {
    std::lock_guard lock(self->mutex_);
    self->completed_[token] = as_int(reason);
  }
  self->changed_.notify_all();
}

void PahoClient::on_disconnected(void* context, MQTTProperties* /*properties*/,
                                 enum MQTTReasonCodes reason) {
  Shared& s = shared();
  std::lock_guard shared_lock(s.mutex);
  PahoClient* self = client_of(s, context);
  if (self == nullptr) return;
  {
    std::lock_guard lock(self->mutex_);
    self->server_disconnect_ = as_int(reason);
  }
  self->changed_.notify_all();
}

}  // namespace cairn::paho_test
