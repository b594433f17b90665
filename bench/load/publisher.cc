#include "load/publisher.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <boost/asio/post.hpp>

#include "load/message_header.h"

namespace cairn::load {

namespace asio = boost::asio;

namespace {
// Messages encoded per window check: bounds the work done between reads.
constexpr std::uint64_t kBatch = 256;
// A QoS 0 publisher whose window has not moved for this long stops waiting
// for the messages outstanding: the broker dropped them.
constexpr auto kStallTimeout = std::chrono::seconds(1);
}  // namespace

Publisher::Publisher(asio::io_context& io, const asio::ip::tcp::endpoint& broker, Config config,
                     RunState& run, Settings settings)
    : Connection(io, broker, std::move(config), run),
      settings_(std::move(settings)),
      stall_timer_(io) {
  mqtt::Publish publish;
  publish.qos = static_cast<mqtt::QoS>(settings_.qos);
  publish.topic = settings_.topic;
  publish.payload.assign(settings_.payload, '\0');
  publish_ = std::move(publish);
  if (settings_.qos > 0) ids_.assign(65536, kFree);
}

void Publisher::begin() {
  asio::post(io(), [this] {
    protocol_limit_ = std::min<std::uint32_t>(settings_.window, server_receive_maximum());
    // Resume in batches of an eighth of the window, not one message at a
    // time: against a broker that sends one packet per write, single-message
    // writes would make cairn-load's system calls the bottleneck.
    min_batch_ = std::max<std::uint32_t>(1, protocol_limit_ / 8);
    pump();
  });
}

void Publisher::wake() {
  if (blocked_.load() && blocked_.exchange(false)) asio::post(io(), [this] { pump(); });
}

std::uint64_t Publisher::window_room() const noexcept {
  std::uint64_t slowest = std::numeric_limits<std::uint64_t>::max();
  for (const Stream* stream : streams_) slowest = std::min(slowest, stream->front.load());
  if (streams_.empty()) slowest = next_sequence_;
  const std::uint64_t end = std::max(slowest, given_up_to_) + settings_.window;
  return end > next_sequence_ ? end - next_sequence_ : 0;
}

void Publisher::pump() {
  const Phase phase = run().phase.load(std::memory_order_relaxed);
  if (!is_open() || protocol_limit_ == 0 || (phase != Phase::kWarmup && phase != Phase::kMeasure)) {
    return;
  }
  for (;;) {
    const std::uint64_t remaining = settings_.limit == 0 ? std::numeric_limits<std::uint64_t>::max()
                                                         : settings_.limit - next_sequence_;
    if (remaining == 0) break;
    // The last messages of a limited run go out even when fewer than a batch.
    const std::uint64_t batch = std::min<std::uint64_t>(min_batch_, remaining);
    std::uint64_t room = window_room();
    if (settings_.qos > 0) {
      const std::uint64_t free_ids = protocol_limit_ - in_flight();
      if (free_ids < batch) break;  // the broker's acks will pump again
      room = std::min(room, free_ids);
    }
    if (room < batch) {
      // Full: ask the subscribers for a wake-up, then look again, so a stream
      // that moved in between is not missed (both sides are seq_cst).
      blocked_.store(true);
      if (window_room() >= batch) {
        blocked_.store(false);
        continue;
      }
      if (settings_.qos == 0) watch_for_stall();
      break;
    }
    for (std::uint64_t i = std::min({room, remaining, kBatch}); i > 0; --i) publish_one();
  }
  flush();
}

void Publisher::watch_for_stall() {
  if (stall_timer_armed_) return;
  stall_timer_armed_ = true;
  const std::uint64_t end_then = next_sequence_ + window_room();
  stall_timer_.expires_after(kStallTimeout);
  stall_timer_.async_wait([this, end_then](const boost::system::error_code& error) {
    stall_timer_armed_ = false;
    const Phase phase = run().phase.load(std::memory_order_relaxed);
    // Not blocked any more: pump() watches again when it blocks.
    if (error || !blocked_.load() || (phase != Phase::kWarmup && phase != Phase::kMeasure)) return;
    if (next_sequence_ + window_room() != end_then) {  // moved, if slowly
      watch_for_stall();
      return;
    }
    // Nothing moved for kStallTimeout: what is outstanding is lost (QoS 0
    // allows it). Stop waiting for it; the end of the run counts it.
    given_up_to_ = next_sequence_;
    blocked_.store(false);
    pump();
  });
}

void Publisher::publish_one() {
  auto& publish = std::get<mqtt::Publish>(publish_);
  write_header({settings_.id, next_sequence_, now_ns()}, publish.payload.data());
  if (settings_.qos > 0) {
    publish.packet_id = allocate_id();
    ids_[publish.packet_id] = settings_.qos == 1 ? kAwaitPuback : kAwaitPubrec;
    in_flight_.store(in_flight() + 1, std::memory_order_relaxed);
  }
  send(publish_);
  ++next_sequence_;
  sent_.store(next_sequence_, std::memory_order_relaxed);
}

std::uint16_t Publisher::allocate_id() {
  // At most 65535 ids are in use (protocol_limit_), so one is free.
  do {
    if (++last_id_ == 0) last_id_ = 1;
  } while (ids_[last_id_] != kFree);
  return last_id_;
}

void Publisher::release(std::uint16_t id) {
  ids_[id] = kFree;
  in_flight_.store(in_flight() - 1, std::memory_order_relaxed);
  acked_.store(acked() + 1, std::memory_order_relaxed);
}

bool Publisher::expect(std::uint16_t id, IdState state, const char* packet) {
  if (!ids_.empty() && ids_[id] == state) return true;
  fail(std::string(packet) + " for packet id " + std::to_string(id) + ", which awaits none");
  return false;
}

void Publisher::on_packet(mqtt::Packet& packet, std::uint64_t) {
  if (const auto* puback = std::get_if<mqtt::Puback>(&packet)) {
    if (!expect(puback->packet_id, kAwaitPuback, "PUBACK")) return;
    if (mqtt::is_failure(puback->reason_code)) {
      fail("publish refused: PUBACK reason code " +
           std::to_string(static_cast<int>(puback->reason_code)));
      return;
    }
    release(puback->packet_id);
  } else if (const auto* pubrec = std::get_if<mqtt::Pubrec>(&packet)) {
    if (!expect(pubrec->packet_id, kAwaitPubrec, "PUBREC")) return;
    if (mqtt::is_failure(pubrec->reason_code)) {
      fail("publish refused: PUBREC reason code " +
           std::to_string(static_cast<int>(pubrec->reason_code)));
      return;
    }
    ids_[pubrec->packet_id] = kAwaitPubcomp;
    std::get<mqtt::Pubrel>(pubrel_).packet_id = pubrec->packet_id;
    send(pubrel_);
  } else if (const auto* pubcomp = std::get_if<mqtt::Pubcomp>(&packet)) {
    if (!expect(pubcomp->packet_id, kAwaitPubcomp, "PUBCOMP")) return;
    release(pubcomp->packet_id);
  } else {
    fail("unexpected packet type " + std::to_string(static_cast<int>(mqtt::packet_type(packet))) +
         " to a publisher");
  }
}

void Publisher::on_read_done() {
  if (settings_.qos > 0) pump();
}

}  // namespace cairn::load
