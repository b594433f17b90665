// RetainedIndex: set, replace and clear by empty payload ([MQTT-3.3.1-5] to
// [MQTT-3.3.1-7]), matching with '+', '#' and the '$' rule ([MQTT-4.7]),
// expiry, pruning, and a randomized comparison with a brute-force reference.
#include "broker/retained_index.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "unit/topic_match_reference.h"

namespace cairn::broker {
namespace {

using match_reference::kMatchCases;
using match_reference::reference_match;
using model::Message;
using model::MessagePtr;
using model::WallTime;
using std::chrono::seconds;

const WallTime kNow = WallTime() + std::chrono::hours(24 * 365 * 50);

MessagePtr retained(std::string topic, std::string payload = "x",
                    std::optional<WallTime> expires_at = std::nullopt) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  m->expires_at = expires_at;
  return m;
}

std::vector<std::string> topics(const RetainedIndex& index, std::string_view filter,
                                WallTime now = kNow) {
  std::vector<MessagePtr> out;
  index.match(filter, now, out);
  std::vector<std::string> result;
  for (const MessagePtr& m : out) result.push_back(m->topic);
  std::sort(result.begin(), result.end());
  return result;
}

using Topics = std::vector<std::string>;

TEST(RetainedIndex, SetAndMatchExact) {
  RetainedIndex index;
  EXPECT_EQ(index.size(), 0U);
  EXPECT_EQ(index.node_count(), 1U);
  EXPECT_TRUE(index.set(retained("a/b")));
  EXPECT_EQ(index.size(), 1U);
  EXPECT_EQ(index.node_count(), 3U);
  EXPECT_EQ(topics(index, "a/b"), Topics{"a/b"});
  EXPECT_TRUE(topics(index, "a").empty());
  EXPECT_TRUE(topics(index, "a/b/c").empty());
}

TEST(RetainedIndex, ReplaceKeepsTheNewest) {
  RetainedIndex index;
  const MessagePtr first = retained("a", "one");
  const MessagePtr second = retained("a", "two");
  EXPECT_TRUE(index.set(first));
  EXPECT_TRUE(index.set(second));
  EXPECT_FALSE(index.set(second));  // the same message again changes nothing
  EXPECT_EQ(index.size(), 1U);
  std::vector<MessagePtr> out;
  index.match("a", kNow, out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0], second);
}

TEST(RetainedIndex, EmptyPayloadClears) {
  RetainedIndex index;
  index.set(retained("a/b", "x"));
  EXPECT_TRUE(index.set(retained("a/b", "")));  // [MQTT-3.3.1-6]
  EXPECT_EQ(index.size(), 0U);
  EXPECT_TRUE(topics(index, "#").empty());
  EXPECT_EQ(index.node_count(), 1U);
  // Nothing to clear: no change, and the empty message is not stored
  // [MQTT-3.3.1-7].
  EXPECT_FALSE(index.set(retained("a/b", "")));
  EXPECT_EQ(index.size(), 0U);
  EXPECT_EQ(index.node_count(), 1U);
}

TEST(RetainedIndex, Erase) {
  RetainedIndex index;
  index.set(retained("a/b"));
  EXPECT_FALSE(index.erase("a"));  // a node, but no message on it
  EXPECT_FALSE(index.erase("a/b/c"));
  EXPECT_FALSE(index.erase("x"));
  EXPECT_TRUE(index.erase("a/b"));
  EXPECT_FALSE(index.erase("a/b"));
  EXPECT_EQ(index.size(), 0U);
  EXPECT_EQ(index.node_count(), 1U);
}

// The same table as TopicTree's, the other way round: the topic is retained
// and the filter subscribes.
TEST(RetainedIndex, MatchTable) {
  for (const auto& c : kMatchCases) {
    RetainedIndex index;
    index.set(retained(std::string(c.topic)));
    EXPECT_EQ(topics(index, c.filter).size(), c.matches ? 1U : 0U) << c.filter << " vs " << c.topic;
  }
}

TEST(RetainedIndex, MatchTableAllTopicsInOneIndex) {
  RetainedIndex index;
  std::map<std::string_view, bool> all;
  for (const auto& c : kMatchCases) {
    index.set(retained(std::string(c.topic)));
    all[c.topic] = true;
  }
  EXPECT_EQ(index.size(), all.size());
  for (const auto& c : kMatchCases) {
    Topics expected;
    for (const auto& [topic, unused] : all) {
      if (reference_match(c.filter, topic)) expected.emplace_back(topic);
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(topics(index, c.filter), expected) << c.filter;
  }
}

TEST(RetainedIndex, WildcardsAndTheDollarRule) {
  RetainedIndex index;
  for (const char* t : {"a", "a/b", "a/c", "a/b/c", "b", "/", "$SYS/uptime", "$SYS", "a/$x"}) {
    index.set(retained(t));
  }
  EXPECT_EQ(topics(index, "a/+"), (Topics{"a/$x", "a/b", "a/c"}));
  EXPECT_EQ(topics(index, "a/#"), (Topics{"a", "a/$x", "a/b", "a/b/c", "a/c"}));
  EXPECT_EQ(topics(index, "+"), (Topics{"a", "b"}));
  EXPECT_EQ(topics(index, "+/+"), (Topics{"/", "a/$x", "a/b", "a/c"}));
  EXPECT_EQ(topics(index, "#"), (Topics{"/", "a", "a/$x", "a/b", "a/b/c", "a/c", "b"}));
  EXPECT_EQ(topics(index, "$SYS/#"), (Topics{"$SYS", "$SYS/uptime"}));
  EXPECT_EQ(topics(index, "$SYS/+"), (Topics{"$SYS/uptime"}));
  EXPECT_TRUE(topics(index, "+/uptime").empty());
}

TEST(RetainedIndex, ExpiredMessagesAreNotMatched) {
  RetainedIndex index;
  index.set(retained("a", "x", kNow + seconds(10)));
  index.set(retained("b", "x"));  // never expires
  EXPECT_EQ(topics(index, "#", kNow), (Topics{"a", "b"}));
  EXPECT_EQ(topics(index, "#", kNow + seconds(9)), (Topics{"a", "b"}));
  EXPECT_EQ(topics(index, "#", kNow + seconds(10)), Topics{"b"});  // expires_at <= now
  EXPECT_EQ(topics(index, "a", kNow + seconds(11)), Topics{});
  EXPECT_EQ(index.size(), 2U);  // still held until remove_expired
}

TEST(RetainedIndex, RemoveExpired) {
  RetainedIndex index;
  index.set(retained("a", "x", kNow + seconds(5)));
  index.set(retained("a/b", "x", kNow + seconds(5)));  // parent and child both go
  index.set(retained("a/b/c", "x", kNow + seconds(20)));
  index.set(retained("x/y", "x", kNow + seconds(1)));
  index.set(retained("z", "x"));
  EXPECT_EQ(index.node_count(), 7U);
  EXPECT_EQ(index.remove_expired(kNow), 0U);
  EXPECT_EQ(index.remove_expired(kNow + seconds(5)), 3U);
  EXPECT_EQ(index.size(), 2U);
  EXPECT_EQ(topics(index, "#", kNow), (Topics{"a/b/c", "z"}));
  EXPECT_EQ(index.node_count(), 5U);  // root, a, a/b, a/b/c, z
  EXPECT_EQ(index.remove_expired(kNow + seconds(20)), 1U);
  EXPECT_EQ(index.node_count(), 2U);
  EXPECT_EQ(index.remove_expired(kNow + seconds(1000)), 0U);
  EXPECT_TRUE(index.erase("z"));
  EXPECT_EQ(index.node_count(), 1U);
}

TEST(RetainedIndex, PrunesOnlyEmptyNodes) {
  RetainedIndex index;
  index.set(retained("a/b/c"));
  index.set(retained("a/b"));
  EXPECT_EQ(index.node_count(), 4U);
  index.erase("a/b/c");
  EXPECT_EQ(index.node_count(), 3U);
  index.set(retained("a/b/c/d"));
  index.erase("a/b");
  EXPECT_EQ(index.node_count(), 5U);  // a/b stays on the path to a/b/c/d
  EXPECT_EQ(topics(index, "a/#"), Topics{"a/b/c/d"});
  index.erase("a/b/c/d");
  EXPECT_EQ(index.node_count(), 1U);
}

// A shared subscription's inner filter may itself start with "$share/".
TEST(RetainedIndex, InnerFilterStartingWithShare) {
  RetainedIndex index;
  index.set(retained("$share/h/x"));
  EXPECT_EQ(topics(index, "$share/h/x"), Topics{"$share/h/x"});
  EXPECT_EQ(topics(index, "$share/h/+"), Topics{"$share/h/x"});
  EXPECT_TRUE(topics(index, "$share/h").empty());
  EXPECT_TRUE(topics(index, "#").empty());
}

TEST(RetainedIndex, VeryDeepTopics) {
  constexpr int kLevels = 30'000;
  std::string deep = "a";
  for (int i = 1; i < kLevels; ++i) deep += "/a";
  RetainedIndex index;
  index.set(retained(deep));
  index.set(retained(std::string(kLevels, '/')));
  EXPECT_EQ(index.size(), 2U);
  EXPECT_EQ(topics(index, "#").size(), 2U);
  EXPECT_EQ(topics(index, "a/#").size(), 1U);
  EXPECT_EQ(topics(index, deep).size(), 1U);
  EXPECT_EQ(index.remove_expired(kNow), 0U);
  EXPECT_TRUE(index.erase(deep));
  // The destructor dismantles the rest without recursion.
}

TEST(RetainedIndexDeathTest, WildcardTopicIsAProgrammingError) {
  RetainedIndex index;
  EXPECT_DEATH(index.set(retained("a/+")), "invalid topic");
}

// ---- Randomized comparison with the brute-force reference ----

constexpr std::string_view kTopicLevels[] = {"a", "b", "", "$x"};

std::string random_levels(std::mt19937& rng, bool wildcards) {
  std::uniform_int_distribution<int> count(1, 4);
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kTopicLevels) - 1);
  std::vector<std::string> levels;
  const int n = count(rng);
  for (int i = 0; i < n; ++i) {
    const int k = wildcards ? kind(rng) : 9;
    if (k < 2) {
      levels.emplace_back("+");
    } else if (k < 3 && i == n - 1) {
      levels.emplace_back("#");
    } else {
      levels.emplace_back(kTopicLevels[pick(rng)]);
    }
  }
  const std::string joined = match_reference::join_levels(levels);
  return joined.empty() ? "/" : joined;  // one empty level: "" is no topic
}

TEST(RetainedIndexRandomized, MatchesTheBruteForceReference) {
  std::mt19937 rng(7331);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int> expiry(1, 20);
  int compared = 0;
  for (int round = 0; round < 40; ++round) {
    RetainedIndex index;
    std::map<std::string, MessagePtr> reference;
    WallTime now = kNow;
    for (int step = 0; step < 200; ++step) {
      const std::string topic = random_levels(rng, /*wildcards=*/false);
      const int p = percent(rng);
      if (p < 55) {
        std::optional<WallTime> expires_at;
        if (percent(rng) < 40) expires_at = now + seconds(expiry(rng));
        const MessagePtr m = retained(topic, "x", expires_at);
        ASSERT_TRUE(index.set(m));
        reference[topic] = m;
      } else if (p < 75) {
        const bool had = reference.erase(topic) > 0;
        ASSERT_EQ(index.set(retained(topic, "")), had) << topic;
      } else if (p < 90) {
        const bool had = reference.erase(topic) > 0;
        ASSERT_EQ(index.erase(topic), had) << topic;
      } else {
        now += seconds(expiry(rng) / 4);
        std::size_t expired = 0;
        for (auto it = reference.begin(); it != reference.end();) {
          const bool gone = it->second->expires_at && *it->second->expires_at <= now;
          expired += gone ? 1 : 0;
          it = gone ? reference.erase(it) : std::next(it);
        }
        ASSERT_EQ(index.remove_expired(now), expired);
      }
      if (step % 20 == 19) {
        ASSERT_EQ(index.size(), reference.size());
        std::vector<std::string_view> names;
        for (const auto& [t, m] : reference) names.push_back(t);
        ASSERT_EQ(index.node_count(), 1 + match_reference::distinct_prefixes(names));
        // Match a little in the future, so some held messages count as expired.
        const WallTime later = now + seconds(expiry(rng) / 2);
        for (int f = 0; f < 25; ++f, ++compared) {
          const std::string filter = random_levels(rng, /*wildcards=*/true);
          Topics expected;
          for (const auto& [t, m] : reference) {
            const bool live = !m->expires_at || *m->expires_at > later;
            if (live && reference_match(filter, t)) expected.push_back(t);
          }
          ASSERT_EQ(topics(index, filter, later), expected) << "filter " << filter;
        }
      }
    }
    for (const auto& [t, m] : reference) ASSERT_TRUE(index.erase(t));
    ASSERT_EQ(index.size(), 0U);
    ASSERT_EQ(index.node_count(), 1U);
  }
  EXPECT_EQ(compared, 40 * 10 * 25);
}

}  // namespace
}  // namespace cairn::broker
