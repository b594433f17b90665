// Router: the broker's shared routing state, the TopicTree and the
// RetainedIndex, behind one lock, and the rule that turns the matches of a
// message into at most one target per session.
//
// Thread-safe. Every call takes the router's lock for its own duration and
// calls out to nothing while holding it (no session lock nests inside).
// One mutex for now: TopicTree::match moves shared groups' round-robin
// cursors, so even lookups write; shard or split the lock when
// bench/topic_tree_bench and the load tests say so (DESIGN.md §4).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "broker/retained_index.h"
#include "broker/retained_update_order.h"
#include "broker/topic_tree.h"
#include "model/message.h"

namespace cairn::broker {

// Where one message goes: one session, with everything its matching
// subscriptions say about it.
struct RouteTarget {
  model::SessionId session = 0;
  model::QoS qos = model::QoS::kAtMostOnce;  // highest granted QoS among them [MQTT-3.3.4-2]
  bool retain_as_published = false;
  std::vector<std::uint32_t> subscription_ids;  // every one of them [MQTT-3.3.4-3]
};

class Router {
 public:
  // true when the session had a subscription to `filter` already.
  bool subscribe(std::string_view filter, const SubscriptionEntry& entry);
  bool unsubscribe(std::string_view filter, model::SessionId session);

  // Whether a session is connected: a shared group prefers connected members.
  void set_online(model::SessionId session, bool online);

  // The targets of `message`: each session whose plain subscriptions match,
  // once, less those that asked for No Local when it published the message
  // [MQTT-3.8.3-3]; and for each matching shared group one member, round
  // robin over the connected ones, or over all when none is connected (a
  // persistent member's queue keeps it) [MQTT-4.8.2]. Appends to `out`.
  void match(const model::Message& message, std::vector<RouteTarget>& out);

  // Retained messages [MQTT-3.3.1-5..7]: set or, with an empty payload, clear.
  // set_retained applies `message` now; an update whose commit is pending
  // takes its place with expect_retained and is applied by settle_retained
  // only if no newer update of its topic was applied meanwhile
  // (RetainedUpdateOrder).
  void set_retained(const model::MessagePtr& message);
  std::uint64_t expect_retained(const std::string& topic);
  void settle_retained(const model::MessagePtr& message, std::uint64_t place, bool committed);
  void retained_for(std::string_view filter, model::WallTime now,
                    std::vector<model::MessagePtr>& out) const;
  std::size_t remove_expired_retained(model::WallTime now);

  std::size_t subscription_count() const;
  std::size_t retained_count() const;

 private:
  mutable std::mutex mutex_;
  TopicTree tree_;                               // guarded by mutex_
  RetainedIndex retained_;                       // guarded by mutex_
  RetainedUpdateOrder retained_order_;           // guarded by mutex_
  std::unordered_set<model::SessionId> online_;  // guarded by mutex_
  // Scratch space for match(), reused so routing allocates nothing steady-state.
  std::vector<const SubscriptionEntry*> matched_;  // guarded by mutex_
  std::vector<SharedGroup*> groups_;               // guarded by mutex_
};

}  // namespace cairn::broker
