// RetainedIndex: the retained message of each topic ([MQTT-3.3.1-5]), for
// sending them to a new subscription whose filter matches.
//
// A trie with one node per topic level, so match() visits only the branches a
// filter can reach: the literal child per level, every child for '+', and the
// whole subtree for '#'.
//
// Pure data: no threads, no locks; the Router owns one behind a reader-writer
// lock (match() is const). Expiry is judged against the `now` the caller
// passes, so the index reads no clock. No operation recurses, so a topic with
// thousands of levels costs heap, never call stack.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "model/message.h"

namespace cairn::broker {

class RetainedIndex {
 public:
  RetainedIndex();
  ~RetainedIndex();
  RetainedIndex(const RetainedIndex&) = delete;
  RetainedIndex& operator=(const RetainedIndex&) = delete;

  // Stores `message` as the retained message of message->topic, replacing any
  // [MQTT-3.3.1-5]; an empty payload instead removes it [MQTT-3.3.1-6] and is
  // itself not stored [MQTT-3.3.1-7]. Returns true when the index changed.
  // REQUIRES: message != nullptr, model::is_valid_topic_name(message->topic).
  bool set(model::MessagePtr message);

  // Removes the retained message of `topic`; true when there was one.
  bool erase(std::string_view topic);

  // Appends every retained message whose topic matches `filter` and that has
  // not expired at `now` (expires_at <= now means expired). A topic starting
  // with '$' is not matched by a filter whose first level is '+' or '#'
  // [MQTT-4.7.2-1]. Order is unspecified.
  // REQUIRES: `filter` is a plain filter, the wildcard rules of [MQTT-4.7.1]
  // holding: a shared subscription's inner filter, which is taken literally
  // even when it starts with "$share/" ("$share/g/$share/h/x" has the inner
  // filter "$share/h/x"). Not checked, so that such a filter, which
  // model::is_valid_topic_filter reads as shared, cannot trip a check.
  void match(std::string_view filter, model::WallTime now,
             std::vector<model::MessagePtr>& out) const;

  // Removes the messages expired at `now`; returns how many.
  std::size_t remove_expired(model::WallTime now);

  // Retained messages held.
  std::size_t size() const noexcept { return size_; }
  // Trie nodes, root included: an empty index has 1.
  std::size_t node_count() const noexcept { return node_count_; }

 private:
  struct Node;

  // Removes `node` and then each ancestor while it is empty (not the root).
  void prune(Node* node);

  std::unique_ptr<Node> root_;
  std::size_t size_ = 0;
  std::size_t node_count_ = 1;
};

}  // namespace cairn::broker
