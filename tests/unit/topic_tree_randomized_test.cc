// TopicTree against a brute-force matcher: random subscribes and
// unsubscribes of random filters (plain and shared), then random topics, from
// a small alphabet of levels so that they collide often. match(), the return
// values, subscription_count() and node_count() must all agree with a
// reference that keeps a flat map of subscriptions.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker/topic_tree.h"
#include "model/topic.h"
#include "unit/topic_match_reference.h"

namespace cairn::broker {
namespace {

using match_reference::reference_match;
using model::SessionId;

SubscriptionEntry entry(SessionId session, std::uint32_t subscription_id) {
  SubscriptionEntry e;
  e.session = session;
  e.subscription_id = subscription_id;
  return e;
}

// Levels from a small alphabet, so that random filters and topics collide
// often: "" for empty levels, "$x" for the '$' rule.
constexpr std::string_view kTopicLevels[] = {"a", "b", "", "$x"};

std::string random_topic(std::mt19937& rng) {
  std::uniform_int_distribution<int> count(1, 4);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kTopicLevels) - 1);
  while (true) {
    std::vector<std::string> levels;
    for (int n = count(rng); n > 0; --n) levels.emplace_back(kTopicLevels[pick(rng)]);
    std::string topic = match_reference::join_levels(levels);
    if (!topic.empty()) return topic;  // one empty level: "" is no topic name
  }
}

std::string random_filter(std::mt19937& rng) {
  std::uniform_int_distribution<int> count(1, 4);
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kTopicLevels) - 1);
  std::vector<std::string> levels;
  const int n = count(rng);
  levels.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int k = kind(rng);
    if (k < 2) {
      levels.emplace_back("+");
    } else if (k < 3 && i == n - 1) {
      levels.emplace_back("#");
    } else {
      levels.emplace_back(kTopicLevels[pick(rng)]);
    }
  }
  std::string filter = match_reference::join_levels(levels);
  if (filter.empty()) filter = "/";  // one empty level: "" is no filter
  if (kind(rng) < 2) filter = (kind(rng) < 5 ? "$share/g1/" : "$share/g2/") + filter;
  return filter;
}

// A shared group as values: its name and its members' (session, id), sorted.
using GroupView = std::pair<std::string, std::vector<std::pair<SessionId, std::uint32_t>>>;

class ReferenceTree {
 public:
  bool subscribe(const std::string& filter, const SubscriptionEntry& e) {
    const bool existed = subs_.contains({filter, e.session});
    subs_[{filter, e.session}] = e;
    return existed;
  }
  bool unsubscribe(const std::string& filter, SessionId session) {
    return subs_.erase({filter, session}) > 0;
  }
  std::size_t size() const { return subs_.size(); }
  const auto& all() const { return subs_; }

  // Sorted (session, id) of plain matches, and the matching groups.
  std::pair<std::vector<std::pair<SessionId, std::uint32_t>>, std::vector<GroupView>> match(
      std::string_view topic) const {
    std::vector<std::pair<SessionId, std::uint32_t>> plain;
    std::map<std::pair<std::string, std::string>, GroupView::second_type> groups;
    for (const auto& [key, e] : subs_) {
      const auto shared = model::parse_shared_subscription(key.first);
      const std::string_view filter = shared ? shared->filter : std::string_view(key.first);
      if (!reference_match(filter, topic)) continue;
      if (shared) {
        groups[{std::string(shared->share_name), std::string(filter)}].emplace_back(
            e.session, e.subscription_id);
      } else {
        plain.emplace_back(e.session, e.subscription_id);
      }
    }
    std::sort(plain.begin(), plain.end());
    std::vector<GroupView> views;
    for (auto& [key, members] : groups) {
      std::sort(members.begin(), members.end());
      views.emplace_back(key.first, members);
    }
    std::sort(views.begin(), views.end());
    return {plain, views};
  }

  // Nodes a pruned trie holding these filters has, root included.
  std::size_t node_count() const {
    std::vector<std::string_view> filters;
    for (const auto& [key, e] : subs_) {
      const auto shared = model::parse_shared_subscription(key.first);
      filters.push_back(shared ? shared->filter : std::string_view(key.first));
    }
    return 1 + match_reference::distinct_prefixes(filters);
  }

 private:
  std::map<std::pair<std::string, SessionId>, SubscriptionEntry> subs_;
};

void expect_same_matches(TopicTree& tree, const ReferenceTree& reference, std::string_view topic) {
  std::vector<const SubscriptionEntry*> subscribers;
  std::vector<SharedGroup*> groups;
  tree.match(topic, subscribers, groups);
  std::vector<std::pair<SessionId, std::uint32_t>> plain;
  for (const SubscriptionEntry* e : subscribers) plain.emplace_back(e->session, e->subscription_id);
  std::sort(plain.begin(), plain.end());
  std::vector<GroupView> views;
  for (const SharedGroup* g : groups) {
    GroupView::second_type members;
    for (const SubscriptionEntry& m : g->members)
      members.emplace_back(m.session, m.subscription_id);
    std::sort(members.begin(), members.end());
    views.emplace_back(g->name, members);
  }
  std::sort(views.begin(), views.end());
  const auto [expected_plain, expected_groups] = reference.match(topic);
  ASSERT_EQ(plain, expected_plain) << "topic " << topic;
  ASSERT_EQ(views, expected_groups) << "topic " << topic;
}

TEST(TopicTreeRandomized, MatchesTheBruteForceReference) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<SessionId> session(1, 5);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uint32_t next_id = 1;
  int compared = 0;
  for (int round = 0; round < 40; ++round) {
    TopicTree tree;
    ReferenceTree reference;
    for (int step = 0; step < 300; ++step) {
      const std::string filter = random_filter(rng);
      const SessionId s = session(rng);
      if (percent(rng) < 65) {
        const SubscriptionEntry e = entry(s, next_id++);
        ASSERT_EQ(tree.subscribe(filter, e), reference.subscribe(filter, e)) << filter;
      } else {
        ASSERT_EQ(tree.unsubscribe(filter, s), reference.unsubscribe(filter, s)) << filter;
      }
      if (step % 30 == 29) {
        ASSERT_EQ(tree.subscription_count(), reference.size());
        ASSERT_EQ(tree.node_count(), reference.node_count());
        for (int t = 0; t < 25; ++t, ++compared) {
          expect_same_matches(tree, reference, random_topic(rng));
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
    // Unsubscribing everything prunes the tree back to its root.
    const auto remaining = reference.all();
    for (const auto& [key, e] : remaining) ASSERT_TRUE(tree.unsubscribe(key.first, key.second));
    ASSERT_EQ(tree.subscription_count(), 0U);
    ASSERT_EQ(tree.node_count(), 1U);
  }
  EXPECT_EQ(compared, 40 * 10 * 25);
}

}  // namespace
}  // namespace cairn::broker
