// StoredState: everything a store holds, in the logical terms of batch.h,
// as a restart finds it. LeveldbStore::open() reads it back from disk; the
// InMemoryStore gives the same shape, so a test can run one sequence of
// batches through both and compare what each would recover.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/message.h"
#include "model/qos.h"
#include "storage/batch.h"

namespace cairn::storage {

// One delivery still queued for a session: not yet acknowledged (D3).
struct StoredDelivery {
  std::uint64_t sequence = 0;
  model::MessagePtr message;
  model::QoS qos = model::QoS::kAtLeastOnce;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  // QoS 2: the packet identifier it was sent with (0: not sent yet), and
  // whether PUBREL is next, not PUBLISH (D3).
  std::uint16_t packet_id = 0;
  bool released = false;

  bool operator==(const StoredDelivery& o) const {
    return sequence == o.sequence &&
           (message == o.message || (message && o.message && *message == *o.message)) &&
           qos == o.qos && retain == o.retain && subscription_ids == o.subscription_ids &&
           packet_id == o.packet_id && released == o.released;
  }
};

// The rest of a session's queue, left on disk by an open that reads only a
// window of each queue (paging, D7): `count` deliveries of `bytes` footprint,
// every one with a sequence of at least `from`; the deliveries in
// StoredState::queues that are not in flight all come before `from`.
struct StoredQueueTail {
  std::uint64_t from = 0;
  std::size_t count = 0;
  std::uint64_t bytes = 0;
  bool operator==(const StoredQueueTail&) const = default;
};

struct StoredState {
  std::map<std::string, PutSession> sessions;  // by client id
  // client id -> filter -> subscription
  std::map<std::string, std::map<std::string, PutSubscription>> subscriptions;
  // client id -> its queue, in sequence order (only non-empty queues); with
  // a window, only the deliveries in flight and the window's.
  std::map<std::string, std::vector<StoredDelivery>> queues;
  // client id -> what a windowed open left on disk (only non-empty tails)
  std::map<std::string, StoredQueueTail> paged;
  // client id -> the first sequence a new delivery may take: past every one
  // the store still holds a record of, acknowledged ones included.
  std::map<std::string, std::uint64_t> next_sequence;
  std::map<std::string, model::MessagePtr> retained;  // by topic
  // client id -> incoming QoS 2 packet identifiers awaiting PUBREL (D4)
  std::map<std::string, std::set<std::uint16_t>> incoming_qos2;

  // Compares what a restart delivers; next_sequence is left out: a store
  // that keeps acknowledged records longer gives a larger one.
  bool operator==(const StoredState& o) const {
    if (retained.size() != o.retained.size()) return false;
    for (auto a = retained.begin(), b = o.retained.begin(); a != retained.end(); ++a, ++b) {
      if (a->first != b->first || !(*a->second == *b->second)) return false;
    }
    return sessions == o.sessions && subscriptions == o.subscriptions && queues == o.queues &&
           paged == o.paged && incoming_qos2 == o.incoming_qos2;
  }
};

}  // namespace cairn::storage
