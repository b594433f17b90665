// Broker: the shared state every connection works against, the
// SessionRegistry, the Router and the DurableStore, and the operations a
// SessionMachine's actions need from it.
//
// Durability (DESIGN.md §1): route() commits a QoS 1/2 message with its
// delivery records for persistent sessions, the retained update and the QoS 2
// dedup record in one batch before any subscriber sees it and before `done`
// runs, and `done` is what releases the PUBACK/PUBREC (D1, D2, D4). Only the
// store's thread waits on the disk (D5).
//
// Thread-safe. Completions (`done`) run on the store's thread, or on the
// caller's thread when nothing had to be stored: a connection posts them to
// its own executor. No lock is held while calling out (SessionOwner,
// completions), and no two locks are ever held together.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/broker_errc.h"
#include "broker/router.h"
#include "broker/session.h"
#include "session/actions.h"
#include "storage/durable_store.h"
#include "storage/stored_state.h"

namespace cairn::broker {

enum class QueueFullPolicy : std::uint8_t {
  kRefuse,  // a QoS 1/2 publish to a full session is refused (BrokerErrc::kQueueFull)
  kDrop,    // it is acknowledged; the full session does not get it (logged, counted)
};

struct BrokerSettings {
  // Deliveries a session may have waiting beyond its free in-flight window
  // (limits.max_queued_messages), in memory and on disk, and their footprint
  // (limits.max_queued_mb, in bytes here; 0: no limit); what happens past either is the
  // policy's.
  std::size_t max_queued = 1'000'000;
  std::uint64_t max_queued_bytes = 1ULL << 30;
  QueueFullPolicy queue_full_policy = QueueFullPolicy::kRefuse;
  // What a persistent session keeps of its queue in memory while connected
  // (limits.memory_window_messages, limits.memory_window_mb); the rest is
  // read back from the store as the client takes it (D7). A disconnected
  // session keeps none of its stored deliveries in memory. What cannot be
  // stored (QoS 0, a non-persistent session's deliveries) is bounded by the
  // window's bytes too: past them it is dropped (QoS 0) or meets the queue
  // full policy (QoS 1/2).
  std::size_t memory_window = 1'000;
  std::uint64_t memory_window_bytes = 4ULL << 20;
};

struct BrokerCounters {
  std::atomic<std::uint64_t> messages_routed{0};
  std::atomic<std::uint64_t> deliveries_queued{0};
  std::atomic<std::uint64_t> deliveries_dropped_queue_full{0};
  // QoS 1/2 publishes refused because a session they go to was full.
  std::atomic<std::uint64_t> publishes_refused_queue_full{0};
  std::atomic<std::uint64_t> sessions_expired{0};
  std::atomic<std::uint64_t> wills_published{0};
  // QoS 1/2 publishes refused while the data volume was low on space.
  std::atomic<std::uint64_t> publishes_refused_no_space{0};
  // Other writes refused while it was: QoS 0 retained updates (delivered,
  // not kept), subscriptions of persistent sessions, new persistent sessions.
  std::atomic<std::uint64_t> writes_refused_no_space{0};
  // Paging (D7): deliveries left on disk when committed or at a disconnect,
  // and read back.
  std::atomic<std::uint64_t> deliveries_paged_out{0};
  std::atomic<std::uint64_t> deliveries_paged_in{0};
};

class Broker {
 public:
  using Done = std::function<void(std::error_code)>;

  Broker(storage::DurableStore& store, BrokerSettings settings);

  struct Attachment {
    std::shared_ptr<Session> session;
    std::uint64_t generation = 0;
    bool session_present = false;
    // Clean Start ended a session the store held: its removal is submitted,
    // and the CONNACK must wait for it (store_session orders after it).
    bool discarded_stored = false;
  };
  // Finds or creates the session of request.client_id and attaches `owner`
  // to it. A connection already attached is kicked with 0x8E [MQTT-3.1.4-3];
  // Clean Start discards the old session [MQTT-3.1.2-4]; a will waiting for
  // its delay is cancelled by the new connection [MQTT-3.1.3-9].
  Attachment attach(const session::AttachSession& request, std::weak_ptr<SessionOwner> owner,
                    model::WallTime now);
  // The connection of `generation` is gone. Ignored when another connection
  // has taken the session over since.
  void detach(const std::shared_ptr<Session>& session, std::uint64_t generation,
              const session::DetachSession& request, model::WallTime now);

  void route(const std::shared_ptr<Session>& publisher, const session::RoutePublish& request,
             Done done);
  void subscribe(const std::shared_ptr<Session>& session, const session::ApplySubscribe& request,
                 std::function<void(std::vector<session::SubscribeResult>, std::error_code)> done);
  void unsubscribe(const std::shared_ptr<Session>& session,
                   const session::ApplyUnsubscribe& request,
                   std::function<void(std::vector<bool>, std::error_code)> done);
  // Queues the retained messages matching the subscription for `session`.
  void send_retained(const std::shared_ptr<Session>& session, const session::SendRetained& request,
                     model::WallTime now);
  void release_incoming(const std::shared_ptr<Session>& session,
                        const session::ReleaseIncoming& request, Done done);
  void delivery_done(const std::shared_ptr<Session>& session, const session::DeliveryDone& request);
  // The same for many acknowledgements, in one batch.
  void deliveries_done(const std::shared_ptr<Session>& session,
                       std::span<const std::uint64_t> sequences);
  void record_sent(const std::shared_ptr<Session>& session, const session::RecordSent& request,
                   Done done);
  void record_pubrel(const std::shared_ptr<Session>& session, const session::RecordPubrel& request,
                     Done done);
  void store_session(const std::shared_ptr<Session>& session, const session::StoreSession& request,
                     Done done);
  // `done` once everything submitted to the store before it has completed.
  void await_store(Done done) { store_.submit(storage::Batch{}, std::move(done)); }
  // A will from a connection of `generation`: published after its delay.
  void schedule_will(const std::shared_ptr<Session>& session, std::uint64_t generation,
                     const session::ScheduleWill& request, model::WallTime now);

  // Loads what the store held at start-up (recovery/): sessions, offline,
  // with their subscriptions, queues, in-flight QoS 2 state and incoming QoS
  // 2 identifiers; retained messages. A session whose connection was alive at
  // the crash counts as disconnected at `now`; one disconnected earlier keeps
  // its disconnect time, so expiry and will delays count the downtime.
  // REQUIRES: before any listener opens.
  void restore(storage::StoredState state, model::WallTime now);

  // A message the broker makes about itself ($SYS/broker/...): delivered
  // and kept as the retained value of its topic, like a retained QoS 0
  // publish, but never stored: it is rebuilt after every start.
  void publish_system(std::string topic, std::string payload);

  // Housekeeping, called about once a second: due wills, expired sessions,
  // expired retained messages.
  void tick(model::WallTime now);
  // Kicks every attached connection with `reason` (0x8B at shutdown).
  void kick_all(mqtt::ReasonCode reason);

  // Paging (D7), for the connection that drives `session`: whether its queue
  // in memory has run low while more waits on disk (REQUIRES: session.mutex
  // held), and the load that refills it (REQUIRES: not held).
  bool wants_page_in(const Session& session) const;
  void page_in(const std::shared_ptr<Session>& session);

  // The store has more waiting than it should: stop reading from clients.
  bool store_congested() const noexcept { return store_.congested(); }

  std::size_t session_count() const;

  // What the sessions hold now, for the metrics (delivery lag). Walks every
  // session under its own lock: for scrapes, not for the hot path.
  struct Census {
    std::uint64_t queued = 0;    // waiting, in memory and on disk, not sent yet
    std::uint64_t inflight = 0;  // sent, not fully acknowledged
    std::size_t online = 0;
    std::size_t offline = 0;
    // The `top` sessions with the most queued, largest first.
    std::vector<std::pair<std::string, std::uint64_t>> top;
    // When the oldest delivery still waiting (queued or in flight) was queued.
    std::optional<std::chrono::steady_clock::time_point> oldest;
  };
  Census census(std::size_t top) const;
  const Router& router() const noexcept { return router_; }
  const BrokerCounters& counters() const noexcept { return counters_; }

 private:
  struct Queued {
    std::shared_ptr<Session> session;
    session::Delivery delivery;
  };

  std::shared_ptr<Session> find(model::SessionId id) const;
  // tick() for one session: its due will, and its expiry when `may_end`
  // (REQUIRES then: attach_mutex_ held).
  void tick_session(const std::shared_ptr<Session>& s, model::WallTime now, bool may_end);
  // What one subscription receives of a message routed to it.
  static session::Delivery delivery_for(const model::MessagePtr& message, const RouteTarget& target,
                                        std::chrono::steady_clock::time_point now);
  // Deliveries for a session decided but not yet in its queue (a retained
  // fan-out waiting for its commit): they count against its limits.
  struct Pending {
    std::size_t count = 0;
    std::uint64_t bytes = 0;
  };
  // Whether `session` has max_queued deliveries waiting beyond its free
  // window. REQUIRES: session.mutex held.
  bool queue_full(const Session& session, const Pending& pending) const;
  bool queue_full(const Session& session) const { return queue_full(session, Pending{}); }
  // Whether its queue in memory holds the memory window's bytes: the bound
  // of what cannot be paged to disk (QoS 0, a non-persistent session's
  // deliveries). REQUIRES: session.mutex held.
  bool memory_full(const Session& session, std::uint64_t pending_bytes = 0) const;
  // Counts and logs a delivery dropped for a full session. REQUIRES: its mutex held.
  // `pending`: what is on its way to the queue, counted in the log line.
  void count_drop(Session& session, const model::Message& message, const Pending& pending);
  void count_drop(Session& session, const model::Message& message) {
    count_drop(session, message, Pending{});
  }
  // Counts and logs a write refused while the data volume is low on space;
  // `what` says which and whose.
  void count_refused_write(const std::string& what);
  // Part of a retained fan-out to one session: one batch of bounded size and
  // the deliveries sent once it commits.
  struct RetainedChunk {
    storage::Batch batch;
    std::vector<Queued> queued;
    std::uint64_t bytes = 0;  // footprints of the messages the batch stores
  };
  static constexpr std::uint64_t kRetainedChunkBytes = 1 << 20;
  // Stores `d` for `session` in `chunk`'s batch. REQUIRES: session.mutex held.
  void add_stored_retained(Session& session, session::Delivery& d, RetainedChunk& chunk);
  // Adds deliveries to their sessions' queues and wakes the attached connections.
  void enqueue(std::vector<Queued>& queued);
  // Paging (D7). REQUIRES for all three: session.mutex held.
  // Whether a delivery just committed stays on disk only (counted in the tail).
  bool page_out(Session& session, const session::Delivery& delivery);
  // The stored deliveries of the memory queue go to the tail (at a disconnect).
  void page_out_queue(Session& session);
  // Adds loaded deliveries to the memory queue, minus those in flight.
  void add_paged_in(Session& session, std::vector<storage::StoredDelivery>& loaded);
  void paged_in(const std::shared_ptr<Session>& session, std::uint64_t epoch,
                std::vector<storage::StoredDelivery> loaded, std::error_code ec);
  // Publishes a will (or any broker-made message) through the normal route;
  // `also` commits in the same batch: the session record that no longer
  // holds the will, so that a crash cannot publish it twice.
  void publish_will(session::ScheduleWill will, model::WallTime now,
                    std::vector<storage::Operation> also = {});
  // route() with operations to commit with the message, atomically.
  void route_with(const std::shared_ptr<Session>& publisher, const session::RoutePublish& request,
                  std::vector<storage::Operation> also, Done done);
  // Ends a session: subscriptions, queue and stored records go.
  void end_session(const std::shared_ptr<Session>& session);
  void submit(storage::Batch batch, Done done);
  // The session's record as it stands: expiry, disconnect time, waiting will.
  // REQUIRES: session->mutex held.
  storage::PutSession session_record(const Session& session) const;

  storage::DurableStore& store_;
  const BrokerSettings settings_;
  Router router_;
  BrokerCounters counters_;
  std::atomic<model::SessionId> next_session_id_{1};
  std::atomic<storage::MessageId> next_message_id_{1};

  // Serialises attach(), the only place sessions are created; taken before,
  // never while, any other lock.
  // Ending a session (detach with expiry 0, expiry in tick) holds it too.
  std::mutex attach_mutex_;
  // Held while a retained update takes its place in the router's order and
  // is submitted, so that order is the store's (route_with). Taken with no
  // session lock held; the router's lock and, should the store complete a
  // submit at once, the publisher's session lock nest inside it.
  std::mutex retained_submit_mutex_;
  mutable std::mutex registry_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Session>> by_client_id_;  // guarded
  std::unordered_map<model::SessionId, std::shared_ptr<Session>> by_id_;    // guarded
};

}  // namespace cairn::broker
