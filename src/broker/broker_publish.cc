// Broker, the publish path: routing a message (committed before anyone sees
// it or it is acknowledged: D1, D2, D4), the queue limit and its policy, and
// the progress of deliveries (D3).
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "broker/broker.h"

namespace cairn::broker {
namespace {

using model::QoS;

std::shared_ptr<SessionOwner> owner_of(const Session& s) { return s.owner.lock(); }

}  // namespace

// --- publish -----------------------------------------------------------------

// What one subscription receives of a message routed to it.
session::Delivery Broker::delivery_for(const model::MessagePtr& message, const RouteTarget& target,
                                       std::chrono::steady_clock::time_point now) {
  session::Delivery d;
  d.message = message;
  d.queued_at = now;
  d.qos = std::min(message->qos, target.qos);  // [MQTT-3.8.4-8]
  // [MQTT-3.3.1-12], [MQTT-3.3.1-13]: a routed message keeps RETAIN only when
  // the subscription asked for Retain As Published.
  d.retain = message->retain && target.retain_as_published;
  d.subscription_ids = target.subscription_ids;
  return d;
}

void Broker::route(const std::shared_ptr<Session>& publisher, const session::RoutePublish& request,
                   Done done) {
  route_with(publisher, request, {}, std::move(done));
}

void Broker::route_with(const std::shared_ptr<Session>& publisher,
                        const session::RoutePublish& request, std::vector<storage::Operation> also,
                        Done done) {
  const model::MessagePtr& message = request.message;
  // A refused message still commits what comes with it.
  auto refuse = [&](std::error_code why) {
    if (!also.empty()) submit(storage::Batch{std::move(also)}, [](std::error_code) {});
    if (done) done(why);
  };
  if (message->qos != QoS::kAtMostOnce && store_.failed()) {
    // D8: once the store has failed no QoS 1/2 publish is acknowledged, not
    // even one that only non-persistent sessions receive (nothing to store).
    return refuse(storage::StoreErrc::kFailed);
  }
  const bool space_low = !request.will && store_.space_low();
  if (message->qos != QoS::kAtMostOnce && space_low) {
    // Refused before anything is stored or routed: the publisher keeps it
    // and may send it again once space returns (D8).
    ++counters_.publishes_refused_no_space;
    return refuse(storage::StoreErrc::kNoSpace);
  }
  // A QoS 0 retained update cannot be refused (no ack): it is delivered,
  // and the retained value, in memory as on disk, stays what it was.
  const bool retained = message->retain && !space_low;
  if (message->retain && space_low) {
    count_refused_write(fmt::format(
        "the retained message of '{}' is left as it was, the QoS 0 publish only delivered",
        message->topic));
  }
  std::vector<RouteTarget> targets;
  router_.match(*message, targets);
  ++counters_.messages_routed;

  storage::Batch batch;
  std::vector<Queued> queued;
  queued.reserve(targets.size());
  const storage::MessageId message_id = next_message_id_++;
  const bool refuse_when_full = settings_.queue_full_policy == QueueFullPolicy::kRefuse;
  const auto queued_at = std::chrono::steady_clock::now();
  bool refused_full = false;
  for (const RouteTarget& target : targets) {
    std::shared_ptr<Session> session = find(target.session);
    if (!session) continue;
    session::Delivery d = delivery_for(message, target, queued_at);
    {
      std::lock_guard lock(session->mutex);
      if (session->ended) continue;
      // QoS 0 is not queued for a disconnected session.
      if (d.qos == QoS::kAtMostOnce && !session->online) continue;
      // What is not stored (QoS 0, a non-persistent session's) cannot wait
      // on disk: its memory is bounded by the memory window (D7).
      const bool unstored = d.qos == QoS::kAtMostOnce || !session->stores_deliveries();
      const bool full = queue_full(*session) || (unstored && memory_full(*session));
      if (d.qos != QoS::kAtMostOnce && refuse_when_full && full) {
        // Nobody gets it and nothing is stored: the publisher still has it
        // (limits.queue_full_policy = "refuse"). Logged at the 1st, 2nd,
        // 4th... refusal for a session.
        ++counters_.publishes_refused_queue_full;
        const std::uint64_t refused = ++session->refused_queue_full;
        if ((refused & (refused - 1)) == 0) {
          spdlog::warn(
              "client '{}': queue full ({} messages, {} bytes; limits.max_queued_messages, "
              "limits.max_queued_mb, or limits.memory_window_mb for a non-persistent "
              "session), a publish on '{}' to it is refused "
              "(limits.queue_full_policy = \"refuse\"); {} refused so far",
              session->state.client_id, session->state.queue.size() + session->paged.count,
              session->state.queue.bytes() + session->paged.bytes, message->topic, refused);
        }
        refused_full = true;  // refused below, once this session's lock is released
        break;
      }
      if (full) {
        // Dropped for this session before anything is stored for it, so a
        // restart cannot bring it back (QoS 0, or "drop").
        count_drop(*session, *message);
        continue;
      }
      if (!unstored) {
        d.sequence = session->next_sequence++;
        storage::PutDelivery record;
        record.client_id = session->state.client_id;
        record.sequence = d.sequence;
        record.message_id = message_id;
        record.qos = d.qos;
        record.retain = d.retain;
        record.subscription_ids = d.subscription_ids;
        // Submitted after this loop: the session may have ended by then (batch.h).
        record.session_ended = session->ended_flag;
        batch.operations.push_back(std::move(record));
      }
    }
    queued.push_back({std::move(session), std::move(d)});
  }
  if (refused_full) return refuse(BrokerErrc::kQueueFull);
  if (!batch.empty()) {
    batch.operations.insert(batch.operations.begin(), storage::PutMessage{message_id, message});
  }
  if (retained) {
    if (message->payload.empty()) {
      batch.operations.push_back(storage::RemoveRetained{message->topic});
    } else {
      batch.operations.push_back(storage::PutRetained{message});
    }
  }
  for (storage::Operation& op : also) batch.operations.push_back(std::move(op));
  if (request.qos2_packet_id != 0) {
    std::lock_guard lock(publisher->mutex);
    if (publisher->state.persistent()) {
      batch.operations.push_back(storage::PutIncomingQos2{
          publisher->state.client_id, request.qos2_packet_id, publisher->ended_flag});
    }
  }
  // A retained update takes its place in its topic's order and goes to the
  // store under one lock, so the order the index keeps is the order the
  // store writes (RetainedUpdateOrder). Submitting only queues the batch.
  std::unique_lock<std::mutex> retained_lock;
  if (retained) retained_lock = std::unique_lock(retained_submit_mutex_);
  if (batch.empty() || message->qos == QoS::kAtMostOnce) {
    // QoS 0 never waits (DESIGN.md §2): subscribers, and the retained index,
    // have it now; its retained update still commits.
    if (retained) router_.set_retained(message);
    if (!batch.empty()) submit(std::move(batch), [](std::error_code) {});
    if (retained_lock) retained_lock.unlock();
    enqueue(queued);
    if (done) done(std::error_code{});
    return;
  }
  const std::uint64_t retained_place = retained ? router_.expect_retained(message->topic) : 0;
  // D2: subscribers see it, and the retained index changes, only once it is
  // committed; D1: `done` (the PUBACK/PUBREC) only then too.
  submit(std::move(batch),
         [this, message, retained, retained_place, queued = std::move(queued), publisher,
          qos2_id = request.qos2_packet_id, done = std::move(done)](std::error_code ec) mutable {
           if (retained) router_.settle_retained(message, retained_place, !ec);
           if (!ec) enqueue(queued);
           if (qos2_id != 0 && publisher) {
             // D4: the dedup entry is settled here, with the session, not only in
             // the connection's machine: the connection may be gone by now, and the
             // client's re-sent PUBLISH after a reconnect must find it committed.
             std::lock_guard lock(publisher->mutex);
             auto& incoming = publisher->state.incoming_qos2;
             if (ec) {
               incoming.erase(qos2_id);
             } else if (auto it = incoming.find(qos2_id); it != incoming.end()) {
               it->second = true;
             }
           }
           if (done) done(ec);
         });
}

void Broker::count_refused_write(const std::string& what) {
  // Logged at the 1st, 2nd, 4th, 8th... refusal: a flood stays readable.
  const std::uint64_t refused = ++counters_.writes_refused_no_space;
  if ((refused & (refused - 1)) == 0) {
    spdlog::warn(
        "the data volume is low on space (storage.min_free_space_mb): {}; {} refused so far", what,
        refused);
  }
}

bool Broker::memory_full(const Session& session, std::uint64_t pending_bytes) const {
  return settings_.memory_window_bytes != 0 &&
         session.state.queue.bytes() + pending_bytes >= settings_.memory_window_bytes;
}

bool Broker::queue_full(const Session& session, const Pending& pending) const {
  const session::SessionState& state = session.state;
  // Messages an online client's window has room for are not waiting: they
  // leave at its connection's next pump [limits.max_queued_messages].
  const std::size_t room =
      state.send_window > state.inflight.size() ? state.send_window - state.inflight.size() : 0;
  const PagedTail& tail = session.paged;
  if (settings_.max_queued_bytes != 0 &&
      state.queue.bytes() + tail.bytes + pending.bytes >= settings_.max_queued_bytes) {
    return true;
  }
  return state.queue.size() + tail.count + pending.count >= settings_.max_queued + room;
}

void Broker::count_drop(Session& session, const model::Message& message, const Pending& pending) {
  ++counters_.deliveries_dropped_queue_full;
  // Logged at the 1st, 2nd, 4th, 8th... drop of a session: every episode is
  // visible without one line per message.
  const std::uint64_t dropped = ++session.dropped_queue_full;
  if ((dropped & (dropped - 1)) == 0) {
    spdlog::warn(
        "client '{}': queue full ({} messages, {} bytes; limits.max_queued_messages, "
        "limits.max_queued_mb, or limits.memory_window_mb for what cannot wait on disk: QoS 0 "
        "and non-persistent sessions), message on '{}' dropped for it; {} dropped so far",
        session.state.client_id, session.state.queue.size() + session.paged.count + pending.count,
        session.state.queue.bytes() + session.paged.bytes + pending.bytes, message.topic, dropped);
  }
}

void Broker::enqueue(std::vector<Queued>& queued) {
  for (Queued& q : queued) {
    std::shared_ptr<SessionOwner> owner;
    {
      std::lock_guard lock(q.session->mutex);
      if (q.session->ended) continue;
      auto& queue = q.session->state.queue;
      // A stored delivery was checked against the limit before its commit
      // and is never dropped after it (its record would outlive the drop):
      // commits in flight at the check may take the queue a little past the
      // limit. What was never stored is checked again here.
      if (q.delivery.sequence == 0 && (queue_full(*q.session) || memory_full(*q.session))) {
        count_drop(*q.session, *q.delivery.message);
        continue;
      }
      ++counters_.deliveries_queued;
      // Past the memory window, a stored delivery stays on disk (D7); its
      // connection reads it back when the window has room.
      if (page_out(*q.session, q.delivery)) continue;
      queue.push_back(std::move(q.delivery));
      owner = owner_of(*q.session);
    }
    if (owner) owner->deliveries_ready();
  }
}

void Broker::release_incoming(const std::shared_ptr<Session>& session,
                              const session::ReleaseIncoming& request, Done done) {
  storage::Batch batch;
  {
    std::lock_guard lock(session->mutex);
    if (session->state.persistent()) {
      batch.operations.push_back(storage::RemoveIncomingQos2{
          session->state.client_id, request.packet_id, session->ended_flag});
    }
  }
  submit(std::move(batch), std::move(done));
}

void Broker::delivery_done(const std::shared_ptr<Session>& session,
                           const session::DeliveryDone& request) {
  if (request.sequence == 0) return;
  deliveries_done(session, std::span<const std::uint64_t>(&request.sequence, 1));
}

void Broker::deliveries_done(const std::shared_ptr<Session>& session,
                             std::span<const std::uint64_t> sequences) {
  storage::Batch batch;
  batch.operations.reserve(sequences.size());
  {
    std::lock_guard lock(session->mutex);
    for (std::uint64_t sequence : sequences) {
      if (sequence != 0) {
        batch.operations.push_back(
            storage::RemoveDelivery{session->state.client_id, sequence, session->ended_flag});
      }
    }
  }
  // Nobody waits for it and losing it only re-delivers (storage/batch.h): it
  // rides with the next synced write instead of paying for one.
  batch.deferrable = true;
  if (!batch.empty()) submit(std::move(batch), [](std::error_code) {});
}

void Broker::record_sent(const std::shared_ptr<Session>& session,
                         const session::RecordSent& request, Done done) {
  storage::Batch batch;
  {
    std::lock_guard lock(session->mutex);
    batch.operations.push_back(storage::RecordSent{session->state.client_id, request.sequence,
                                                   request.packet_id, session->ended_flag});
  }
  submit(std::move(batch), std::move(done));
}

void Broker::record_pubrel(const std::shared_ptr<Session>& session,
                           const session::RecordPubrel& request, Done done) {
  storage::Batch batch;
  {
    std::lock_guard lock(session->mutex);
    batch.operations.push_back(storage::MarkDeliveryReleased{
        session->state.client_id, request.sequence, request.packet_id, session->ended_flag});
  }
  submit(std::move(batch), std::move(done));
}

}  // namespace cairn::broker
