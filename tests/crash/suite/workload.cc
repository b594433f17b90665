#include "suite/workload.h"

#include <charconv>
#include <variant>

namespace cairn::crashtest {
namespace {

constexpr milliseconds kWait{5000};
constexpr std::uint32_t kSessionExpiry = 3600;

mqtt::Connect persistent_connect(const std::string& client_id, mqtt::ProtocolVersion version) {
  mqtt::Connect c;
  c.version = version;
  c.client_id = client_id;
  c.clean_start = false;
  if (version == mqtt::ProtocolVersion::kV5) {
    c.properties.session_expiry_interval = kSessionExpiry;
  }
  return c;
}

bool succeeded(mqtt::ReasonCode code) { return !mqtt::is_failure(code); }

}  // namespace

std::string payload_of(std::string_view stream, std::uint64_t seq) {
  return std::string(stream) + ":" + std::to_string(seq);
}

std::optional<PayloadId> parse_payload(std::string_view payload) {
  const auto colon = payload.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  PayloadId id;
  id.stream = std::string(payload.substr(0, colon));
  const std::string_view digits = payload.substr(colon + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id.seq);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      payload != payload_of(id.stream, id.seq)) {
    return std::nullopt;
  }
  return id;
}

// --- Publisher --------------------------------------------------------------------

Publisher::Publisher(StreamSpec spec, std::string client_id)
    : spec_(std::move(spec)), client_id_(std::move(client_id)) {}

mqtt::Publish Publisher::publish_of(std::uint64_t seq, std::uint16_t id, bool dup) const {
  mqtt::Publish p;
  p.topic = spec_.topic;
  p.payload = payload_of(spec_.name, seq);
  p.qos = static_cast<mqtt::QoS>(spec_.qos);
  p.retain = spec_.retain;
  p.packet_id = id;
  p.dup = dup;
  if (spec_.expiry_s > 0) p.properties.message_expiry_interval = spec_.expiry_s;
  return p;
}

std::optional<bool> Publisher::connect(std::uint16_t port) {
  std::lock_guard lock(mutex_);
  const auto connack = link_.open(port, persistent_connect(client_id_, spec_.version), kWait);
  if (!connack || connack->reason_code != mqtt::ReasonCode::kSuccess) return std::nullopt;
  // [MQTT-4.4.0-1]: what is in flight goes again, in order, with DUP.
  for (const auto& [id, pending] : pending_) {
    if (pending.released) {
      mqtt::Pubrel rel;
      rel.packet_id = id;
      link_.send(rel);
    } else {
      link_.send(publish_of(pending.seq, id, true));
    }
  }
  return connack->session_present;
}

void Publisher::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Publisher::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Publisher::run() {
  while (!stop_ && !link_.closed()) {
    {
      std::lock_guard lock(mutex_);
      while (static_cast<int>(pending_.size()) < spec_.window && !stop_ &&
             Clock::now() >= backoff_until_) {
        while (pending_.contains(next_id_) || next_id_ == 0) ++next_id_;
        const std::uint16_t id = next_id_++;
        const std::uint64_t seq = fates_.size();
        fates_.push_back(Fate::kInFlight);
        pending_[id] = Pending{seq, false};
        if (!link_.send(publish_of(seq, id, false))) break;
        if (spec_.pause_ms > 0) break;
      }
    }
    if (spec_.pause_ms > 0) std::this_thread::sleep_for(milliseconds(spec_.pause_ms));
    std::optional<mqtt::Packet> p = link_.read(milliseconds(spec_.pause_ms > 0 ? 1 : 20));
    while (p) {
      {
        std::lock_guard lock(mutex_);
        handle(*p);
      }
      p = link_.read(milliseconds(0));
    }
  }
}

bool Publisher::handle(const mqtt::Packet& packet) {
  if (const auto* ack = std::get_if<mqtt::Puback>(&packet)) {
    auto it = pending_.find(ack->packet_id);
    if (it == pending_.end()) return false;
    fates_[it->second.seq] = succeeded(ack->reason_code) ? Fate::kAcked : Fate::kRefused;
    if (!succeeded(ack->reason_code)) backoff_until_ = Clock::now() + milliseconds(20);
    pending_.erase(it);
  } else if (const auto* rec = std::get_if<mqtt::Pubrec>(&packet)) {
    auto it = pending_.find(rec->packet_id);
    if (it == pending_.end()) return false;
    if (!succeeded(rec->reason_code)) {
      fates_[it->second.seq] = Fate::kRefused;
      backoff_until_ = Clock::now() + milliseconds(20);
      pending_.erase(it);
      return true;
    }
    fates_[it->second.seq] = Fate::kAcked;  // the broker owns it from PUBREC on
    it->second.released = true;
    mqtt::Pubrel rel;
    rel.packet_id = rec->packet_id;
    link_.send(rel);
  } else if (const auto* comp = std::get_if<mqtt::Pubcomp>(&packet)) {
    pending_.erase(comp->packet_id);
  }
  return true;
}

bool Publisher::settle(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (pending_.empty()) return true;
    }
    if (link_.closed()) return false;
    std::optional<mqtt::Packet> p = link_.read(milliseconds(20));
    if (p) {
      std::lock_guard lock(mutex_);
      handle(*p);
    }
  }
  std::lock_guard lock(mutex_);
  return pending_.empty();
}

std::vector<Fate> Publisher::fates() const {
  std::lock_guard lock(mutex_);
  return fates_;
}

// --- Subscriber -------------------------------------------------------------------

std::optional<bool> Subscriber::connect(std::uint16_t port) {
  mqtt::Connect c = persistent_connect(options_.client_id, options_.version);
  if (options_.receive_maximum > 0) c.properties.receive_maximum = options_.receive_maximum;
  const auto connack = link_.open(port, c, kWait);
  if (!connack || connack->reason_code != mqtt::ReasonCode::kSuccess) return std::nullopt;
  // No session on the broker's side: the client drops its own [MQTT-4.1.0-2].
  if (!connack->session_present) awaiting_pubrel_.clear();
  std::lock_guard lock(mutex_);
  counts_.first_after_connect.reset();
  return connack->session_present;
}

bool Subscriber::subscribe() {
  mqtt::Subscribe s;
  s.packet_id = 1;
  mqtt::TopicSubscription t;
  t.filter = options_.filter;
  t.options.max_qos = options_.qos;
  s.subscriptions.push_back(t);
  if (!link_.send(s)) return false;
  const auto deadline = Clock::now() + kWait;
  while (Clock::now() < deadline) {
    std::optional<mqtt::Packet> p = link_.read(milliseconds(100));
    if (!p && link_.closed()) return false;
    if (!p) continue;
    if (const auto* ack = std::get_if<mqtt::Suback>(&*p)) {
      return ack->reason_codes.size() == 1 && succeeded(ack->reason_codes[0]);
    }
    handle(*p);
  }
  return false;
}

void Subscriber::disconnect() {
  link_.send(mqtt::Disconnect{});
  // Until the broker closes: it has read the DISCONNECT and kept the session.
  while (!link_.closed()) {
    if (!link_.read(kWait)) break;
  }
  link_.close();
}

void Subscriber::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_ && !link_.closed()) {
      if (std::optional<mqtt::Packet> p = link_.read(milliseconds(20))) handle(*p);
    }
  });
}

void Subscriber::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Subscriber::handle(const mqtt::Packet& packet) {
  if (const auto* rel = std::get_if<mqtt::Pubrel>(&packet)) {
    awaiting_pubrel_.erase(rel->packet_id);
    mqtt::Pubcomp comp;
    comp.packet_id = rel->packet_id;
    link_.send(comp);
    return;
  }
  const auto* p = std::get_if<mqtt::Publish>(&packet);
  if (p == nullptr) return;
  if (options_.delay_ms > 0) std::this_thread::sleep_for(milliseconds(options_.delay_ms));
  bool fresh = true;
  if (p->qos == mqtt::QoS::kAtLeastOnce) {
    mqtt::Puback ack;
    ack.packet_id = p->packet_id;
    link_.send(ack);
  } else if (p->qos == mqtt::QoS::kExactlyOnce) {
    fresh = awaiting_pubrel_.insert(p->packet_id).second;
    mqtt::Pubrec rec;
    rec.packet_id = p->packet_id;
    link_.send(rec);
  }
  if (!fresh) return;
  std::lock_guard lock(mutex_);
  ++counts_.deliveries;
  if (!counts_.first_after_connect) counts_.first_after_connect = Clock::now();
  const auto id = parse_payload(p->payload);
  if (!id || id->seq > 100'000'000) {
    counts_.unpublished.push_back(p->payload);
    return;
  }
  auto& seen = counts_.seen[id->stream];
  if (seen.size() <= id->seq) seen.resize(id->seq + 1, 0);
  ++seen[id->seq];
}

std::size_t Subscriber::first_missing(const std::string& stream, const std::vector<Fate>& fates,
                                      std::size_t from) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.seen.find(stream);
  for (std::size_t seq = from; seq < fates.size(); ++seq) {
    if (fates[seq] != Fate::kAcked) continue;
    if (it == counts_.seen.end() || seq >= it->second.size() || it->second[seq] == 0) return seq;
  }
  return fates.size();
}

std::uint32_t Subscriber::seen(const std::string& stream, std::uint64_t seq) const {
  std::lock_guard lock(mutex_);
  return counts_.times_seen(stream, seq);
}

Subscriber::Counts Subscriber::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::optional<std::string> read_retained(std::uint16_t port, const std::string& topic,
                                         milliseconds timeout) {
  MqttLink link;
  mqtt::Connect c;
  c.version = mqtt::ProtocolVersion::kV311;
  c.client_id = "crashtest-retained-probe";
  const auto connack = link.open(port, c, kWait);
  if (!connack || connack->reason_code != mqtt::ReasonCode::kSuccess) return std::nullopt;
  mqtt::Subscribe s;
  s.packet_id = 1;
  mqtt::TopicSubscription t;
  t.filter = topic;
  t.options.max_qos = mqtt::QoS::kAtLeastOnce;
  s.subscriptions.push_back(t);
  link.send(s);
  const auto deadline = Clock::now() + timeout;
  std::optional<std::string> value;
  while (Clock::now() < deadline && !value) {
    std::optional<mqtt::Packet> p = link.read(milliseconds(50));
    if (!p && link.closed()) break;
    if (!p) continue;
    if (const auto* m = std::get_if<mqtt::Publish>(&*p); m != nullptr && m->retain) {
      if (m->qos == mqtt::QoS::kAtLeastOnce) {
        mqtt::Puback ack;
        ack.packet_id = m->packet_id;
        link.send(ack);
      }
      value = m->payload;
    }
  }
  link.send(mqtt::Disconnect{});
  return value;
}

}  // namespace cairn::crashtest
