// TopicTree: matching ([MQTT-4.7]), subscribe/unsubscribe bookkeeping, shared
// groups ([MQTT-4.8.2]) and pruning, by example. topic_tree_randomized_test.cc
// holds the comparison with a brute-force matcher.
#include "broker/topic_tree.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "unit/topic_match_reference.h"

namespace cairn::broker {
namespace {

using match_reference::kMatchCases;
using match_reference::reference_match;
using model::QoS;
using model::SessionId;

SubscriptionEntry entry(SessionId session, std::uint32_t subscription_id = 0,
                        QoS qos = QoS::kAtMostOnce) {
  SubscriptionEntry e;
  e.session = session;
  e.subscription_id = subscription_id;
  e.options.max_qos = qos;
  return e;
}

// What match() returns, copied out so tests can compare values.
struct Matches {
  std::vector<SubscriptionEntry> subscribers;
  std::vector<SharedGroup*> groups;

  std::vector<SessionId> sessions() const {
    std::vector<SessionId> out;
    for (const SubscriptionEntry& e : subscribers) out.push_back(e.session);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::uint32_t> subscription_ids() const {
    std::vector<std::uint32_t> out;
    for (const SubscriptionEntry& e : subscribers) out.push_back(e.subscription_id);
    std::sort(out.begin(), out.end());
    return out;
  }
};

Matches match(TopicTree& tree, std::string_view topic) {
  std::vector<const SubscriptionEntry*> subscribers;
  Matches m;
  tree.match(topic, subscribers, m.groups);
  for (const SubscriptionEntry* e : subscribers) m.subscribers.push_back(*e);
  return m;
}

TEST(TopicTreeMatch, Table) {
  for (const auto& c : kMatchCases) {
    TopicTree tree;
    tree.subscribe(c.filter, entry(7));
    const Matches m = match(tree, c.topic);
    EXPECT_EQ(m.subscribers.size(), c.matches ? 1U : 0U) << c.filter << " vs " << c.topic;
    EXPECT_TRUE(m.groups.empty());
  }
}

// The inner filter of a shared subscription obeys the same rules, the '$' one
// included.
TEST(TopicTreeMatch, TableShared) {
  for (const auto& c : kMatchCases) {
    TopicTree tree;
    tree.subscribe("$share/g/" + std::string(c.filter), entry(7));
    const Matches m = match(tree, c.topic);
    EXPECT_TRUE(m.subscribers.empty());
    ASSERT_EQ(m.groups.size(), c.matches ? 1U : 0U) << c.filter << " vs " << c.topic;
    if (c.matches) {
      EXPECT_EQ(m.groups[0]->name, "g");
    }
  }
}

// Guards the reference itself, which the randomized test trusts.
TEST(TopicTreeMatch, ReferenceAgreesWithTable) {
  for (const auto& c : kMatchCases) {
    EXPECT_EQ(reference_match(c.filter, c.topic), c.matches) << c.filter << " vs " << c.topic;
  }
}

TEST(TopicTreeMatch, AllFiltersInOneTree) {
  TopicTree tree;
  std::map<std::string_view, std::uint32_t> id_of;  // a filter listed twice keeps its last id
  std::uint32_t id = 0;
  for (const auto& c : kMatchCases) {
    tree.subscribe(c.filter, entry(1, ++id));
    id_of[c.filter] = id;
  }
  EXPECT_EQ(tree.subscription_count(), id_of.size());
  for (const auto& probe : kMatchCases) {
    std::vector<std::uint32_t> expected;
    for (const auto& [filter, filter_id] : id_of) {
      if (reference_match(filter, probe.topic)) expected.push_back(filter_id);
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(match(tree, probe.topic).subscription_ids(), expected) << probe.topic;
  }
}

TEST(TopicTreeMatch, EmptyTree) {
  TopicTree tree;
  EXPECT_EQ(tree.node_count(), 1U);
  EXPECT_EQ(tree.subscription_count(), 0U);
  const Matches m = match(tree, "a/b");
  EXPECT_TRUE(m.subscribers.empty());
  EXPECT_TRUE(m.groups.empty());
}

TEST(TopicTreeMatch, AppendsToTheCallersVectors) {
  TopicTree tree;
  tree.subscribe("a", entry(1));
  tree.subscribe("$share/g/a", entry(2));
  std::vector<const SubscriptionEntry*> subscribers;
  std::vector<SharedGroup*> groups;
  tree.match("a", subscribers, groups);
  tree.match("a", subscribers, groups);
  EXPECT_EQ(subscribers.size(), 2U);
  EXPECT_EQ(groups.size(), 2U);
}

TEST(TopicTreeSubscribe, ReturnsWhetherItExisted) {
  TopicTree tree;
  EXPECT_FALSE(tree.subscribe("a/+", entry(1, 5, QoS::kAtMostOnce)));
  EXPECT_TRUE(tree.subscribe("a/+", entry(1, 6, QoS::kExactlyOnce)));
  EXPECT_FALSE(tree.subscribe("a/+", entry(2)));
  EXPECT_FALSE(tree.subscribe("a/#", entry(1)));
  EXPECT_EQ(tree.subscription_count(), 3U);
}

TEST(TopicTreeSubscribe, ReplaceKeepsOneEntryWithTheNewOptions) {
  TopicTree tree;
  tree.subscribe("a/b", entry(1, 5, QoS::kAtMostOnce));
  SubscriptionEntry replacement = entry(1, 9, QoS::kExactlyOnce);
  replacement.options.no_local = true;
  replacement.options.retain_as_published = true;
  replacement.options.retain_handling = model::RetainHandling::kDoNotSend;
  EXPECT_TRUE(tree.subscribe("a/b", replacement));
  const Matches m = match(tree, "a/b");
  ASSERT_EQ(m.subscribers.size(), 1U);
  EXPECT_EQ(m.subscribers[0].subscription_id, 9U);
  EXPECT_EQ(m.subscribers[0].options, replacement.options);
  EXPECT_EQ(tree.subscription_count(), 1U);
}

TEST(TopicTreeUnsubscribe, ReturnsWhetherItExisted) {
  TopicTree tree;
  tree.subscribe("a/b", entry(1));
  EXPECT_FALSE(tree.unsubscribe("a/c", 1));
  EXPECT_FALSE(tree.unsubscribe("a/b", 2));
  EXPECT_FALSE(tree.unsubscribe("a", 1));  // a node, but no subscription on it
  EXPECT_FALSE(tree.unsubscribe("a/b/c", 1));
  EXPECT_FALSE(tree.unsubscribe("$share/g/a/b", 1));
  EXPECT_TRUE(tree.unsubscribe("a/b", 1));
  EXPECT_FALSE(tree.unsubscribe("a/b", 1));
  EXPECT_EQ(tree.subscription_count(), 0U);
  EXPECT_TRUE(match(tree, "a/b").subscribers.empty());
}

TEST(TopicTreeMatch, SeveralSessionsOnOneFilter) {
  TopicTree tree;
  for (SessionId s : {3U, 1U, 2U}) tree.subscribe("sensors/+/temp", entry(s));
  EXPECT_EQ(match(tree, "sensors/k/temp").sessions(), (std::vector<SessionId>{1, 2, 3}));
  tree.unsubscribe("sensors/+/temp", 1);
  EXPECT_EQ(match(tree, "sensors/k/temp").sessions(), (std::vector<SessionId>{2, 3}));
}

// One entry per matching filter: the Router merges them (highest QoS, every
// subscription identifier [MQTT-3.3.4-2], [MQTT-3.3.4-3]).
TEST(TopicTreeMatch, OneSessionWithSeveralMatchingFilters) {
  TopicTree tree;
  tree.subscribe("a/b", entry(1, 10, QoS::kAtMostOnce));
  tree.subscribe("a/+", entry(1, 11, QoS::kAtLeastOnce));
  tree.subscribe("#", entry(1, 12, QoS::kExactlyOnce));
  tree.subscribe("+/b", entry(1, 0));
  tree.subscribe("a/c", entry(1, 13));
  const Matches m = match(tree, "a/b");
  EXPECT_EQ(m.sessions(), (std::vector<SessionId>{1, 1, 1, 1}));
  EXPECT_EQ(m.subscription_ids(), (std::vector<std::uint32_t>{0, 10, 11, 12}));
  std::vector<QoS> qos;
  for (const SubscriptionEntry& e : m.subscribers) qos.push_back(e.options.max_qos);
  EXPECT_EQ(std::count(qos.begin(), qos.end(), QoS::kExactlyOnce), 1);
}

// Past the point where a filter's entries get an index by session, and back.
TEST(TopicTreeSubscribe, ManySessionsOnOneFilter) {
  TopicTree tree;
  for (SessionId s = 1; s <= 100; ++s) EXPECT_FALSE(tree.subscribe("all", entry(s, 1)));
  for (SessionId s = 1; s <= 100; s += 2) EXPECT_TRUE(tree.subscribe("all", entry(s, 2)));
  for (SessionId s = 2; s <= 100; s += 2) EXPECT_TRUE(tree.unsubscribe("all", s));
  for (SessionId s = 2; s <= 100; s += 2) EXPECT_FALSE(tree.unsubscribe("all", s));
  Matches m = match(tree, "all");
  std::vector<SessionId> odd;
  for (SessionId s = 1; s <= 100; s += 2) odd.push_back(s);
  EXPECT_EQ(m.sessions(), odd);
  for (const SubscriptionEntry& e : m.subscribers) EXPECT_EQ(e.subscription_id, 2U);
  for (SessionId s = 1; s <= 95; s += 2) EXPECT_TRUE(tree.unsubscribe("all", s));
  EXPECT_TRUE(tree.subscribe("all", entry(97, 3)));
  EXPECT_FALSE(tree.subscribe("all", entry(4, 3)));
  EXPECT_EQ(match(tree, "all").sessions(), (std::vector<SessionId>{4, 97, 99}));
  EXPECT_EQ(tree.subscription_count(), 3U);
}

TEST(TopicTreeShared, TwoGroupsOnOneFilterEachGetOnePick) {
  TopicTree tree;
  tree.subscribe("$share/g1/a/+", entry(1));
  tree.subscribe("$share/g1/a/+", entry(2));
  tree.subscribe("$share/g2/a/+", entry(3));
  tree.subscribe("$share/g3/a/c", entry(4));
  EXPECT_EQ(tree.subscription_count(), 4U);
  const Matches m = match(tree, "a/b");
  EXPECT_TRUE(m.subscribers.empty());
  ASSERT_EQ(m.groups.size(), 2U);
  std::vector<std::string> names;
  for (SharedGroup* g : m.groups) {
    names.push_back(g->name);
    EXPECT_NE(g->pick([](const SubscriptionEntry&) { return true; }), nullptr);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"g1", "g2"}));
}

// A shared and a plain subscription of one session to one filter, or two
// groups, are separate subscriptions.
TEST(TopicTreeShared, DistinctFromPlainSubscriptions) {
  TopicTree tree;
  EXPECT_FALSE(tree.subscribe("a", entry(1)));
  EXPECT_FALSE(tree.subscribe("$share/g/a", entry(1)));
  EXPECT_FALSE(tree.subscribe("$share/h/a", entry(1)));
  EXPECT_TRUE(tree.subscribe("$share/g/a", entry(1, 4)));
  EXPECT_EQ(tree.subscription_count(), 3U);
  EXPECT_TRUE(tree.unsubscribe("a", 1));
  Matches m = match(tree, "a");
  EXPECT_TRUE(m.subscribers.empty());
  ASSERT_EQ(m.groups.size(), 2U);
  for (SharedGroup* g : m.groups) {
    ASSERT_EQ(g->members.size(), 1U);
    EXPECT_EQ(g->members[0].subscription_id, g->name == "g" ? 4U : 0U);
  }
  EXPECT_TRUE(tree.unsubscribe("$share/g/a", 1));
  EXPECT_FALSE(tree.unsubscribe("$share/g/a", 1));
  EXPECT_EQ(match(tree, "a").groups.size(), 1U);
}

SessionId pick_session(SharedGroup& group, SessionId offline = 0) {
  const SubscriptionEntry* e =
      group.pick([offline](const SubscriptionEntry& m) { return m.session != offline; });
  return e == nullptr ? 0 : e->session;
}

SharedGroup& only_group(TopicTree& tree, std::string_view topic) {
  std::vector<const SubscriptionEntry*> subscribers;
  std::vector<SharedGroup*> groups;
  tree.match(topic, subscribers, groups);
  EXPECT_EQ(groups.size(), 1U);
  return *groups.at(0);
}

TEST(TopicTreeShared, RoundRobin) {
  TopicTree tree;
  for (SessionId s : {1U, 2U, 3U}) tree.subscribe("$share/g/jobs", entry(s));
  std::vector<SessionId> picked;
  for (int i = 0; i < 7; ++i) picked.push_back(pick_session(only_group(tree, "jobs")));
  EXPECT_EQ(picked, (std::vector<SessionId>{1, 2, 3, 1, 2, 3, 1}));
}

TEST(TopicTreeShared, PickSkipsIneligibleMembers) {
  TopicTree tree;
  for (SessionId s : {1U, 2U, 3U}) tree.subscribe("$share/g/jobs", entry(s));
  SharedGroup& group = only_group(tree, "jobs");
  std::vector<SessionId> picked;
  for (int i = 0; i < 3; ++i) picked.push_back(pick_session(group, /*offline=*/2));
  EXPECT_EQ(picked, (std::vector<SessionId>{1, 3, 1}));
  // Nobody eligible: nullptr, and the cursor stays on 2.
  EXPECT_EQ(group.pick([](const SubscriptionEntry&) { return false; }), nullptr);
  EXPECT_EQ(group.next, 1U);
  EXPECT_EQ(pick_session(group), 2U);
}

TEST(TopicTreeShared, PickOnAnEmptyOrOneMemberGroup) {
  SharedGroup empty{"g", {}, 0};
  EXPECT_EQ(empty.pick([](const SubscriptionEntry&) { return true; }), nullptr);
  SharedGroup one{"g", {entry(5)}, 3};  // a stale cursor past the end
  EXPECT_EQ(pick_session(one), 5U);
  EXPECT_EQ(pick_session(one), 5U);
  EXPECT_EQ(one.next, 0U);
}

TEST(TopicTreeShared, MemberLeavingKeepsTheRotation) {
  TopicTree tree;
  for (SessionId s : {1U, 2U, 3U, 4U}) tree.subscribe("$share/g/jobs", entry(s));
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 1U);
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 2U);
  // Next up is 3. A member before it leaving must not make the group skip 3.
  EXPECT_TRUE(tree.unsubscribe("$share/g/jobs", 1));
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 3U);
  // Next up is 4, and it leaves: its successor, wrapping around, is next.
  EXPECT_TRUE(tree.unsubscribe("$share/g/jobs", 4));
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 2U);
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 3U);
  // A newcomer joins at the end of the rotation.
  tree.subscribe("$share/g/jobs", entry(9));
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 2U);
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 3U);
  EXPECT_EQ(pick_session(only_group(tree, "jobs")), 9U);
}

TEST(TopicTreeShared, LastMemberLeavingRemovesTheGroup) {
  TopicTree tree;
  tree.subscribe("$share/g/a/b", entry(1));
  tree.subscribe("$share/g/a/b", entry(2));
  EXPECT_TRUE(tree.unsubscribe("$share/g/a/b", 1));
  EXPECT_EQ(match(tree, "a/b").groups.size(), 1U);
  EXPECT_TRUE(tree.unsubscribe("$share/g/a/b", 2));
  EXPECT_TRUE(match(tree, "a/b").groups.empty());
  EXPECT_EQ(tree.node_count(), 1U);
  EXPECT_EQ(tree.subscription_count(), 0U);
}

TEST(TopicTreeShared, DollarRuleAppliesToTheInnerFilter) {
  TopicTree tree;
  tree.subscribe("$share/g/#", entry(1));
  tree.subscribe("$share/h/$SYS/#", entry(2));
  tree.subscribe("$share/i/$share/j/x", entry(3));  // inner filter "$share/j/x"
  const Matches m = match(tree, "$SYS/broker/uptime");
  ASSERT_EQ(m.groups.size(), 1U);
  EXPECT_EQ(m.groups[0]->name, "h");
  const Matches inner = match(tree, "$share/j/x");
  ASSERT_EQ(inner.groups.size(), 1U);
  EXPECT_EQ(inner.groups[0]->name, "i");
  EXPECT_TRUE(tree.unsubscribe("$share/i/$share/j/x", 3));
}

TEST(TopicTreeSubscribe, SubscriptionIdentifiersAreCarried) {
  TopicTree tree;
  tree.subscribe("a/+", entry(1, 268'435'455));  // the largest identifier
  tree.subscribe("$share/g/a/+", entry(2, 42));
  const Matches m = match(tree, "a/b");
  ASSERT_EQ(m.subscribers.size(), 1U);
  EXPECT_EQ(m.subscribers[0].subscription_id, 268'435'455U);
  ASSERT_EQ(m.groups.size(), 1U);
  EXPECT_EQ(m.groups[0]->members.at(0).subscription_id, 42U);
}

// The convention: the root always exists, so an empty tree has one node.
TEST(TopicTreePrune, RemovingEverythingLeavesTheRoot) {
  TopicTree tree;
  const std::vector<std::string> filters = {"a/b/c", "a/b", "a/+/c", "a/#",    "#",
                                            "+",     "/",   "//",    "$SYS/#", "a//b"};
  for (const std::string& f : filters) tree.subscribe(f, entry(1));
  tree.subscribe("$share/g/a/b/c/d", entry(2));
  EXPECT_GT(tree.node_count(), 1U);
  for (const std::string& f : filters) EXPECT_TRUE(tree.unsubscribe(f, 1)) << f;
  EXPECT_TRUE(tree.unsubscribe("$share/g/a/b/c/d", 2));
  EXPECT_EQ(tree.node_count(), 1U);
  EXPECT_EQ(tree.subscription_count(), 0U);
}

TEST(TopicTreePrune, KeepsNodesStillInUse) {
  TopicTree tree;
  tree.subscribe("a/b/c", entry(1));
  tree.subscribe("a/b", entry(1));
  EXPECT_EQ(tree.node_count(), 4U);  // root, a, b, c
  tree.unsubscribe("a/b/c", 1);
  EXPECT_EQ(tree.node_count(), 3U);
  tree.subscribe("a/b/c/d", entry(1));
  tree.unsubscribe("a/b", 1);
  EXPECT_EQ(tree.node_count(), 5U);  // a/b stays on the path to a/b/c/d
  tree.unsubscribe("a/b/c/d", 1);
  EXPECT_EQ(tree.node_count(), 1U);
  tree.unsubscribe("a/b/c", 2);  // no such subscription: prunes nothing, breaks nothing
  EXPECT_EQ(tree.node_count(), 1U);
}

// match() caches the '+' and '#' children: pruning them must clear the cache.
TEST(TopicTreePrune, WildcardChildrenComeAndGo) {
  TopicTree tree;
  for (int round = 0; round < 3; ++round) {
    tree.subscribe("a/+", entry(1));
    tree.subscribe("a/#", entry(2));
    tree.subscribe("+/x", entry(3));
    EXPECT_EQ(match(tree, "a/x").sessions(), (std::vector<SessionId>{1, 2, 3}));
    tree.unsubscribe("a/+", 1);
    EXPECT_EQ(match(tree, "a/x").sessions(), (std::vector<SessionId>{2, 3}));
    tree.unsubscribe("+/x", 3);
    tree.unsubscribe("a/#", 2);
    EXPECT_TRUE(match(tree, "a/x").subscribers.empty());
    EXPECT_EQ(tree.node_count(), 1U);
  }
}

// Levels are walked with loops, not recursion: tens of thousands of them
// (the most a 65,535-byte filter can have) cost no call stack.
TEST(TopicTreeMatch, VeryDeepFiltersAndTopics) {
  constexpr int kLevels = 30'000;
  std::string plus_filter = "+";
  std::string topic = "a";
  for (int i = 1; i < kLevels; ++i) {
    plus_filter += "/+";
    topic += "/a";
  }
  TopicTree tree;
  tree.subscribe(plus_filter, entry(1));
  tree.subscribe(topic, entry(2));
  tree.subscribe(std::string(kLevels, '/'), entry(3));
  tree.subscribe("#", entry(4));
  EXPECT_EQ(match(tree, topic).sessions(), (std::vector<SessionId>{1, 2, 4}));
  EXPECT_EQ(match(tree, std::string(kLevels, '/')).sessions(), (std::vector<SessionId>{3, 4}));
  EXPECT_TRUE(tree.unsubscribe(topic, 2));
  // The destructor dismantles the rest, also without recursion.
}

// More '+' branches pending at once than match() keeps inline (it spills
// them to the heap): "a/+/#", "a/a/+/#", ... all match a 100-level topic.
TEST(TopicTreeMatch, ManyPendingWildcardBranches) {
  TopicTree tree;
  std::string prefix;
  std::string topic = "a";
  for (SessionId s = 1; s <= 100; ++s) {
    tree.subscribe(prefix + "+/#", entry(s));
    prefix += "a/";
    if (s > 1) topic += "/a";
  }
  std::vector<SessionId> all(100);
  for (SessionId s = 1; s <= 100; ++s) all[s - 1] = s;
  EXPECT_EQ(match(tree, topic).sessions(), all);
  all.pop_back();  // 99 levels: the filter with 99 a's before its '+' needs 100
  EXPECT_EQ(match(tree, topic.substr(2)).sessions(), all);
}

TEST(TopicTreeDeathTest, InvalidFilterIsAProgrammingError) {
  TopicTree tree;
  EXPECT_DEATH(tree.subscribe("a/#/b", entry(1)), "invalid filter");
}

}  // namespace
}  // namespace cairn::broker
