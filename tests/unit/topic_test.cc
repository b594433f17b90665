// model::is_valid_topic_name, is_valid_topic_filter and
// parse_shared_subscription ([MQTT-4.7], [MQTT-4.8.2]).
#include "model/topic.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace cairn::model {
namespace {

TEST(TopicName, Valid) {
  for (const std::string_view name :
       {"a", "/", "//", "a/b", "/a", "a/", " ", "a b", "$SYS/broker/load", "$share/g/x",
        "sport/tennis/player1", "\xE2\x82\xAC", "a$", "*", "a/*/b"}) {
    EXPECT_TRUE(is_valid_topic_name(name)) << name;
  }
}

TEST(TopicName, Invalid) {
  for (const std::string_view name :
       {"", "+", "#", "a/+", "a/#", "+/a", "a+", "a#", "a/b+c", "sport/tennis#", "#/a"}) {
    EXPECT_FALSE(is_valid_topic_name(name)) << name;
  }
}

TEST(TopicName, HasWildcard) {
  EXPECT_FALSE(has_wildcard(""));
  EXPECT_FALSE(has_wildcard("a/b/c"));
  EXPECT_TRUE(has_wildcard("+"));
  EXPECT_TRUE(has_wildcard("a/#"));
  EXPECT_TRUE(has_wildcard("a+b"));
  static_assert(has_wildcard("x/+/y"));
}

TEST(TopicFilter, Valid) {
  for (const std::string_view filter : {"a",
                                        "#",
                                        "+",
                                        "/",
                                        "//",
                                        "a/+/#",
                                        "+/+",
                                        "+/#",
                                        "/+",
                                        "+/",
                                        "/#",
                                        "a//b",
                                        "a/b/c/#",
                                        "sport/+/player1",
                                        "$SYS/#",
                                        "$SYS/+",
                                        "+/tennis/#",
                                        "$share",
                                        "$share/g/#",
                                        "$share/g/a/+",
                                        "$share/group/+/x/#",
                                        "$share/g/+",
                                        "$share/g//",
                                        "$share/g/$SYS/#",
                                        "$share/g$/x",
                                        "$sharex/y"}) {
    EXPECT_TRUE(is_valid_topic_filter(filter)) << filter;
  }
}

TEST(TopicFilter, Invalid) {
  for (const std::string_view filter : {"",
                                        "a/#/b",
                                        "a#",
                                        "a/b+",
                                        "+a",
                                        "a+/b",
                                        "#/",
                                        "#/a",
                                        "##",
                                        "++",
                                        "a/++",
                                        "+#",
                                        "a/#/",
                                        "sport/tennis#",
                                        "sport+",
                                        "$share//x",
                                        "$share/g",
                                        "$share/g+/x",
                                        "$share/+/x",
                                        "$share/#/x",
                                        "$share/g#/x",
                                        "$share/g/",
                                        "$share/",
                                        "$share//",
                                        "$share/g/a#",
                                        "$share/g/#/a"}) {
    EXPECT_FALSE(is_valid_topic_filter(filter)) << filter;
  }
}

TEST(SharedSubscription, Parses) {
  const auto a = parse_shared_subscription("$share/g/a/b");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->share_name, "g");
  EXPECT_EQ(a->filter, "a/b");

  const auto b = parse_shared_subscription("$share/group-1/#");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->share_name, "group-1");
  EXPECT_EQ(b->filter, "#");

  const auto c = parse_shared_subscription("$share/g//");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->share_name, "g");
  EXPECT_EQ(c->filter, "/");

  const auto d = parse_shared_subscription("$share/g/$share/h/x");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->share_name, "g");
  EXPECT_EQ(d->filter, "$share/h/x");
}

TEST(SharedSubscription, NotShared) {
  for (const std::string_view filter :
       {"a/b", "#", "$share", "$SHARE/g/a", "$sharex/g/a", "share/g/a", "/$share/g/a"}) {
    EXPECT_FALSE(parse_shared_subscription(filter).has_value()) << filter;
  }
}

TEST(SharedSubscription, ViewsIntoTheArgument) {
  const std::string filter = "$share/g/a/+";
  const auto parsed = parse_shared_subscription(filter);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->share_name.data(), filter.data() + 7);
  EXPECT_EQ(parsed->filter.data(), filter.data() + 9);
}

}  // namespace
}  // namespace cairn::model
