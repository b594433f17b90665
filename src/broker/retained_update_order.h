// RetainedUpdateOrder: which retained update of a topic is the newest, when
// updates reach the RetainedIndex out of the order the store writes them.
//
// A QoS 0 retained update is applied at once (a subscriber right after the
// publish sees it, DESIGN.md §2); a QoS 1/2 one only at its commit (D2). The
// store writes both in submission order, so a QoS 0 update submitted after a
// QoS 1 one still committing is the one a restart finds, and memory must
// keep it too: the older update, arriving later, is dropped. A delete is an
// update like any other, so the order doubles as the tombstone that keeps an
// older put from bringing a deleted topic back.
//
// Each update takes a place in one order; the broker takes places and
// submits to the store under one lock, so place order is store order. Only
// topics with a commit pending are remembered, so the map is bounded by the
// retained updates in flight.
//
// Pure data, no lock: the Router owns one under its mutex.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace cairn::broker {

class RetainedUpdateOrder {
 public:
  // An update of `topic` whose commit is pending: its place.
  std::uint64_t expect(const std::string& topic);

  // An update of `topic` applied now, without a commit to wait for.
  void applied_now(const std::string& topic);

  // The commit of the update at `place` ended. True when it committed and
  // no newer update of its topic was applied: the caller applies it now.
  bool settle(const std::string& topic, std::uint64_t place, bool committed);

  // Topics with a commit pending.
  std::size_t pending_topics() const noexcept { return topics_.size(); }

 private:
  struct Topic {
    std::size_t pending = 0;           // expected, not settled
    std::uint64_t newest_applied = 0;  // place of the last update applied
  };

  std::uint64_t last_place_ = 0;
  std::unordered_map<std::string, Topic> topics_;
};

}  // namespace cairn::broker
