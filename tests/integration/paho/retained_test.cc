// Retained messages, and the MQTT 5 subscription options that govern them
// (Retain Handling, Retain As Published) and No Local.
#include <algorithm>
#include <string>
#include <vector>

#include "integration/paho/broker_test.h"

namespace cairn::paho_test {
namespace {

using Retained = BothVersions;

// Messages on different topics have no specified relative order.
std::vector<Message> by_topic(std::vector<Message> v) {
  std::sort(v.begin(), v.end(),
            [](const Message& a, const Message& b) { return a.topic < b.topic; });
  return v;
}

// [MQTT-3.3.1-5]: a retained message is kept and sent to later subscribers
// with RETAIN 1 [MQTT-3.3.1-9 (5.0)], [MQTT-3.3.1-8 (3.1.1)]; an empty
// retained payload removes it [MQTT-3.3.1-6 (5.0)], [MQTT-3.3.1-10 (3.1.1)].
TEST_P(Retained, LaterSubscriberGetsItUntilAnEmptyPayloadClearsIt) {
  auto pub = connected("ret-pub", version());
  ASSERT_EQ(pub->publish("ret/a", "kept", 1, true), MQTTCLIENT_SUCCESS);

  auto early = connected("ret-early", version());
  ASSERT_EQ(early->subscribe("ret/#", 1), 1);
  auto m = early->receive();
  ASSERT_TRUE(m) << "the retained message was not sent on subscribe";
  EXPECT_EQ(m->topic, "ret/a");
  EXPECT_EQ(m->payload, "kept");
  EXPECT_TRUE(m->retained);
  EXPECT_EQ(m->qos, 1);

  ASSERT_EQ(pub->publish("ret/a", "", 1, true), MQTTCLIENT_SUCCESS);
  auto cleared = early->receive();  // an existing subscriber sees the clearing publish
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->payload, "");

  auto late = connected("ret-late", version());
  ASSERT_EQ(late->subscribe("ret/#", 1), 1);
  const std::vector<Message> before = late->receive_until_marker("ret/marker");
  EXPECT_TRUE(before.empty()) << "a cleared retained message was still sent: '"
                              << before.front().payload << "'";
}

// A message that reaches a subscriber because it was already subscribed
// goes out with RETAIN 0, whatever the publisher set: [MQTT-3.3.1-9] in
// 3.1.1, and in 5.0 unless Retain As Published [MQTT-3.3.1-12].
TEST_P(Retained, LiveDeliveryHasTheRetainFlagCleared) {
  auto sub = connected("live-sub", version());
  ASSERT_EQ(sub->subscribe("live/#", 1), 1);
  auto pub = connected("live-pub", version());
  ASSERT_EQ(pub->publish("live/a", "new", 1, true), MQTTCLIENT_SUCCESS);
  auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "new");
  EXPECT_FALSE(m->retained);
}

// Only the last retained message per topic is kept [MQTT-3.3.1-5].
TEST_P(Retained, OnlyTheLastRetainedMessageOfATopicIsKept) {
  auto pub = connected("last-pub", version());
  ASSERT_EQ(pub->publish("last/a", "first", 1, true), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub->publish("last/a", "second", 1, true), MQTTCLIENT_SUCCESS);
  auto sub = connected("last-sub", version());
  ASSERT_EQ(sub->subscribe("last/#", 1), 1);
  const std::vector<Message> got = sub->receive_until_marker("last/marker");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "second");
}

// [MQTT-4.7.2-1]: filters starting with a wildcard do not match topics
// starting with '$'. cairn's $SYS/broker/ topics are retained, so a '#' or
// '+/...' subscriber would get them at once if they matched.
TEST_P(Retained, WildcardsDoNotMatchDollarTopics) {
  auto sys = connected("sys", version());
  ASSERT_EQ(sys->subscribe("$SYS/broker/version", 0), 0);
  ASSERT_TRUE(sys->receive()) << "no retained $SYS/broker/version to test with";

  auto all = connected("all", version());
  ASSERT_EQ(all->subscribe("#", 1), 1);
  ASSERT_EQ(all->subscribe("+/broker/version", 1), 1);
  for (const Message& m : all->receive_until_marker("marker")) {
    ADD_FAILURE() << "a wildcard filter matched " << m.topic;
  }
}

CAIRN_BOTH_VERSIONS(Retained);

class Retained5 : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (HasFatalFailure()) return;
    pub_ = connected("rh-pub", 5);
    ASSERT_EQ(pub_->publish("rh/a", "retained", 1, true), MQTTCLIENT_SUCCESS);
  }
  void TearDown() override {
    pub_.reset();
    BrokerTest::TearDown();
  }
  // Subscribes `c` to rh/# with Retain Handling `rh`; returns how many
  // retained messages it was sent for that SUBSCRIBE.
  std::size_t retained_sent(PahoClient& c, int rh) {
    SubscribeOptions o;
    o.retain_handling = rh;
    EXPECT_EQ(c.subscribe("rh/#", 1, o), 1);
    std::size_t n = 0;
    for (const Message& m : c.receive_until_marker("rh/marker")) {
      EXPECT_EQ(m.payload, "retained");
      EXPECT_TRUE(m.retained);
      ++n;
    }
    return n;
  }
  std::unique_ptr<PahoClient> pub_;
};

// §3.8.3.1 Retain Handling 0: retained messages at every SUBSCRIBE
// [MQTT-3.3.1-9], even when the subscription exists already.
TEST_F(Retained5, RetainHandling0SendsAtEverySubscribe) {
  auto sub = connected("rh0", 5);
  EXPECT_EQ(retained_sent(*sub, 0), 1u);
  EXPECT_EQ(retained_sent(*sub, 0), 1u);
}

// Retain Handling 1: only when the subscription is new [MQTT-3.3.1-10].
TEST_F(Retained5, RetainHandling1SendsOnlyForANewSubscription) {
  auto sub = connected("rh1", 5);
  EXPECT_EQ(retained_sent(*sub, 1), 1u);
  EXPECT_EQ(retained_sent(*sub, 1), 0u);
}

// Retain Handling 2: never [MQTT-3.3.1-11].
TEST_F(Retained5, RetainHandling2NeverSends) {
  auto sub = connected("rh2", 5);
  EXPECT_EQ(retained_sent(*sub, 2), 0u);
}

// Retain As Published: 1 keeps the publisher's RETAIN flag on live
// deliveries [MQTT-3.3.1-13], 0 clears it [MQTT-3.3.1-12].
TEST_F(Retained5, RetainAsPublishedKeepsTheFlag) {
  SubscribeOptions rap;
  rap.retain_as_published = true;
  SubscribeOptions plain;
  auto kept = connected("rap1", 5);
  ASSERT_EQ(kept->subscribe("rap/#", 1, rap), 1);
  auto cleared = connected("rap0", 5);
  ASSERT_EQ(cleared->subscribe("rap/#", 1, plain), 1);
  ASSERT_EQ(pub_->publish("rap/a", "flagged", 1, true), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(pub_->publish("rap/b", "not flagged", 1, false), MQTTCLIENT_SUCCESS);
  const std::vector<Message> k = by_topic(kept->receive(2));
  const std::vector<Message> c = by_topic(cleared->receive(2));
  ASSERT_EQ(k.size(), 2u);
  ASSERT_EQ(c.size(), 2u);
  ASSERT_EQ(k[0].topic, "rap/a");
  ASSERT_EQ(c[0].topic, "rap/a");
  EXPECT_TRUE(k[0].retained);
  EXPECT_FALSE(k[1].retained);
  EXPECT_FALSE(c[0].retained);
  EXPECT_FALSE(c[1].retained);
}

// No Local: a client's own messages are not sent back to it [MQTT-3.8.3-3];
// without it, they are.
TEST_F(Retained5, NoLocalKeepsOwnMessagesAway) {
  SubscribeOptions no_local;
  no_local.no_local = true;
  auto quiet = connected("no-local", 5);
  ASSERT_EQ(quiet->subscribe("nl/#", 1, no_local), 1);
  auto echo = connected("echo", 5);
  ASSERT_EQ(echo->subscribe("nl/#", 1), 1);

  ASSERT_EQ(quiet->publish("nl/own", "from quiet", 1), MQTTCLIENT_SUCCESS);
  ASSERT_EQ(echo->publish("nl/own", "from echo", 1), MQTTCLIENT_SUCCESS);
  auto first = quiet->receive();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload, "from echo") << "No Local sent the client its own message";
  std::vector<std::string> echoed;
  for (const Message& m : echo->receive(2)) echoed.push_back(m.payload);
  std::sort(echoed.begin(), echoed.end());
  EXPECT_EQ(echoed, (std::vector<std::string>{"from echo", "from quiet"}));
}

}  // namespace
}  // namespace cairn::paho_test
