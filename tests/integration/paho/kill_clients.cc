#include "integration/paho/kill_clients.h"

#include <charconv>
#include <cstring>
#include <system_error>

#include <gtest/gtest.h>

namespace cairn::paho_test {
namespace {

// Paho returns its own negative codes in `enum MQTTReasonCodes` fields, which
// the enum cannot hold: read them as the int they are (as paho_client.cc).
int as_int(const MQTTReasonCodes& code) {
  int value = 0;
  std::memcpy(&value, &code, sizeof value);
  return value;
}

}  // namespace

std::string payload_of(int stream, int cycle, std::size_t seq) {
  return std::string(stream_info(stream).name) + "-" + std::to_string(cycle) + "-" +
         std::to_string(seq);
}

std::optional<PayloadId> parse_payload(std::string_view payload) {
  const auto first = payload.find('-');
  const auto second = payload.find('-', first == std::string_view::npos ? first : first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  PayloadId id;
  for (std::size_t i = 0; i < kStreams.size(); ++i) {
    if (payload.substr(0, first) == kStreams[i].name) id.stream = static_cast<int>(i);
  }
  const auto number = [](std::string_view text, auto& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && error == std::errc() && end == text.data() + text.size();
  };
  if (id.stream < 0 || !number(payload.substr(first + 1, second - first - 1), id.cycle) ||
      !number(payload.substr(second + 1), id.seq) || id.seq >= kMaxSeq ||
      payload != payload_of(id.stream, id.cycle, id.seq)) {
    return std::nullopt;
  }
  return id;
}

// --- publishers -------------------------------------------------------------------

Publisher::Publisher(const std::string& uri, int stream)
    : stream_(stream), info_(stream_info(stream)) {
  MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
  create.MQTTVersion = info_.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  int rc = MQTTClient_createWithOptions(&handle_, uri.c_str(), info_.client_id,
                                        MQTTCLIENT_PERSISTENCE_NONE, nullptr, &create);
  EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_create: " << MQTTClient_strerror(rc);
  const auto lost = [](void* self, char*) { static_cast<Publisher*>(self)->connection_lost(); };
  const auto message = [](void*, char* topic, int, MQTTClient_message* m) {
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
  };
  const auto delivered = [](void* self, MQTTClient_deliveryToken token) {
    static_cast<Publisher*>(self)->completed(token, true);
  };
  // MQTT 5 completions come from the published callback, which has the
  // reason code; deliveryComplete would report them a second time.
  rc = MQTTClient_setCallbacks(handle_, this, lost, message,
                               info_.version == 5 ? nullptr : +delivered);
  EXPECT_EQ(rc, MQTTCLIENT_SUCCESS) << "MQTTClient_setCallbacks";
  // A PUBCOMP comes only after the broker's PUBREC, whatever its own reason
  // code (0x92 if the broker had released the id already): acknowledged. A
  // PUBACK, or a PUBREC (reported only if it refuses), of 0x80 or more is a
  // refusal (D8).
  const auto published = [](void* self, int token, int type, MQTTProperties*,
                            MQTTReasonCodes reason) {
    static_cast<Publisher*>(self)->completed(token, type == kPubcomp || as_int(reason) < 0x80);
  };
  if (info_.version == 5) {
    EXPECT_EQ(MQTTClient_setPublished(handle_, this, published), MQTTCLIENT_SUCCESS);
  }
}

// No Paho callback can reach this Publisher once the handle is destroyed, and
// the handle goes before any member: MQTTClient runs the completion callbacks
// with its own mutex held (which MQTTClient_destroy takes too) and waits for
// its connectionLost thread. messageArrived, which it runs without that mutex
// and follows by touching the handle again, never comes: a publisher
// subscribes to nothing (check_retained's probe shows what happens otherwise).
Publisher::~Publisher() {
  stop();
  if (MQTTClient_isConnected(handle_)) {
    if (info_.version == 5) {
      MQTTClient_disconnect5(handle_, 0, MQTTREASONCODE_SUCCESS, nullptr);
    } else {
      MQTTClient_disconnect(handle_, 0);
    }
  }
  MQTTClient_destroy(&handle_);
}

ConnectResult Publisher::connect() {
  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
  if (info_.version == 5) {
    MQTTClient_connectOptions v5 = MQTTClient_connectOptions_initializer5;
    options = v5;
    options.cleanstart = 0;
  } else {
    options.MQTTVersion = MQTTVERSION_3_1_1;
    options.cleansession = 0;
  }
  options.connectTimeout = 5;
  // No timed re-send on a live connection (3.1.1 and 5 re-send on reconnect
  // only), and Paho's own limit above the window: at it, Paho sleeps 100 ms.
  options.retryInterval = 0;
  options.maxInflightMessages = 2 * info_.window;
  {
    std::lock_guard lock(mutex_);
    lost_ = false;
  }
  ConnectResult result;
  if (info_.version == 5) {
    MQTTProperties properties = MQTTProperties_initializer;
    MQTTProperty expiry{};
    expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
    expiry.value.integer4 = kSessionExpiry;
    MQTTProperties_add(&properties, &expiry);
    MQTTResponse response = MQTTClient_connect5(handle_, &options, &properties, nullptr);
    result.rc = as_int(response.reasonCode);
    MQTTResponse_free(response);
    MQTTProperties_free(&properties);
  } else {
    result.rc = MQTTClient_connect(handle_, &options);
    if (result.rc == 0) result.session_present = options.returned.sessionPresent != 0;
  }
  return result;
}

void Publisher::start(int cycle) {
  {
    std::lock_guard lock(mutex_);
    stop_ = false;
    cycle_starts_.push_back(fates_.size());
  }
  thread_ = std::thread([this, cycle] { run(cycle); });
}

void Publisher::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Publisher::wait_connection_lost(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return lost_; });
}

bool Publisher::wait_idle(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return in_flight_ == 0; });
}

Ledger Publisher::ledger() const {
  std::lock_guard lock(mutex_);
  return Ledger{stream_, fates_, cycle_starts_};
}

void Publisher::run(int cycle) {
  for (;;) {
    std::size_t seq = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || lost_ || in_flight_ < info_.window; });
      if (stop_ || lost_) return;
      seq = fates_.size();
      fates_.push_back(Fate::kInFlight);
      ++in_flight_;
    }
    // Sent without mutex_ held: Paho runs the completion callbacks with its
    // own mutex held, and they take mutex_.
    const std::string payload = payload_of(stream_, cycle, seq);
    MQTTClient_message m = MQTTClient_message_initializer;
    m.payload = const_cast<char*>(payload.data());
    m.payloadlen = static_cast<int>(payload.size());
    m.qos = info_.qos;
    m.retained = info_.retain ? 1 : 0;
    MQTTClient_deliveryToken token = 0;
    int rc = 0;
    if (info_.version == 5) {
      MQTTResponse response = MQTTClient_publishMessage5(handle_, info_.topic, &m, &token);
      rc = as_int(response.reasonCode);
      MQTTResponse_free(response);
    } else {
      rc = MQTTClient_publishMessage(handle_, info_.topic, &m, &token);
    }
    std::unique_lock lock(mutex_);
    if (rc != MQTTCLIENT_SUCCESS) {
      // Refused before anything was written: Paho reports a QoS 1/2 publish
      // cut short by the connection's loss as a success, and sends it again.
      fates_[seq] = Fate::kNotSent;
      --in_flight_;
      changed_.notify_all();
      return;
    }
    // The callback may have come before this thread got the lock back.
    if (auto early = early_.find(token); early != early_.end()) {
      settle(seq, early->second);
      early_.erase(early);
    } else {
      pending_[token] = seq;
    }
    if (info_.pause_ms > 0) {
      changed_.wait_for(lock, milliseconds(info_.pause_ms), [&] { return stop_ || lost_; });
    }
  }
}

void Publisher::connection_lost() {
  {
    std::lock_guard lock(mutex_);
    lost_ = true;
  }
  changed_.notify_all();
}

void Publisher::completed(int token, bool acked) {
  std::lock_guard lock(mutex_);
  if (auto it = pending_.find(token); it != pending_.end()) {
    settle(it->second, acked);
    pending_.erase(it);
  } else {
    early_[token] = acked;
  }
}

void Publisher::settle(std::size_t seq, bool acked) {
  fates_[seq] = acked ? Fate::kAcked : Fate::kRefused;
  --in_flight_;
  changed_.notify_all();
}

// --- subscribers ------------------------------------------------------------------

std::optional<bool> Subscriber::connect(std::uint16_t port) {
  client_ = std::make_unique<RawClient>(port);
  RawConnect c;
  c.version = version_;
  c.client_id = id_;
  c.clean_start = false;
  if (version_ == 5) c.properties.u32(kSessionExpiryInterval, kSessionExpiry);
  const auto ack = client_->handshake(c, kWait);
  if (!ack || ack->reason != 0) return std::nullopt;
  // No session on the broker's side: the client drops its own [MQTT-4.1.0-2].
  if (!ack->session_present) awaiting_pubrel_.clear();
  return ack->session_present;
}

void Subscriber::disconnect() {
  client_->send(disconnect_packet(version_));
  client_->wait_closed(kWait);
  client_.reset();
}

void Subscriber::start_pump() {
  stop_ = false;
  pump_ = std::thread([this] {
    while (!stop_) {
      if (auto packet = client_->read(milliseconds(20))) {
        handle(*packet);
      } else if (client_->peer_closed() || !client_->is_open()) {
        return;
      }
    }
  });
}

void Subscriber::stop_pump() {
  stop_ = true;
  if (pump_.joinable()) pump_.join();
}

void Subscriber::wait_for(std::vector<std::pair<int, std::size_t>> ids,
                          Clock::time_point deadline) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      std::erase_if(ids, [&](const auto& id) {
        const auto& seen = got_.seen[static_cast<std::size_t>(id.first)];
        return id.second < seen.size() && seen[id.second].count > 0;
      });
    }
    if (ids.empty() || Clock::now() >= deadline) return;
    std::this_thread::sleep_for(milliseconds(10));
  }
}

Subscriber::Snapshot Subscriber::snapshot() const {
  std::lock_guard lock(mutex_);
  return got_;
}

void Subscriber::handle(const RawPacket& packet) {
  if (packet.type == kPubrel && packet.body.size() >= 2) {
    const auto packet_id = static_cast<std::uint16_t>(packet.body[0] << 8 | packet.body[1]);
    awaiting_pubrel_.erase(packet_id);
    client_->send(ack_packet(kPubcomp, packet_id));
    return;
  }
  if (packet.type != kPublish) return;
  const RawPublish p = parse_publish(packet, version_);
  std::string reused;
  if (p.qos == 2) {
    auto [it, fresh] = awaiting_pubrel_.try_emplace(p.packet_id, p.payload);
    if (!fresh && it->second != p.payload) {
      reused = "packet id " + std::to_string(p.packet_id) + " came with " + p.payload + " while " +
               it->second + " still awaited its PUBREL";
      it->second = p.payload;
    }
    if (fresh || !reused.empty()) deliver(p, reused);  // else a re-send: no hand-over
    client_->send(ack_packet(kPubrec, p.packet_id));
  } else {
    deliver(p, reused);
    if (p.qos == 1) client_->send(ack_packet(kPuback, p.packet_id));
  }
}

void Subscriber::deliver(const RawPublish& p, std::string problem) {
  std::lock_guard lock(mutex_);
  ++got_.deliveries;
  if (!problem.empty()) got_.problems.add(std::move(problem));
  const auto id = parse_payload(p.payload);
  if (!id || p.topic != stream_info(id->stream).topic) {
    got_.unpublished.add(p.topic + " " + p.payload);
    return;
  }
  if (stream_info(id->stream).qos == 2 && p.qos != 2) {
    got_.problems.add(p.payload + " arrived at QoS " + std::to_string(p.qos) + ", not 2");
  }
  auto& seen = got_.seen[static_cast<std::size_t>(id->stream)];
  if (seen.size() <= id->seq) seen.resize(id->seq + 1);
  Seen& s = seen[id->seq];
  if (s.count > 0 && s.cycle != id->cycle) got_.unpublished.add(p.topic + " " + p.payload);
  s.cycle = id->cycle;
  ++s.count;
}

}  // namespace cairn::paho_test
