#include "broker/broker.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

namespace cairn::broker {
namespace {

using model::QoS;

constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;

std::shared_ptr<SessionOwner> owner_of(const Session& s) { return s.owner.lock(); }

}  // namespace

Broker::Broker(storage::DurableStore& store, BrokerSettings settings)
    : store_(store), settings_(settings) {}

void Broker::submit(storage::Batch batch, Done done) {
  if (batch.empty()) return done(std::error_code{});
  store_.submit(std::move(batch), std::move(done));
}

std::shared_ptr<Session> Broker::find(model::SessionId id) const {
  std::lock_guard lock(registry_mutex_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::size_t Broker::session_count() const {
  std::lock_guard lock(registry_mutex_);
  return by_id_.size();
}

// --- sessions ----------------------------------------------------------------

Broker::Attachment Broker::attach(const session::AttachSession& request,
                                  std::weak_ptr<SessionOwner> owner, model::WallTime now) {
  // Two CONNECTs with one client identifier must not both create a session.
  std::lock_guard attaching(attach_mutex_);
  std::shared_ptr<Session> existing;
  {
    std::lock_guard lock(registry_mutex_);
    if (auto it = by_client_id_.find(request.client_id); it != by_client_id_.end()) {
      existing = it->second;
    }
  }
  Attachment result;
  std::shared_ptr<SessionOwner> previous_owner;
  std::optional<session::ScheduleWill> will_to_publish;
  std::vector<storage::Operation> with_will;  // committed with it: the session's end
  if (existing) {
    std::lock_guard lock(existing->mutex);
    previous_owner = owner_of(*existing);
    if (!request.clean_start) {
      // Resume: the session and its queue carry on [MQTT-3.1.2-5]; a will
      // waiting for its delay is not sent [MQTT-3.1.3-9].
      existing->owner = owner;
      existing->online = true;
      existing->expires_at.reset();
      existing->disconnected_at.reset();
      existing->pending_will.reset();
      existing->will_at.reset();
      existing->paged.unreadable = false;  // a new connection tries its tail again
      result = {existing, ++existing->generation, true};
    } else {
      // Clean Start ends the old session: its pending will goes out now.
      result.discarded_stored = existing->stored;
      will_to_publish = std::move(existing->pending_will);
      existing->pending_will.reset();
      if (will_to_publish && existing->stored) {
        with_will.push_back(storage::RemoveSession{existing->state.client_id});
        existing->stored = false;  // end_session need not remove it again
        // Set before its removal is submitted (storage::SessionEnded).
        existing->ended_flag->store(true, std::memory_order_release);
      }
      ++existing->generation;
    }
  }
  if (previous_owner) previous_owner->kick(mqtt::ReasonCode::kSessionTakenOver);
  if (will_to_publish) publish_will(std::move(*will_to_publish), now, std::move(with_will));
  if (result.session) {
    router_.set_online(result.session->id(), true);
    return result;
  }
  if (existing) end_session(existing);
  auto session = std::make_shared<Session>(next_session_id_++, request.client_id);
  session->owner = std::move(owner);
  session->online = true;
  session->generation = 1;
  {
    std::lock_guard lock(registry_mutex_);
    by_client_id_[request.client_id] = session;
    by_id_[session->id()] = session;
  }
  router_.set_online(session->id(), true);
  return {session, 1, false, result.discarded_stored};
}

void Broker::detach(const std::shared_ptr<Session>& session, std::uint64_t generation,
                    const session::DetachSession& request, model::WallTime now) {
  // A session that ends here ends with no attach() in between: one resuming
  // it is either first (this connection was taken over) or finds it gone.
  std::unique_lock<std::mutex> attaching;
  if (request.expiry_interval == 0) attaching = std::unique_lock(attach_mutex_);
  bool end = false;
  storage::Batch record;
  {
    std::lock_guard lock(session->mutex);
    if (session->generation != generation || session->ended) return;  // taken over
    session->owner.reset();
    session->online = false;
    session->connection_will.reset();
    session->state.expiry_interval = request.expiry_interval;
    if (request.expiry_interval == 0) {
      end = true;
    } else {
      if (request.expiry_interval != kNeverExpires) {
        session->expires_at = now + std::chrono::seconds(request.expiry_interval);
      }
      session->disconnected_at = now;
      // Its stored deliveries wait on disk until it is back (D7).
      page_out_queue(*session);
      // The disconnect time and any will waiting for its delay, so that a
      // restart counts the downtime. Nothing waits on it: at worst a crash
      // before it commits counts the session as disconnected at the restart.
      if (session->stored) record.operations.push_back(session_record(*session));
    }
  }
  if (!record.empty()) submit(std::move(record), [](std::error_code) {});
  router_.set_online(session->id(), false);
  if (end) {
    // [MQTT-3.1.3-9]: a will still waiting goes out when the session ends.
    std::optional<session::ScheduleWill> will;
    std::vector<storage::Operation> with_will;  // committed with it: the session's end
    {
      std::lock_guard lock(session->mutex);
      will = std::move(session->pending_will);
      session->pending_will.reset();
      if (will && session->stored) {
        with_will.push_back(storage::RemoveSession{session->state.client_id});
        session->stored = false;  // end_session need not remove it again
        session->ended_flag->store(true, std::memory_order_release);
      }
    }
    if (will) publish_will(std::move(*will), now, std::move(with_will));
    end_session(session);
  }
}

void Broker::end_session(const std::shared_ptr<Session>& session) {
  std::map<std::string, StoredSubscription> subscriptions;
  bool stored = false;
  std::string client_id;  // read under the lock: a connection's machine writes the state
  {
    std::lock_guard lock(session->mutex);
    if (session->ended) return;
    client_id = session->state.client_id;
    session->ended = true;
    session->ended_flag->store(true, std::memory_order_release);
    subscriptions.swap(session->subscriptions);
    session->state.queue.clear();
    session->paged = PagedTail{};
    stored = session->stored;
    session->stored = false;
  }
  for (const auto& [filter, sub] : subscriptions) router_.unsubscribe(filter, session->id());
  router_.set_online(session->id(), false);
  {
    std::lock_guard lock(registry_mutex_);
    auto it = by_client_id_.find(client_id);
    if (it != by_client_id_.end() && it->second == session) by_client_id_.erase(it);
    by_id_.erase(session->id());
  }
  if (stored) {
    storage::Batch batch;
    batch.operations.push_back(storage::RemoveSession{std::move(client_id)});
    submit(std::move(batch), [](std::error_code) {});
  }
}

storage::PutSession Broker::session_record(const Session& session) const {
  storage::PutSession record;
  record.client_id = session.state.client_id;
  record.session_ended = session.ended_flag;
  record.expiry_interval = session.state.expiry_interval;
  record.disconnected_at = session.online ? std::nullopt : session.disconnected_at;
  const std::optional<session::ScheduleWill>& will =
      session.online ? session.connection_will : session.pending_will;
  if (will) {
    record.will = will->message;
    record.will_delay = will->delay_seconds;
    record.will_expiry_interval = will->message_expiry_interval;
  }
  return record;
}

void Broker::store_session(const std::shared_ptr<Session>& session,
                           const session::StoreSession& request, Done done) {
  storage::Batch batch;
  std::optional<std::string> refused;  // the client of a new persistent session refused
  {
    std::lock_guard lock(session->mutex);
    if (request.expiry_interval > 0 && !session->stored && store_.space_low()) {
      // A new persistent session is refused (CONNACK 0x97, 3.x: 0x03); one
      // already stored is not: its client coming back frees space.
      refused = session->state.client_id;
    } else if (request.expiry_interval > 0) {
      session->connection_will = request.will;
      storage::PutSession record = session_record(*session);
      record.expiry_interval = request.expiry_interval;
      batch.operations.push_back(std::move(record));
      session->stored = true;
    } else if (session->stored && session->paged.count > 0) {
      // Resumed with Session Expiry 0 while part of its queue waits on disk:
      // that part pages in like any other (D7), rather than all of it into
      // memory at once. Its record stays, with expiry 0, so that a crash
      // ends the session as its connection's end would (restore expires it
      // at once, publishing this connection's will); that end removes it.
      session->connection_will = request.will;
      storage::PutSession record = session_record(*session);
      record.expiry_interval = 0;
      batch.operations.push_back(std::move(record));
    } else if (session->stored) {
      batch.operations.push_back(storage::RemoveSession{session->state.client_id});
      session->stored = false;
    }
  }
  if (refused) {
    count_refused_write(fmt::format("client '{}': a new persistent session refused", *refused));
    return done(storage::StoreErrc::kNoSpace);
  }
  // Through the store even when empty: a barrier that completes after what
  // was submitted before it, such as the removal of a session this
  // connection's Clean Start discarded.
  store_.submit(std::move(batch), std::move(done));
}

// --- subscriptions ---------------------------------------------------------------

void Broker::subscribe(
    const std::shared_ptr<Session>& session, const session::ApplySubscribe& request,
    std::function<void(std::vector<session::SubscribeResult>, std::error_code)> done) {
  std::vector<session::SubscribeResult> results;
  results.reserve(request.requests.size());
  storage::Batch batch;
  const bool space_low = store_.space_low();
  for (const session::SubscribeRequest& r : request.requests) {
    bool persistent = false;
    std::string client_id;
    {
      std::lock_guard lock(session->mutex);
      if (session->state.persistent() && space_low) {
        // Its record would be written: refused, not applied (D8); the
        // client may subscribe again once space returns.
        count_refused_write(fmt::format("client '{}': subscription to '{}' refused",
                                        session->state.client_id, r.filter));
        session::SubscribeResult refused;
        refused.reason = mqtt::ReasonCode::kQuotaExceeded;
        results.push_back(refused);
        continue;
      }
      const std::size_t max = request.max_subscriptions;
      if (max != 0 && !session->subscriptions.contains(r.filter) &&
          session->subscriptions.size() >= max) {
        spdlog::warn(
            "client '{}': subscription to '{}' refused, {} subscriptions is the limit "
            "(limits.max_subscriptions_per_client)",
            session->state.client_id, r.filter, max);
        session::SubscribeResult refused;
        refused.reason = mqtt::ReasonCode::kQuotaExceeded;
        results.push_back(refused);
        continue;
      }
      session->subscriptions[r.filter] = StoredSubscription{r.options, r.subscription_id};
      persistent = session->state.persistent();
      client_id = session->state.client_id;
    }
    const bool existed =
        router_.subscribe(r.filter, SubscriptionEntry{session->id(), r.options, r.subscription_id});
    if (persistent) {
      batch.operations.push_back(storage::PutSubscription{client_id, r.filter, r.options,
                                                          r.subscription_id, session->ended_flag});
    }
    session::SubscribeResult result;
    result.reason = static_cast<mqtt::ReasonCode>(static_cast<std::uint8_t>(r.options.max_qos));
    result.existed = existed;
    results.push_back(result);
  }
  // D1: the SUBACK of a persistent session waits for the commit.
  submit(std::move(batch), [results = std::move(results), done = std::move(done)](
                               std::error_code ec) mutable { done(std::move(results), ec); });
}

void Broker::unsubscribe(const std::shared_ptr<Session>& session,
                         const session::ApplyUnsubscribe& request,
                         std::function<void(std::vector<bool>, std::error_code)> done) {
  std::vector<bool> existed;
  storage::Batch batch;
  for (const std::string& filter : request.filters) {
    bool persistent = false;
    {
      std::lock_guard lock(session->mutex);
      session->subscriptions.erase(filter);
      persistent = session->state.persistent();
      if (persistent) {
        batch.operations.push_back(
            storage::RemoveSubscription{session->state.client_id, filter, session->ended_flag});
      }
    }
    existed.push_back(router_.unsubscribe(filter, session->id()));
  }
  submit(std::move(batch), [existed = std::move(existed), done = std::move(done)](
                               std::error_code ec) mutable { done(std::move(existed), ec); });
}

void Broker::send_retained(const std::shared_ptr<Session>& session,
                           const session::SendRetained& request, model::WallTime now) {
  std::vector<model::MessagePtr> messages;
  router_.retained_for(request.subscription.filter, now, messages);
  if (messages.empty()) return;
  // A filter like '#' can match every retained message: the fan-out counts
  // against the session's limits as it is built, and goes to the store in
  // batches of bounded size, each sent once committed (in order: the store
  // completes in submission order).
  std::vector<RetainedChunk> chunks(1);
  {
    const bool space_low = store_.space_low();
    std::lock_guard lock(session->mutex);
    const bool stored = session->state.persistent() && !session->ended;
    Pending pending;
    for (model::MessagePtr& m : messages) {
      session::Delivery d;
      d.queued_at = std::chrono::steady_clock::now();
      d.qos = std::min(m->qos, request.subscription.options.max_qos);
      d.retain = true;  // [MQTT-3.3.1-9]: sent because of a new subscription
      if (request.subscription.subscription_id != 0) {
        d.subscription_ids.push_back(request.subscription.subscription_id);
      }
      d.message = std::move(m);
      const bool unstored = !stored || d.qos == QoS::kAtMostOnce;
      if (!unstored && space_low) {  // the SUBSCRIBE was granted just before space ran low
        count_refused_write(fmt::format("client '{}': retained message on '{}' not sent",
                                        session->state.client_id, d.message->topic));
        continue;
      }
      if (queue_full(*session, pending) || (unstored && memory_full(*session, pending.bytes))) {
        count_drop(*session, *d.message, pending);
        continue;
      }
      const std::uint64_t bytes = model::footprint(*d.message);
      ++pending.count;
      pending.bytes += bytes;
      RetainedChunk& chunk = chunks.back();
      // A persistent session stores them like any delivery, so that a crash
      // before they are acknowledged does not lose them (its subscription
      // comes back without a SUBSCRIBE to send them again), and its queue can
      // page.
      if (!unstored) {
        add_stored_retained(*session, d, chunk);
        chunk.bytes += bytes;
      }
      chunk.queued.push_back({session, std::move(d)});
      if (chunk.bytes >= kRetainedChunkBytes) chunks.emplace_back();
    }
  }
  for (RetainedChunk& chunk : chunks) {
    if (chunk.batch.empty()) {
      enqueue(chunk.queued);
      continue;
    }
    // D2: what is stored is sent once committed (the QoS 0 ones wait with it).
    submit(std::move(chunk.batch),
           [this, queued = std::move(chunk.queued)](std::error_code ec) mutable {
             if (!ec) enqueue(queued);
           });
  }
}

void Broker::add_stored_retained(Session& session, session::Delivery& d, RetainedChunk& chunk) {
  const storage::MessageId id = next_message_id_++;
  d.sequence = session.next_sequence++;
  chunk.batch.operations.push_back(storage::PutMessage{id, d.message});
  storage::PutDelivery record;
  record.client_id = session.state.client_id;
  record.sequence = d.sequence;
  record.message_id = id;
  record.qos = d.qos;
  record.retain = d.retain;
  record.subscription_ids = d.subscription_ids;
  record.session_ended = session.ended_flag;
  chunk.batch.operations.push_back(std::move(record));
}

// --- wills and housekeeping ---------------------------------------------------------

void Broker::schedule_will(const std::shared_ptr<Session>& session, std::uint64_t generation,
                           const session::ScheduleWill& request, model::WallTime now) {
  std::vector<storage::Operation> with_will;
  {
    std::lock_guard lock(session->mutex);
    const bool taken_over = session->generation != generation;
    if (request.delay_seconds > 0) {
      // A connection that has already taken the session over cancels it.
      if (taken_over || session->ended) return;
      session->pending_will = request;
      session->will_at = now + std::chrono::seconds(request.delay_seconds);
      return;
    }
    // Published now. The stored record still holds it (stored at CONNECT so
    // that a crash publishes it): the record without it commits in the same
    // batch as the will, or a crash between the two would publish it again.
    if (!taken_over && !session->ended && session->stored && session->connection_will) {
      session->connection_will.reset();
      with_will.push_back(session_record(*session));
    }
  }
  publish_will(request, now, std::move(with_will));
}

void Broker::publish_will(session::ScheduleWill will, model::WallTime now,
                          std::vector<storage::Operation> also) {
  auto message = std::make_shared<model::Message>(*will.message);
  if (will.message_expiry_interval) {
    message->expires_at = now + std::chrono::seconds(*will.message_expiry_interval);
  }
  message->origin = 0;  // the session may be gone; No Local does not apply
  ++counters_.wills_published;
  session::RoutePublish request;
  request.message = std::move(message);
  request.will = true;
  route_with(nullptr, request, std::move(also), nullptr);
}

void Broker::publish_system(std::string topic, std::string payload) {
  auto message = std::make_shared<model::Message>();
  message->topic = std::move(topic);
  message->payload = std::move(payload);
  message->retain = true;
  std::vector<RouteTarget> targets;
  router_.match(*message, targets);
  std::vector<Queued> queued;
  for (const RouteTarget& target : targets) {
    std::shared_ptr<Session> session = find(target.session);
    if (!session) continue;
    session::Delivery d = delivery_for(message, target, std::chrono::steady_clock::now());
    {
      std::lock_guard lock(session->mutex);
      if (!session->online) continue;  // QoS 0: not queued for the disconnected
    }
    queued.push_back({std::move(session), std::move(d)});
  }
  router_.set_retained(message);
  enqueue(queued);
}

void Broker::tick(model::WallTime now) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(registry_mutex_);
    sessions.reserve(by_id_.size());
    for (const auto& [id, s] : by_id_) sessions.push_back(s);
  }
  for (const std::shared_ptr<Session>& s : sessions) {
    bool expiring = false;
    {
      std::lock_guard lock(s->mutex);
      expiring = !s->online && s->expires_at && *s->expires_at <= now;
    }
    if (expiring) {
      // Decided and ended with no attach() in between: a client resuming
      // the session is either before (it is not expired) or after (a new
      // session), never told "session present" and then ended.
      std::lock_guard attaching(attach_mutex_);
      tick_session(s, now, /*may_end=*/true);
    } else {
      tick_session(s, now, /*may_end=*/false);
    }
  }
  router_.remove_expired_retained(now);
}

void Broker::tick_session(const std::shared_ptr<Session>& s, model::WallTime now, bool may_end) {
  std::optional<session::ScheduleWill> will;
  bool expired = false;
  storage::Batch record;
  {
    std::lock_guard lock(s->mutex);
    if (s->will_at && *s->will_at <= now) {
      will = std::move(s->pending_will);
      s->pending_will.reset();
      s->will_at.reset();
    }
    // Without attach_mutex_ held, an expiry found now waits for the next tick.
    expired = may_end && !s->online && s->expires_at && *s->expires_at <= now;
    if (expired && s->pending_will) {  // the session ends: its will goes now
      will = std::move(s->pending_will);
      s->pending_will.reset();
    }
    // The will is out: the stored record no longer holds it (or the
    // session is gone), committed with the will itself so that a restart
    // never publishes it twice.
    if (will && s->stored && !s->ended) {
      if (expired) {
        record.operations.push_back(storage::RemoveSession{s->state.client_id});
        s->stored = false;  // end_session need not remove it again
        s->ended_flag->store(true, std::memory_order_release);
      } else {
        record.operations.push_back(session_record(*s));
      }
    }
  }
  if (will) publish_will(std::move(*will), now, std::move(record.operations));
  if (expired) {
    ++counters_.sessions_expired;
    end_session(s);
  }
}

void Broker::kick_all(mqtt::ReasonCode reason) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(registry_mutex_);
    for (const auto& [id, s] : by_id_) sessions.push_back(s);
  }
  for (const auto& s : sessions) {
    std::shared_ptr<SessionOwner> owner;
    {
      std::lock_guard lock(s->mutex);
      owner = owner_of(*s);
    }
    if (owner) owner->kick(reason);
  }
}

}  // namespace cairn::broker
