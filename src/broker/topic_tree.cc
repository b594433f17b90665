#include "broker/topic_tree.h"

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <utility>

#include "base/check.h"
#include "broker/topic_levels.h"
#include "model/topic.h"

namespace cairn::broker {
namespace {

using detail::kNoMoreLevels;
using detail::level_at;

constexpr std::string_view kPlus = "+";
constexpr std::string_view kHash = "#";

// The plain subscriptions of one filter: contiguous for match(), with an index
// by session once there are enough of them (a broadcast filter may have one
// per device) that subscribe()'s linear search would make filling it
// quadratic. Removal swaps the last entry in: order carries no meaning here.
class EntryList {
 public:
  const std::vector<SubscriptionEntry>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }

  // true when `entry.session` had an entry, now replaced.
  bool upsert(const SubscriptionEntry& entry) {
    if (const std::optional<std::size_t> i = position(entry.session)) {
      entries_[*i] = entry;
      return true;
    }
    entries_.push_back(entry);
    if (index_ != nullptr) {
      index_->emplace(entry.session, entries_.size() - 1);
    } else if (entries_.size() > kIndexAbove) {
      index_ = std::make_unique<Index>();
      for (std::size_t i = 0; i < entries_.size(); ++i) index_->emplace(entries_[i].session, i);
    }
    return false;
  }

  bool erase(model::SessionId session) {
    const std::optional<std::size_t> i = position(session);
    if (!i) return false;
    if (*i + 1 != entries_.size()) {
      entries_[*i] = entries_.back();
      if (index_ != nullptr) (*index_)[entries_[*i].session] = *i;
    }
    entries_.pop_back();
    if (index_ != nullptr) {
      index_->erase(session);
      // Drop the index well below the threshold, so that one session
      // subscribing and leaving at the boundary does not rebuild it each time.
      if (entries_.size() <= kIndexAbove / 2) index_.reset();
    }
    return true;
  }

 private:
  using Index = std::unordered_map<model::SessionId, std::size_t>;
  static constexpr std::size_t kIndexAbove = 16;

  std::optional<std::size_t> position(model::SessionId session) const {
    if (index_ != nullptr) {
      const auto it = index_->find(session);
      if (it == index_->end()) return std::nullopt;
      return it->second;
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].session == session) return i;
    }
    return std::nullopt;
  }

  std::vector<SubscriptionEntry> entries_;
  std::unique_ptr<Index> index_;  // null while entries_ is short
};

}  // namespace

struct TopicTree::Node {
  Node* parent = nullptr;
  std::string_view level;  // views this node's key in parent->children
  detail::LevelMap<Node> children;
  // children["+"] and children["#"], cached: match() looks for both at every
  // level it visits, and a pointer test is cheaper than two hash lookups.
  Node* plus = nullptr;
  Node* hash = nullptr;
  EntryList subscribers;
  std::vector<SharedGroup> groups;  // shared subscriptions on this filter

  bool empty() const noexcept { return children.empty() && subscribers.empty() && groups.empty(); }
};

namespace {

// The '+' branches a match() has yet to walk: one per node it passed that has
// a '+' child. The inline capacity covers any sane set of filters without
// touching the heap; the spill vector keeps a hostile one (thousands of '+'
// levels) off the call stack. LIFO: the spill holds the newest branches
// whenever it is non-empty. The inline array is left uninitialised: a match
// that misses at the first level should not pay for zeroing it.
template <class Branch>
class BranchStack {
 public:
  void push(const Branch& branch) {
    if (size_ < inline_.size()) {
      inline_[size_++] = branch;
    } else {
      spill_.push_back(branch);
    }
  }
  bool pop(Branch& branch) {
    if (!spill_.empty()) {
      branch = spill_.back();
      spill_.pop_back();
      return true;
    }
    if (size_ == 0) return false;
    branch = inline_[--size_];
    return true;
  }

 private:
  std::array<Branch, 32> inline_;
  std::size_t size_ = 0;
  std::vector<Branch> spill_;
};

}  // namespace

TopicTree::TopicTree() : root_(std::make_unique<Node>()) {}

TopicTree::~TopicTree() { detail::dismantle_trie(std::move(root_)); }

TopicTree::Node& TopicTree::find_or_add(std::string_view filter) {
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != kNoMoreLevels;) {
    const detail::Level level = level_at(filter, pos);
    pos = level.next;
    if (const auto it = node->children.find(level.text); it != node->children.end()) {
      node = it->second.get();
      continue;
    }
    const auto it = node->children.emplace(std::string(level.text), std::make_unique<Node>()).first;
    Node* child = it->second.get();
    child->parent = node;
    child->level = it->first;
    if (level.text == kPlus) node->plus = child;
    if (level.text == kHash) node->hash = child;
    ++node_count_;
    node = child;
  }
  return *node;
}

TopicTree::Node* TopicTree::find(std::string_view filter) const {
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != kNoMoreLevels && node != nullptr;) {
    const detail::Level level = level_at(filter, pos);
    pos = level.next;
    const auto it = node->children.find(level.text);
    node = it == node->children.end() ? nullptr : it->second.get();
  }
  return node;
}

void TopicTree::prune(Node* node) {
  while (node != root_.get() && node->empty()) {
    Node* parent = node->parent;
    if (parent->plus == node) parent->plus = nullptr;
    if (parent->hash == node) parent->hash = nullptr;
    parent->children.erase(parent->children.find(node->level));  // destroys node
    --node_count_;
    node = parent;
  }
}

bool TopicTree::subscribe(std::string_view filter, const SubscriptionEntry& entry) {
  CAIRN_CHECK(model::is_valid_topic_filter(filter), "TopicTree::subscribe: invalid filter");
  const std::optional<model::SharedSubscription> shared = model::parse_shared_subscription(filter);
  if (!shared) {
    const bool existed = find_or_add(filter).subscribers.upsert(entry);
    if (!existed) ++subscription_count_;
    return existed;
  }
  std::vector<SharedGroup>& groups = find_or_add(shared->filter).groups;
  auto group = std::find_if(groups.begin(), groups.end(),
                            [&](const SharedGroup& g) { return g.name == shared->share_name; });
  if (group == groups.end()) {
    groups.push_back(SharedGroup{std::string(shared->share_name), {}, 0});
    group = groups.end() - 1;
  }
  auto member =
      std::find_if(group->members.begin(), group->members.end(),
                   [&](const SubscriptionEntry& m) { return m.session == entry.session; });
  if (member != group->members.end()) {
    *member = entry;
    return true;
  }
  // Joining at the end leaves the cursor on the member it was going to pick.
  group->members.push_back(entry);
  ++subscription_count_;
  return false;
}

bool TopicTree::unsubscribe(std::string_view filter, model::SessionId session) {
  const std::optional<model::SharedSubscription> shared = model::parse_shared_subscription(filter);
  Node* node = find(shared ? shared->filter : filter);
  if (node == nullptr) return false;
  if (!shared) {
    if (!node->subscribers.erase(session)) return false;
  } else {
    std::vector<SharedGroup>& groups = node->groups;
    const auto group = std::find_if(groups.begin(), groups.end(), [&](const SharedGroup& g) {
      return g.name == shared->share_name;
    });
    if (group == groups.end()) return false;
    std::vector<SubscriptionEntry>& members = group->members;
    const auto member = std::find_if(members.begin(), members.end(),
                                     [&](const auto& m) { return m.session == session; });
    if (member == members.end()) return false;
    // Keep the cursor on the member it would have picked next: members after
    // the leaver shift down by one.
    const auto index = static_cast<std::size_t>(member - members.begin());
    members.erase(member);
    if (index < group->next) --group->next;
    if (group->next >= members.size()) group->next = 0;
    if (members.empty()) groups.erase(group);
  }
  --subscription_count_;
  prune(node);
  return true;
}

void TopicTree::match(std::string_view topic, std::vector<const SubscriptionEntry*>& subscribers,
                      std::vector<SharedGroup*>& groups) {
  const auto emit = [&](Node& node) {
    for (const SubscriptionEntry& entry : node.subscribers.entries()) subscribers.push_back(&entry);
    for (SharedGroup& group : node.groups) groups.push_back(&group);
  };
  // [MQTT-4.7.2-1]: a topic starting with '$' is not matched by a filter
  // whose first level is a wildcard; deeper wildcards ("$SYS/#") do match.
  const Node* const wildcard_free = topic.starts_with('$') ? root_.get() : nullptr;

  struct Branch {
    Node* node;
    std::size_t pos;  // where the node's next topic level starts
  };
  BranchStack<Branch> pending;
  pending.push({root_.get(), 0});
  Branch branch;
  while (pending.pop(branch)) {
    Node* node = branch.node;
    std::size_t pos = branch.pos;
    // The literal child continues this loop; '+' children wait on the stack.
    while (true) {
      const bool wildcards = node != wildcard_free;
      // '#' matches the parent level and any number after it (§4.7.1.2):
      // "sport/#" matches "sport" as well as "sport/tennis/player1".
      if (wildcards && node->hash != nullptr) emit(*node->hash);
      if (pos == kNoMoreLevels) {
        emit(*node);
        break;
      }
      const detail::Level level = level_at(topic, pos);
      CAIRN_CHECK(level.text != kPlus && level.text != kHash,
                  "TopicTree::match: a topic name holds no wildcard");
      // '+' matches exactly one level, an empty one included (§4.7.1.3).
      if (wildcards && node->plus != nullptr) pending.push({node->plus, level.next});
      const auto it = node->children.find(level.text);
      if (it == node->children.end()) break;
      node = it->second.get();
      pos = level.next;
    }
  }
}

}  // namespace cairn::broker
