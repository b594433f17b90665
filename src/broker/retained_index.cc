#include "broker/retained_index.h"

#include <string>
#include <utility>

#include "base/check.h"
#include "broker/topic_levels.h"
#include "model/topic.h"

namespace cairn::broker {

using detail::kNoMoreLevels;
using detail::level_at;

struct RetainedIndex::Node {
  Node* parent = nullptr;
  std::string_view level;  // views this node's key in parent->children
  detail::LevelMap<Node> children;
  model::MessagePtr message;  // null when this topic has no retained message

  bool empty() const noexcept { return children.empty() && message == nullptr; }
};

namespace {

bool expired(const model::Message& message, model::WallTime now) noexcept {
  return message.expires_at && *message.expires_at <= now;
}

}  // namespace

RetainedIndex::RetainedIndex() : root_(std::make_unique<Node>()) {}

RetainedIndex::~RetainedIndex() { detail::dismantle_trie(std::move(root_)); }

void RetainedIndex::prune(Node* node) {
  while (node != root_.get() && node->empty()) {
    Node* parent = node->parent;
    parent->children.erase(parent->children.find(node->level));  // destroys node
    --node_count_;
    node = parent;
  }
}

bool RetainedIndex::set(model::MessagePtr message) {
  CAIRN_CHECK(message != nullptr, "RetainedIndex::set: null message");
  CAIRN_CHECK(model::is_valid_topic_name(message->topic), "RetainedIndex::set: invalid topic");
  // [MQTT-3.3.1-6], [MQTT-3.3.1-7]: an empty payload clears and is not kept.
  if (message->payload.empty()) return erase(message->topic);
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != kNoMoreLevels;) {
    const detail::Level level = level_at(message->topic, pos);
    pos = level.next;
    auto it = node->children.find(level.text);
    if (it == node->children.end()) {
      it = node->children.emplace(std::string(level.text), std::make_unique<Node>()).first;
      it->second->parent = node;
      it->second->level = it->first;
      ++node_count_;
    }
    node = it->second.get();
  }
  if (node->message == message) return false;
  if (node->message == nullptr) ++size_;
  node->message = std::move(message);
  return true;
}

bool RetainedIndex::erase(std::string_view topic) {
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != kNoMoreLevels;) {
    const detail::Level level = level_at(topic, pos);
    pos = level.next;
    const auto it = node->children.find(level.text);
    if (it == node->children.end()) return false;
    node = it->second.get();
  }
  if (node->message == nullptr) return false;
  node->message.reset();
  --size_;
  prune(node);
  return true;
}

void RetainedIndex::match(std::string_view filter, model::WallTime now,
                          std::vector<model::MessagePtr>& out) const {
  const auto emit = [&](const Node& node) {
    if (node.message != nullptr && !expired(*node.message, now)) out.push_back(node.message);
  };
  // [MQTT-4.7.2-1]: a filter whose first level is a wildcard skips the root's
  // children that start with '$' (a topic starts with '$' exactly when its
  // first level does).
  const auto reachable = [&](const Node& parent, const std::string& level) {
    return &parent != root_.get() || !level.starts_with('$');
  };

  struct Visit {
    const Node* node;
    std::size_t pos;  // where the node's next filter level starts
    bool subtree;     // reached through '#': take the node and all below it
  };
  std::vector<Visit> pending{{root_.get(), 0, false}};
  while (!pending.empty()) {
    const Visit visit = pending.back();
    pending.pop_back();
    const Node& node = *visit.node;
    if (visit.subtree) {
      emit(node);
      for (const auto& [level, child] : node.children) pending.push_back({child.get(), 0, true});
      continue;
    }
    if (visit.pos == kNoMoreLevels) {
      emit(node);
      continue;
    }
    const detail::Level level = level_at(filter, visit.pos);
    if (level.text == "#") {
      // The parent level too: "sport/#" matches "sport" (§4.7.1.2).
      emit(node);
      for (const auto& [text, child] : node.children) {
        if (reachable(node, text)) pending.push_back({child.get(), 0, true});
      }
    } else if (level.text == "+") {
      for (const auto& [text, child] : node.children) {
        if (reachable(node, text)) pending.push_back({child.get(), level.next, false});
      }
    } else if (const auto it = node.children.find(level.text); it != node.children.end()) {
      pending.push_back({it->second.get(), level.next, false});
    }
  }
}

std::size_t RetainedIndex::remove_expired(model::WallTime now) {
  // Find them first, then remove: pruning while walking would pull nodes out
  // from under the walk. A node with a message is never pruned, so the ones
  // found stay valid while earlier ones are removed.
  std::vector<Node*> found;
  std::vector<Node*> pending{root_.get()};
  while (!pending.empty()) {
    Node* node = pending.back();
    pending.pop_back();
    if (node->message != nullptr && expired(*node->message, now)) found.push_back(node);
    for (auto& [level, child] : node->children) pending.push_back(child.get());
  }
  for (Node* node : found) {
    node->message.reset();
    --size_;
    prune(node);
  }
  return found.size();
}

}  // namespace cairn::broker
