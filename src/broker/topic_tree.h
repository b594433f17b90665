// TopicTree: every session's subscriptions, by topic filter, for routing a
// published message to its subscribers ([MQTT-4.7]).
//
// A trie with one node per filter level; '+' and '#' are children like any
// other level, and a shared subscription "$share/{name}/{filter}" lives on the
// node of its inner filter as a SharedGroup [MQTT-4.8.2]. match() walks only
// the branches a topic can reach: per topic level, the literal child and the
// '+' child, plus the '#' child that ends there.
//
// Pure data: no threads, no locks, no allocation in match() once the caller's
// output vectors have grown. The Router owns one behind a reader-writer lock;
// match() is non-const (it moves shared groups' round-robin cursors) so it
// needs the writer side, or the cursors need guarding separately. No operation
// recurses, so a filter or topic with thousands of levels costs heap, never
// call stack.
//
// Pointers into the tree (the entries and groups match() returns) stay valid
// until the next subscribe() or unsubscribe().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/message.h"
#include "model/subscription.h"

namespace cairn::broker {

// One session's subscription to one filter.
struct SubscriptionEntry {
  model::SessionId session = 0;
  model::SubscriptionOptions options;
  std::uint32_t subscription_id = 0;  // 0: none (MQTT 5 Subscription Identifier)
};

// A shared subscription $share/{name}/{filter}: each message goes to one
// member [MQTT-4.8.2]. Members keep the order they joined in.
struct SharedGroup {
  std::string name;
  std::vector<SubscriptionEntry> members;
  std::size_t next = 0;  // round-robin cursor: the member to try first

  // The next member, in round-robin order, for which eligible(member) holds
  // (e.g. "online"); advances the cursor past it; nullptr when none is
  // eligible, and then the cursor does not move.
  template <class Pred>
  const SubscriptionEntry* pick(Pred&& eligible) {
    const std::size_t n = members.size();
    const std::size_t start = next < n ? next : 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = (start + i) % n;
      if (eligible(members[k])) {
        next = (k + 1) % n;
        return &members[k];
      }
    }
    return nullptr;
  }
};

class TopicTree {
 public:
  TopicTree();
  ~TopicTree();
  TopicTree(const TopicTree&) = delete;
  TopicTree& operator=(const TopicTree&) = delete;

  // Adds the subscription of entry.session to filter, or replaces its options
  // and identifier if it exists ([MQTT-3.8.4-3]: a SUBSCRIBE with an existing
  // filter replaces the subscription). Returns true when it existed: Retain
  // Handling 1 sends retained messages only for a new one. A
  // "$share/{name}/{f}" filter makes the entry a member of group {name} on f;
  // a session's shared and plain subscriptions to one filter are distinct.
  // REQUIRES: model::is_valid_topic_filter(filter).
  bool subscribe(std::string_view filter, const SubscriptionEntry& entry);

  // Removes the subscription of `session` to `filter` (plain or $share/...),
  // and any node left empty; true when it existed.
  bool unsubscribe(std::string_view filter, model::SessionId session);

  // Appends the matches of a topic NAME: every plain subscription whose filter
  // matches, one entry per matching filter (a session subscribed with several
  // matching filters appears several times: the Router merges them, taking
  // the highest QoS and every subscription identifier [MQTT-3.3.4-2],
  // [MQTT-3.3.4-3]) to `subscribers`, and every matching shared group to
  // `groups`. The vectors are the caller's, appended to and reused across
  // calls. A topic starting with '$' is not matched by a filter whose first
  // level is '+' or '#' [MQTT-4.7.2-1]. REQUIRES: model::is_valid_topic_name(topic).
  void match(std::string_view topic, std::vector<const SubscriptionEntry*>& subscribers,
             std::vector<SharedGroup*>& groups);

  // Entries, shared group members included.
  std::size_t subscription_count() const noexcept { return subscription_count_; }
  // Trie nodes, root included: an empty tree has 1. For memory metrics and
  // prune tests.
  std::size_t node_count() const noexcept { return node_count_; }

 private:
  struct Node;

  // The node of `filter` (a plain filter), created with its ancestors if absent.
  Node& find_or_add(std::string_view filter);
  // The node of `filter`, or nullptr.
  Node* find(std::string_view filter) const;
  // Removes `node` and then each ancestor while it is empty (not the root).
  void prune(Node* node);

  std::unique_ptr<Node> root_;
  std::size_t subscription_count_ = 0;
  std::size_t node_count_ = 1;
};

}  // namespace cairn::broker
