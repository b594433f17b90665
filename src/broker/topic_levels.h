// Topic levels: the plumbing TopicTree and RetainedIndex share. Both are tries
// with one node per topic level, children keyed by the level's text.
//
// A topic name or filter is split on '/' and every piece is a level, empty
// ones included: "a//b" has three levels, "/a" and "a/" two each, and "/" two
// empty ones (§4.7.1.1; the "/finance" example of §4.7.1.3).
// Nothing is normalised: levels compare byte for byte, case included
// ([MQTT-4.7.3-4]).
//
// Internal to src/broker: not part of its interface.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cairn::broker::detail {

// Lets a LevelMap be searched with a string_view (no std::string per lookup).
struct LevelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view level) const noexcept {
    return std::hash<std::string_view>{}(level);
  }
};

// Children of a trie node, keyed by level. Nodes are held by unique_ptr so a
// node's address, and the key string inside the map's entry, stay put when
// the map rehashes: a child refers to its own key with a string_view.
template <class Node>
using LevelMap = std::unordered_map<std::string, std::unique_ptr<Node>, LevelHash, std::equal_to<>>;

// Where a topic's levels end: the `next` of its last level.
inline constexpr std::size_t kNoMoreLevels = std::string_view::npos;

struct Level {
  std::string_view text;
  std::size_t next;  // the start of the following level, or kNoMoreLevels
};

// The level of `topic` that starts at `pos`. REQUIRES: pos != kNoMoreLevels.
inline Level level_at(std::string_view topic, std::size_t pos) noexcept {
  const std::size_t slash = topic.find('/', pos);
  if (slash == std::string_view::npos) return {topic.substr(pos), kNoMoreLevels};
  return {topic.substr(pos, slash - pos), slash + 1};
}

// Destroys a trie without recursion. The default destructor would nest a few
// frames per level, and a client may send a filter or topic with tens of
// thousands of levels ("////..."), enough to overflow a thread's stack.
template <class Node>
void dismantle_trie(std::unique_ptr<Node> root) {
  std::vector<std::unique_ptr<Node>> pending;
  pending.push_back(std::move(root));
  while (!pending.empty()) {
    std::unique_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node == nullptr) continue;
    for (auto& [level, child] : node->children) pending.push_back(std::move(child));
  }
}

}  // namespace cairn::broker::detail
