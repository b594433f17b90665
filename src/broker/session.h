// Session: one client's session as the broker holds it, between and across
// its connections: the SessionState a SessionMachine works on, the client's
// subscriptions, and a link to the connection attached to it, if any.
//
// Locking: `mutex` guards every member below it. The broker never holds a
// session's lock together with another lock (another session's, the router's
// or the registry's), so no lock order exists to get wrong.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "model/message.h"
#include "model/subscription.h"
#include "mqtt/reason_code.h"
#include "session/actions.h"
#include "session/session_state.h"

namespace cairn::broker {

// The connection side of an attached session, implemented by net::Connection.
// Both calls come from any thread and must only post work to the
// connection's own executor.
class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  // Deliveries were added to the session's queue: pump the machine.
  virtual void deliveries_ready() = 0;
  // Close the connection with `reason` (0x8E on takeover, 0x8B on shutdown).
  virtual void kick(mqtt::ReasonCode reason) = 0;
};

// The part of a persistent session's queue that is on disk only (D7): every
// delivery committed for the session with a sequence of at least `from`
// that is neither in its queue in memory nor in flight. `count` and `bytes`
// (model::footprint) say how much that is; paging is off while `from` is 0.
// Invariant: every delivery in the memory queue has a sequence below `from`
// (or 0), so a load from `from` never brings back one already there.
struct PagedTail {
  std::uint64_t from = 0;
  std::size_t count = 0;
  std::uint64_t bytes = 0;
  bool loading = false;     // a load is on its way
  bool unreadable = false;  // a load failed: not tried again until the next connection
  // Changes whenever the tail is rebuilt: a load answered after it is stale.
  std::uint64_t epoch = 0;
  // When the oldest delivery of the tail was queued (set when the tail
  // begins; what is read back is dated to it).
  std::chrono::steady_clock::time_point oldest{};
};

struct StoredSubscription {
  model::SubscriptionOptions options;
  std::uint32_t subscription_id = 0;
};

class Session {
 public:
  explicit Session(model::SessionId id, std::string client_id) {
    state.id = id;
    state.client_id = std::move(client_id);
  }

  mutable std::mutex mutex;

  // --- guarded by mutex ---
  session::SessionState state;
  std::map<std::string, StoredSubscription> subscriptions;  // by filter, as subscribed
  // The attached connection; expired when none is. `generation` changes at
  // every attach, so a connection taken over can tell it no longer owns this.
  std::weak_ptr<SessionOwner> owner;
  std::uint64_t generation = 0;
  bool online = false;
  // Next sequence number of a stored delivery record (D3).
  std::uint64_t next_sequence = 1;
  PagedTail paged;
  // When the session ends while offline (empty: it does not expire).
  std::optional<model::WallTime> expires_at;
  // A will waiting for its delay, published at `will_at` unless a connection
  // attaches first [MQTT-3.1.3-9].
  std::optional<session::ScheduleWill> pending_will;
  std::optional<model::WallTime> will_at;
  // While offline: when its connection ended (stored, so that expiry and will
  // delays count the downtime across a restart).
  std::optional<model::WallTime> disconnected_at;
  // The attached connection's will, as stored with the session record.
  std::optional<session::ScheduleWill> connection_will;
  // The store holds a record of this session (PutSession committed or sent).
  bool stored = false;
  // Set when the session has ended; a connection still holding it lets go.
  bool ended = false;
  // Deliveries dropped because the queue was full (limits.max_queued_messages).
  std::uint64_t dropped_queue_full = 0;
  // QoS 1/2 publishes refused because this session's queue was full.
  std::uint64_t refused_queue_full = 0;

  model::SessionId id() const noexcept { return state.id; }
  // Its QoS 1/2 deliveries are stored (D3): a persistent session's, and
  // those of a session resumed with Session Expiry 0 while part of its queue
  // still waits on disk, so that what arrives meanwhile queues behind that
  // part, in order, instead of overtaking it in memory. Guarded by mutex.
  bool stores_deliveries() const noexcept { return state.persistent() || paged.count > 0; }
  // Set with `ended`, before the session's RemoveSession is submitted, and
  // carried by every record of it the broker submits, so that the store
  // drops one that reaches it after the removal (storage::SessionEnded).
  // Readable without the lock.
  const std::shared_ptr<std::atomic<bool>> ended_flag = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace cairn::broker
