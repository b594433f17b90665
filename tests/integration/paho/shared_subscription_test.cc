// Shared subscriptions, $share/GROUP/FILTER (MQTT 5 §4.8.2; cairn accepts
// them from 3.1.1 clients too, see ops/cairn.toml).
#include <set>
#include <string>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

constexpr int kMessages = 100;

std::string numbered(int i) {
  std::string s = "m";
  s += std::to_string(i);
  return s;
}

int number_of(const Message& m) { return std::stoi(m.payload.substr(1)); }

using Shared = BothVersions;

// §4.8.2: each message goes to exactly one member of the group; cairn picks
// them in turn (ops/cairn.toml), so
// two members get half each; none is lost or duplicated, and each member
// sees its share in order. A normal subscription of the same filter gets
// every message.
TEST_P(Shared, MembersShareTheMessagesAndANormalSubscriberGetsAll) {
  auto a = connected("member-a", version());
  auto b = connected("member-b", version());
  auto all = connected("everything", version());
  ASSERT_EQ(a->subscribe("$share/g/sh/t", 1), 1);
  ASSERT_EQ(b->subscribe("$share/g/sh/t", 1), 1);
  ASSERT_EQ(a->subscribe("a/marker", 1), 1);
  ASSERT_EQ(b->subscribe("b/marker", 1), 1);
  ASSERT_EQ(all->subscribe("sh/t", 1), 1);

  auto pub = connected("sh-pub", version());
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(pub->publish("sh/t", numbered(i), 1), MQTTCLIENT_SUCCESS) << i;
  }
  // Every message was routed before its PUBACK, so each member's marker
  // comes after its whole share.
  const std::vector<Message> got_a = a->receive_until_marker("a/marker");
  const std::vector<Message> got_b = b->receive_until_marker("b/marker");

  std::multiset<int> seen;
  for (const auto* share : {&got_a, &got_b}) {
    int last = -1;
    for (const Message& m : *share) {
      EXPECT_EQ(m.topic, "sh/t");
      const int n = number_of(m);
      EXPECT_GT(n, last) << "a member got its share out of order";
      last = n;
      seen.insert(n);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages)) << "lost or duplicated";
  EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), static_cast<std::size_t>(kMessages))
      << "a message went to both members";
  // Round robin between two members: half each.
  EXPECT_EQ(got_a.size(), static_cast<std::size_t>(kMessages / 2));
  EXPECT_EQ(got_b.size(), static_cast<std::size_t>(kMessages / 2));

  const std::vector<Message> everything = all->receive(kMessages);
  ASSERT_EQ(everything.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(everything[i].payload, numbered(i));
}

// Two groups on the same filter each get every message once.
TEST_P(Shared, EachGroupGetsEveryMessage) {
  auto g1 = connected("g1-member", version());
  auto g2 = connected("g2-member", version());
  ASSERT_EQ(g1->subscribe("$share/one/grp/#", 1), 1);
  ASSERT_EQ(g2->subscribe("$share/two/grp/#", 1), 1);
  auto pub = connected("grp-pub", version());
  ASSERT_EQ(pub->publish("grp/x", "to both groups", 1), MQTTCLIENT_SUCCESS);
  auto m1 = g1->receive();
  auto m2 = g2->receive();
  ASSERT_TRUE(m1);
  ASSERT_TRUE(m2);
  EXPECT_EQ(m1->payload, "to both groups");
  EXPECT_EQ(m2->payload, "to both groups");
}

CAIRN_BOTH_VERSIONS(Shared);

}  // namespace
}  // namespace cairn::paho_test
