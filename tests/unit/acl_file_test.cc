// AclFile: mosquitto-compatible ACL files. Each expected read and write
// decision is what mosquitto 2.0.11 decides for the same file and client (the
// table of the example file was run against a real mosquitto 2.0.11 as well).
// Subscriptions are cairn's own (mosquitto grants them all; acl_file.h, step
// 1): a rule covering the filter as mosquitto 2.1's mosquitto_sub_matches_acl
// decides, with the read rules.
#include "auth/acl_file.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <gtest/gtest.h>

#include "unit/topic_match_reference.h"

namespace cairn::auth {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

constexpr std::optional<std::string_view> kAnonymous = std::nullopt;

AclFile parse_ok(std::string_view text) {
  auto result = AclFile::parse(text);
  if (const auto* error = std::get_if<AuthFileError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << error->describe("acl file");
    return std::get<AclFile>(AclFile::parse(""));
  }
  return std::get<AclFile>(std::move(result));
}

AuthFileError parse_error(std::string_view text) {
  auto result = AclFile::parse(text);
  if (!std::holds_alternative<AuthFileError>(result)) {
    ADD_FAILURE() << "parsed, expected an error: " << text;
    return {};
  }
  return std::get<AuthFileError>(result);
}

bool can_read(const AclFile& acl, std::string_view id, std::optional<std::string_view> user,
              std::string_view topic) {
  return acl.allows(id, user, topic, AclAccess::kRead);
}

bool can_write(const AclFile& acl, std::string_view id, std::optional<std::string_view> user,
               std::string_view topic) {
  return acl.allows(id, user, topic, AclAccess::kWrite);
}

bool can_subscribe(const AclFile& acl, std::string_view id, std::optional<std::string_view> user,
                   std::string_view filter) {
  return acl.allows(id, user, filter, AclAccess::kSubscribe);
}

// ---------------------------------------------------------------------------
// The example file, end to end.

struct Decision {
  std::string_view client_id;
  std::optional<std::string_view> username;
  std::string_view topic;
  AclAccess access;
  bool allowed;
};

constexpr auto kR = AclAccess::kRead;
constexpr auto kW = AclAccess::kWrite;

// Every row was also run against mosquitto 2.0.11 with the same file.
const Decision kExampleDecisions[] = {
    // Anonymous: the block before the first `user` line, and the patterns.
    {"anon-1", kAnonymous, "$SYS/broker/version", kR, true},
    {"anon-1", kAnonymous, "$SYS/broker/version", kW, false},
    {"anon-1", kAnonymous, "public/news", kR, true},
    {"anon-1", kAnonymous, "public/private", kR, false},
    {"anon-1", kAnonymous, "public/private/x", kR, true},
    {"anon-1", kAnonymous, "public/news", kW, false},
    {"anon-1", kAnonymous, "foo/bar", kR, false},
    {"anon-1", kAnonymous, "sensors/a", kR, false},
    {"anon-1", kAnonymous, "sensor/anon-1/data", kW, false},
    {"anon-1", kAnonymous, "devices/anon-1/state", kR, true},
    {"anon-1", kAnonymous, "devices/anon-1/state", kW, true},
    {"anon-1", kAnonymous, "devices/anon-1/firmware", kW, false},
    {"anon-1", kAnonymous, "devices/other/state", kR, false},
    {"anon-1", kAnonymous, "$SYS/broker/connection/anon-1/state", kW, true},
    {"anon-1", kAnonymous, "$SYS/broker/connection/other/state", kW, false},
    // roger: his block (not the anonymous one) and the patterns.
    {"r1", "roger", "foo/bar", kR, true},
    {"r1", "roger", "foo/bar", kW, true},
    {"r1", "roger", "sensors/kitchen/temp", kR, true},
    {"r1", "roger", "sensors/kitchen/temp", kW, false},
    {"r1", "roger", "sensors/secret", kR, false},
    {"r1", "roger", "commands/roger/lights", kW, true},
    {"r1", "roger", "commands/roger/lights", kR, false},
    {"r1", "roger", "$SYS/broker/version", kR, false},
    {"r1", "roger", "public/news", kR, false},
    {"r1", "roger", "sensor/roger/data", kW, true},
    {"r1", "roger", "sensor/other/data", kW, false},
    {"r1", "roger", "devices/r1/x", kR, true},
    // A user name with a space.
    {"gw", "sensor gateway", "sensors/kitchen/temp", kW, true},
    {"gw", "sensor gateway", "sensors/kitchen/temp", kR, false},
    {"gw", "sensor gateway", "my topic/with spaces", kW, true},
    {"gw", "sensor gateway", "my topic/with spaces", kR, true},
    {"gw", "sensor gateway", "sensor/sensor gateway/data", kW, true},
    // A user the file does not name: the patterns only.
    {"m1", "mallory", "public/news", kR, false},
    {"m1", "mallory", "devices/m1/x", kR, true},
    {"m1", "mallory", "$SYS/broker/version", kR, false},
    // CVE-2017-7650: a client id "+" or a user name "#" must not widen a pattern.
    {"+", kAnonymous, "devices/victim/state", kR, false},
    {"v", "#", "sensor/victim/data", kW, false},
    {"victim", kAnonymous, "devices/victim/state", kR, true},
};

// Subscriptions to the same file: cairn's decisions, not mosquitto's.
constexpr auto kS = AclAccess::kSubscribe;
const Decision kExampleSubscriptions[] = {
    {"anon-1", kAnonymous, "$SYS/#", kS, true},
    {"anon-1", kAnonymous, "$SYS/broker/+", kS, true},
    {"anon-1", kAnonymous, "#", kS, false},
    {"anon-1", kAnonymous, "public/#", kS, true},
    {"anon-1", kAnonymous, "public/+", kS, true},  // public/private: refused on delivery
    {"anon-1", kAnonymous, "public/private", kS, false},
    {"anon-1", kAnonymous, "public/private/x", kS, true},
    {"anon-1", kAnonymous, "$share/g/public/#", kS, true},
    {"anon-1", kAnonymous, "$share/g/#", kS, false},
    {"anon-1", kAnonymous, "devices/anon-1/#", kS, true},
    {"anon-1", kAnonymous, "devices/anon-1/firmware", kS, false},
    {"anon-1", kAnonymous, "devices/+/state", kS, false},
    {"anon-1", kAnonymous, "sensor/anon-1/data", kS, false},  // write-only pattern
    {"r1", "roger", "sensors/+/temp", kS, true},
    {"r1", "roger", "sensors/#", kS, true},
    {"r1", "roger", "sensors/secret", kS, false},
    {"r1", "roger", "foo/bar", kS, true},
    {"r1", "roger", "foo/+", kS, false},
    {"r1", "roger", "commands/roger/#", kS, false},  // write-only
    {"r1", "roger", "$SYS/#", kS, false},
    {"gw", "sensor gateway", "my topic/with spaces", kS, true},
    {"gw", "sensor gateway", "sensors/#", kS, false},
    {"m1", "mallory", "devices/m1/#", kS, true},
    {"m1", "mallory", "#", kS, false},
    {"+", kAnonymous, "devices/+/state", kS, false},
    {"victim", kAnonymous, "devices/victim/state", kS, true},
};

TEST(AclFile, MosquittoExampleFileEndToEnd) {
  auto loaded = AclFile::load(CAIRN_SOURCE_DIR "/tests/data/auth/mosquitto_acl.txt");
  ASSERT_TRUE(std::holds_alternative<AclFile>(loaded))
      << std::get<AuthFileError>(loaded).describe("acl file");
  const AclFile& acl = std::get<AclFile>(loaded);
  EXPECT_EQ(acl.rule_count(), 13u);
  constexpr std::string_view kVerbs[] = {"read ", "write ", "subscribe "};
  const auto check = [&acl, &kVerbs](const Decision& d) {
    EXPECT_EQ(acl.allows(d.client_id, d.username, d.topic, d.access), d.allowed)
        << "client " << d.client_id << " user " << d.username.value_or("(none)") << " "
        << kVerbs[static_cast<std::size_t>(d.access)] << d.topic;
  };
  for (const Decision& d : kExampleDecisions) check(d);
  for (const Decision& d : kExampleSubscriptions) check(d);
}

TEST(AclFile, LoadNamesAnUnreadableFile) {
  const auto result = AclFile::load("/nonexistent/cairn/acl");
  ASSERT_TRUE(std::holds_alternative<AuthFileError>(result));
  const auto& error = std::get<AuthFileError>(result);
  EXPECT_EQ(error.line, 0u);
  EXPECT_EQ(error.message, "/nonexistent/cairn/acl: cannot open: No such file or directory");
}

// ---------------------------------------------------------------------------
// Rule kinds and blocks.

TEST(AclFile, AccessWords) {
  const AclFile acl = parse_ok(
      "topic read r/#\ntopic write w/#\ntopic readwrite rw/#\ntopic both/#\n"
      "topic readwrite d/#\ntopic deny d/x\n");
  EXPECT_EQ(acl.rule_count(), 6u);
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "r/1"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "r/1"));  // read-only
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "w/1"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "w/1"));
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "rw/1"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "rw/1"));
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "both/1"));  // no access word: readwrite
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "both/1"));
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "d/x"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "d/x"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "d/y"));
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "elsewhere"));
}

TEST(AclFile, AnonymousBlockIsForClientsWithoutUserName) {
  const AclFile acl = parse_ok("topic anon/#\nuser alice\ntopic alice/#\n");
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "anon/x"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "alice/x"));
  EXPECT_TRUE(can_write(acl, "c", "alice", "alice/x"));
  EXPECT_FALSE(can_write(acl, "c", "alice", "anon/x"));
  EXPECT_FALSE(can_write(acl, "c", "bob", "anon/x"));
  EXPECT_FALSE(can_write(acl, "c", "bob", "alice/x"));
  EXPECT_FALSE(can_write(acl, "c", "Alice", "alice/x"));  // names are case-sensitive
  EXPECT_FALSE(can_write(acl, "c", "", "anon/x"));        // an empty name is still a name
}

TEST(AclFile, UserNamedTwiceGetsBothBlocks) {
  const AclFile acl = parse_ok("user a\ntopic one\nuser b\ntopic two\nuser a\ntopic three\n");
  EXPECT_TRUE(can_read(acl, "c", "a", "one"));
  EXPECT_TRUE(can_read(acl, "c", "a", "three"));
  EXPECT_FALSE(can_read(acl, "c", "a", "two"));
  EXPECT_TRUE(can_read(acl, "c", "b", "two"));
}

TEST(AclFile, EmptyFileDeniesEverything) {
  for (const std::string_view text : {""sv, "# only a comment\n\n"sv}) {
    const AclFile acl = parse_ok(text);
    EXPECT_EQ(acl.rule_count(), 0u);
    EXPECT_FALSE(can_read(acl, "c", kAnonymous, "a"));
    EXPECT_FALSE(can_write(acl, "c", "u", "a"));
    EXPECT_FALSE(can_subscribe(acl, "c", "u", "a"));
    EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "#"));
  }
}

// ---------------------------------------------------------------------------
// Patterns.

TEST(AclFile, PatternSubstitutesClientIdAndUserName) {
  const AclFile acl = parse_ok("user x\ntopic x/#\npattern readwrite c/%c/#\npattern read u/%u\n");
  EXPECT_TRUE(can_write(acl, "dev1", kAnonymous, "c/dev1/status"));
  EXPECT_FALSE(can_write(acl, "dev1", kAnonymous, "c/dev2/status"));
  EXPECT_TRUE(can_write(acl, "dev1", "x", "c/dev1/status"));  // patterns apply to named users too
  EXPECT_TRUE(can_read(acl, "any", "bob", "u/bob"));
  EXPECT_FALSE(can_write(acl, "any", "bob", "u/bob"));
  EXPECT_FALSE(can_read(acl, "any", "bob", "u/alice"));
  // A "%u" pattern is skipped for an anonymous client: it does not match the
  // literal text either.
  EXPECT_FALSE(can_read(acl, "any", kAnonymous, "u/%u"));
  EXPECT_FALSE(can_read(acl, "any", kAnonymous, "u/"));
}

TEST(AclFile, PatternSubstitutesAnywhereInTheText) {
  const AclFile acl =
      parse_ok("pattern write x%cy/data\npattern write p/%%c\npattern write %u-%c\n");
  EXPECT_TRUE(can_write(acl, "dev1", kAnonymous, "xdev1y/data"));
  EXPECT_TRUE(can_write(acl, "dev1", kAnonymous, "p/%dev1"));
  EXPECT_TRUE(can_write(acl, "dev1", "bob", "bob-dev1"));
  EXPECT_FALSE(can_write(acl, "dev1", kAnonymous, "-dev1"));
}

TEST(AclFile, PatternSubstitutesNamesHoldingSlash) {
  // mosquitto 2.0 no longer refuses '/' (1.x did).
  const AclFile acl = parse_ok("pattern readwrite clients/%c/#\npattern read users/%u/inbox\n");
  EXPECT_TRUE(can_write(acl, "a/b", kAnonymous, "clients/a/b/x"));
  EXPECT_TRUE(can_read(acl, "c", "b/c", "users/b/c/inbox"));
}

TEST(AclFile, WildcardInClientIdOrUserNameRefusesPatterns) {
  const AclFile acl =
      parse_ok("topic readwrite own/#\npattern write open/#\npattern read u/%u/#\n");
  EXPECT_TRUE(can_write(acl, "ab", kAnonymous, "open/x"));
  EXPECT_FALSE(can_write(acl, "a+b", kAnonymous, "open/x"));
  EXPECT_FALSE(can_write(acl, "a#b", kAnonymous, "open/x"));
  EXPECT_FALSE(can_write(acl, "ab", "u#", "open/x"));
  // "#" as a user name would otherwise turn u/%u/# into u/#/#.
  EXPECT_FALSE(can_read(acl, "ab", "#", "u/victim/inbox"));
  EXPECT_FALSE(can_read(acl, "ab", "+", "u/victim/inbox"));
  // The client's own block is consulted before that refusal.
  EXPECT_TRUE(can_write(acl, "a+b", kAnonymous, "own/x"));
}

// ---------------------------------------------------------------------------
// Deny.

TEST(AclFile, DenyBeatsGrantInTheSameBlockWhereverItStands) {
  for (const std::string_view text :
       {"topic readwrite s/#\ntopic deny s/secret\n"sv, "topic deny s/secret\ntopic s/#\n"sv}) {
    const AclFile acl = parse_ok(text);
    EXPECT_FALSE(can_read(acl, "c", kAnonymous, "s/secret")) << text;
    EXPECT_FALSE(can_write(acl, "c", kAnonymous, "s/secret")) << text;
    EXPECT_TRUE(can_read(acl, "c", kAnonymous, "s/secret/sub")) << text;  // the deny is a filter
    EXPECT_TRUE(can_read(acl, "c", kAnonymous, "s/open")) << text;
  }
  const AclFile acl = parse_ok("topic read s/#\ntopic deny s/+/private\n");
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "s/a/private"));
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "s/a/public"));
}

TEST(AclFile, DenyBetweenPatternsAndOwnBlock) {
  const AclFile acl = parse_ok(
      "user alice\ntopic readwrite alice/#\nuser carol\ntopic deny clients/dev9/x\n"
      "pattern readwrite clients/%c/#\npattern deny clients/%c/locked\n"
      "pattern deny alice/secret\n");
  // A deny pattern beats a granting pattern.
  EXPECT_FALSE(can_write(acl, "dev9", kAnonymous, "clients/dev9/locked"));
  EXPECT_TRUE(can_write(acl, "dev9", kAnonymous, "clients/dev9/other"));
  // A deny in the client's own block beats a granting pattern.
  EXPECT_FALSE(can_write(acl, "dev9", "carol", "clients/dev9/x"));
  EXPECT_TRUE(can_write(acl, "dev9", "carol", "clients/dev9/y"));
  // A grant in the client's own block is decided before any pattern.
  EXPECT_TRUE(can_write(acl, "c", "alice", "alice/secret"));
  EXPECT_FALSE(can_write(acl, "c", "bob", "alice/secret"));
}

// ---------------------------------------------------------------------------
// Subscriptions: the filter is judged (not mosquitto's way; acl_file.h, step 1).

TEST(AclFile, SubscribeIsJudgedOnTheFilter) {
  const AclFile acl = parse_ok("topic read sensors/#\n");
  for (const std::string_view filter : {"sensors/+/temp"sv, "sensors/#"sv, "sensors"sv,
                                        "sensors/kitchen/temp"sv, "sensors/+"sv, "sensors/+/#"sv}) {
    EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, filter)) << filter;
    EXPECT_FALSE(can_subscribe(acl, "c", "someone", filter)) << filter;  // no block of theirs
  }
  for (const std::string_view filter :
       {"#"sv, "+"sv, "+/#"sv, "+/temp"sv, "other/x"sv, "sensor/#"sv, "$SYS/#"sv}) {
    EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, filter)) << filter;
  }
}

TEST(AclFile, SubscribeNeedsAReadGrant) {
  const AclFile acl = parse_ok("topic write w/#\ntopic readwrite rw/#\ntopic both/#\n");
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "w/x"));
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "rw/x"));
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "both/#"));
}

TEST(AclFile, SubscribeIsRefusedByADenyCoveringTheFilter) {
  for (const std::string_view text :
       {"topic read s/#\ntopic deny s/secret\n"sv, "topic deny s/secret\ntopic read s/#\n"sv}) {
    const AclFile acl = parse_ok(text);
    EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "s/secret")) << text;
    EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "s/secret/x")) << text;
    // A deny narrower than the filter does not refuse it: the delivery
    // check (kRead on each message) keeps s/secret from the subscriber.
    EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "s/#")) << text;
    EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "s/+")) << text;
    EXPECT_FALSE(can_read(acl, "c", kAnonymous, "s/secret")) << text;
  }
  const AclFile acl = parse_ok("topic read #\ntopic deny s/+/private\ntopic deny t/#\n");
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "s/a/private"));
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "s/+/private"));
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "s/a/+"));
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "t"));
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "t/#"));
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "#"));
}

TEST(AclFile, SubscribePatternsSubstituteAsForRead) {
  const AclFile acl = parse_ok(
      "topic read own/#\npattern read c/%c/#\npattern deny c/%c/locked\n"
      "pattern read u/%u/inbox\npattern read x%cy/#\n");
  EXPECT_TRUE(can_subscribe(acl, "dev1", kAnonymous, "c/dev1/#"));
  EXPECT_TRUE(can_subscribe(acl, "dev1", kAnonymous, "c/dev1/+/x"));
  EXPECT_FALSE(can_subscribe(acl, "dev1", kAnonymous, "c/dev1/locked"));
  EXPECT_FALSE(can_subscribe(acl, "dev1", kAnonymous, "c/dev2/#"));
  EXPECT_FALSE(can_subscribe(acl, "dev1", kAnonymous, "c/+/#"));
  EXPECT_TRUE(can_subscribe(acl, "dev1", kAnonymous, "xdev1y/#"));  // not a whole level
  EXPECT_TRUE(can_subscribe(acl, "a/b", kAnonymous, "c/a/b/x"));
  EXPECT_TRUE(can_subscribe(acl, "any", "bob", "u/bob/inbox"));
  EXPECT_FALSE(can_subscribe(acl, "any", "bob", "u/+/inbox"));
  EXPECT_FALSE(can_subscribe(acl, "any", kAnonymous, "u/%u/inbox"));
  // CVE-2017-7650: user "+" would turn u/%u/inbox into u/+/inbox.
  EXPECT_FALSE(can_subscribe(acl, "any", "+", "u/+/inbox"));
  EXPECT_FALSE(can_subscribe(acl, "+", kAnonymous, "c/+/#"));
  EXPECT_TRUE(can_subscribe(acl, "+", kAnonymous, "own/#"));  // own block first
}

TEST(AclFile, SubscribeSharedIsJudgedOnItsFilter) {
  const AclFile acl = parse_ok("topic read sensors/#\ntopic read $share/#\n");
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "$share/g/sensors/#"));
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, "$share/g/sensors/+/temp"));
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "$share/g/#"));
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "$share/g/other/x"));
  EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, "$share/sensors/x"));  // filter "x"
  EXPECT_FALSE(parse_ok("topic read #\n").allows("c", kAnonymous, "$share/g/$SYS/#", kS));
}

TEST(AclFile, SubscribeToDollarTopicsNeedsADollarRule) {
  const AclFile all = parse_ok("topic read #\ntopic read +/broker/#\n");
  EXPECT_TRUE(can_subscribe(all, "c", kAnonymous, "#"));
  EXPECT_FALSE(can_subscribe(all, "c", kAnonymous, "$SYS/#"));
  EXPECT_FALSE(can_subscribe(all, "c", kAnonymous, "$SYS/broker/uptime"));
  const AclFile sys = parse_ok("topic read $SYS/#\n");
  EXPECT_TRUE(can_subscribe(sys, "c", kAnonymous, "$SYS/#"));
  EXPECT_TRUE(can_subscribe(sys, "c", kAnonymous, "$SYS/broker/+"));
  EXPECT_FALSE(can_subscribe(sys, "c", kAnonymous, "$SYSTEM/x"));
  EXPECT_FALSE(can_subscribe(sys, "c", kAnonymous, "#"));
}

TEST(AclFile, SubscribeToAnInvalidFilterIsRefused) {
  const AclFile acl = parse_ok("topic read #\ntopic read $share/#\n");
  for (const std::string& filter :
       {""s, "a/#/b"s, "a+"s, "a/b#"s, "#/"s, "++"s, "$share/g"s, "$share//x"s, "$share/g+/x"s,
        "$share/g/"s, "$share/g/a#"s, std::string(65'536, 'a')}) {
    EXPECT_FALSE(can_subscribe(acl, "c", kAnonymous, filter)) << filter.substr(0, 20);
  }
  EXPECT_TRUE(can_subscribe(acl, "c", kAnonymous, std::string(65'535, 'a')));
}

// Rule (a filter) and subscription, as mosquitto_sub_matches_acl decides.
TEST(AclFile, SubscribeRuleCoversFilter) {
  struct Cover {
    std::string_view rule, filter;
    bool covered;
  };
  const Cover kCases[] = {
      {"a/+", "a/+", true},    {"a/+", "a/#", false},      {"a/+", "a/b/c", false},
      {"+/x", "+/x", true},    {"+/x", "#", false},        {"a/+/#", "a", false},
      {"a/+/#", "a/b", true},  {"a/+/#", "a/+/c/#", true}, {"#", "+/+", true},
      {"+/#", "#", false},     {"a//#", "a/", true},       {"a//#", "a", false},
      {"a/b", "a/b/#", false}, {"a/", "a/", true},         {"a/+", "a/", true},
  };
  for (const Cover& c : kCases) {
    const AclFile acl = parse_ok("topic read "s + std::string(c.rule) + "\n");
    EXPECT_EQ(can_subscribe(acl, "c", kAnonymous, c.filter), c.covered)
        << "rule " << c.rule << " filter " << c.filter;
  }
}

// Covering must never grant more than reading does: when a rule covers a
// filter, every topic that filter matches is readable through that rule.
TEST(AclFile, SubscribeCoverImpliesEveryMatchedTopicIsReadable) {
  using broker::match_reference::kMatchCases;
  using broker::match_reference::reference_match;
  for (const auto& rule : kMatchCases) {
    if (rule.filter.starts_with(' ') || rule.filter.ends_with(' ')) continue;
    const AclFile acl = parse_ok("topic read "s + std::string(rule.filter) + "\n");
    for (const auto& sub : kMatchCases) {
      if (!can_subscribe(acl, "c", kAnonymous, sub.filter)) continue;
      for (const auto& t : kMatchCases) {
        if (t.topic.starts_with("$share") || !reference_match(sub.filter, t.topic)) continue;
        EXPECT_TRUE(can_read(acl, "c", kAnonymous, t.topic))
            << "rule " << rule.filter << " covers " << sub.filter << " but not " << t.topic;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// '$' topics, topic matching.

TEST(AclFile, ReadOrWriteOfAFilterIsDenied) {
  const AclFile acl = parse_ok("topic readwrite #\n");
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "sensors/+"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "sensors/#"));
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, ""));
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "sensors/x"));
}

TEST(AclFile, DollarTopics) {
  const AclFile acl = parse_ok(
      "topic readwrite #\ntopic readwrite $SYS/#\ntopic readwrite $share/#\n"
      "topic readwrite $custom/#\ntopic readwrite $SYSTEM/#\n"
      "pattern write $SYS/broker/connection/%c/state\n");
  // [MQTT-4.7.2-1]: "#" does not cover '$' topics; "$SYS/#" does.
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "$SYS/broker/uptime"));
  EXPECT_FALSE(parse_ok("topic read #\n").allows("c", kAnonymous, "$SYS/x", AclAccess::kRead));
  EXPECT_FALSE(parse_ok("topic read +/x\n").allows("c", kAnonymous, "$a/x", AclAccess::kRead));
  // Nobody writes $SYS (a prefix test: $SYSTEM too), but for the bridge state.
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "$SYS/broker/uptime"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "$SYSTEM/x"));
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "$SYSTEM/x"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "$SYS/broker/connection/c/state"));
  // A topic starting "$share" is never read or written.
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "$share/g/x"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "$share/g/x"));
  // Other '$' topics follow the rules.
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "$custom/x"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "$other/x"));
}

TEST(AclFile, MatchesAsMqttTopicMatching) {
  for (const auto& c : broker::match_reference::kMatchCases) {
    if (c.topic.starts_with("$share")) continue;  // never readable, see DollarTopics
    // A file cannot hold a filter with blanks at its ends: they are trimmed.
    if (c.filter.ends_with(' ') || c.filter.starts_with(' ')) continue;
    const AclFile acl = parse_ok("topic read "s + std::string(c.filter) + "\n");
    EXPECT_EQ(can_read(acl, "c", kAnonymous, c.topic), c.matches)
        << "filter " << c.filter << " topic " << c.topic;
    // A topic name is subscribable exactly when it is readable.
    EXPECT_EQ(can_subscribe(acl, "c", kAnonymous, c.topic), c.matches)
        << "filter " << c.filter << " subscription " << c.topic;
  }
}

// ---------------------------------------------------------------------------
// Reading the file.

TEST(AclFile, LinesAsMosquittoReadsThem) {
  const AclFile acl = parse_ok(
      "# comment\r\n"
      "\n"
      "      \n"
      "   topic    read    my topic/with  spaces   \r\n"  // rest of the line, trimmed
      "topic read\n"                                      // the topic "read", readwrite
      "topic deny\n"                                      // the topic "deny", readwrite
      "topic read\ttabbed\n"                              // the topic "read\ttabbed"
      "user   the  user \t\n"
      "topic x");  // no final newline
  EXPECT_EQ(acl.rule_count(), 5u);
  EXPECT_TRUE(can_read(acl, "c", kAnonymous, "my topic/with  spaces"));
  EXPECT_FALSE(can_write(acl, "c", kAnonymous, "my topic/with  spaces"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "read"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "deny"));
  EXPECT_TRUE(can_write(acl, "c", kAnonymous, "read\ttabbed"));
  EXPECT_FALSE(can_read(acl, "c", kAnonymous, "tabbed"));
  EXPECT_TRUE(can_write(acl, "c", "the  user", "x"));
  EXPECT_FALSE(can_write(acl, "c", "the", "x"));
}

TEST(AclFile, LongestTopicIsAccepted) {
  const std::string topic(65'535, 'a');
  EXPECT_TRUE(can_read(parse_ok("topic read " + topic + "\n"), "c", kAnonymous, topic));
}

struct BadFile {
  std::string text;
  std::size_t line;
  std::string message;
};

TEST(AclFile, ErrorsNameTheLine) {
  const BadFile kCases[] = {
      {"  # note\n", 1,
       "unknown keyword \"#\" (expected topic, pattern or user); a comment's '#' must be the "
       "first character of the line"},
      {"topic read a\n\ttopic read b\n", 2,
       "unknown keyword \"\\x09topic\" (expected topic, pattern or user); words are separated by "
       "spaces, not tabs"},
      {"topic\tread a\n", 1,
       "unknown keyword \"topic\\x09read\" (expected topic, pattern or user); words are "
       "separated by spaces, not tabs"},
      {"Topic read a\n", 1, "unknown keyword \"Topic\" (expected topic, pattern or user)"},
      {"# ok\ntopics read a\n", 2, "unknown keyword \"topics\" (expected topic, pattern or user)"},
      {"topic\n", 1, "missing topic after \"topic\""},
      {"topic a\npattern    \n", 2, "missing topic after \"pattern\""},
      {"user\n", 1, "missing user name after \"user\""},
      {"user a\nuser   \t\n", 2, "missing user name after \"user\""},
      {"topic READ a\n", 1, "access must be read, write, readwrite or deny, not \"READ\""},
      {"topic rw a b\n", 1, "access must be read, write, readwrite or deny, not \"rw\""},
      {"topic read a/#/b\n", 1,
       "invalid topic \"a/#/b\": '+' and '#' must fill a whole level, and '#' must be the last "
       "one"},
      {"topic read a/b+\n", 1,
       "invalid topic \"a/b+\": '+' and '#' must fill a whole level, and '#' must be the last "
       "one"},
      {"pattern read %c/#/x\n", 1,
       "invalid topic \"%c/#/x\": '+' and '#' must fill a whole level, and '#' must be the last "
       "one"},
      // An inline '#' is part of the topic, as in mosquitto.
      {"topic read a # note\n", 1,
       "invalid topic \"a # note\": '+' and '#' must fill a whole level, and '#' must be the last "
       "one"},
      {"topic read " + std::string(65'536, 'a') + "\n", 1, "topic longer than 65535 bytes"},
      {"topic read a\xff\n", 1, "not valid UTF-8, or holds a NUL byte"},
      {"topic read a\n\ntopic read a\0b\n"s, 3, "not valid UTF-8, or holds a NUL byte"},
      {"user \xc0\xaf\n", 1, "not valid UTF-8, or holds a NUL byte"},
  };
  for (const BadFile& c : kCases) {
    const AuthFileError error = parse_error(c.text);
    EXPECT_EQ(error.line, c.line) << c.text.substr(0, 80);
    EXPECT_EQ(error.message, c.message) << c.text.substr(0, 80);
  }
}

TEST(AclFile, CommentLinesMayHoldAnyBytes) {
  const AclFile acl = parse_ok("#\xff\xfe caf\xe9\n#\0\ntopic a\n"s);
  EXPECT_EQ(acl.rule_count(), 1u);
}

TEST(AclFile, ErrorQuotesAreCutAndEscaped) {
  const AuthFileError error = parse_error("topic " + std::string(100, 'x') + "\x01 a\n");
  EXPECT_EQ(error.message, "access must be read, write, readwrite or deny, not \"" +
                               std::string(64, 'x') + "...\"");
  const AuthFileError control = parse_error("\x1b[31mtopic read a\n");
  EXPECT_EQ(control.message,
            "unknown keyword \"\\x1b[31mtopic\" (expected topic, pattern or user)");
}

TEST(AclFile, ABadLineRejectsTheWholeFile) {
  const AuthFileError error = parse_error("topic readwrite #\nuser a\ntopic a/#\nbogus\n");
  EXPECT_EQ(error.describe("acl file"),
            "acl file line 4: unknown keyword \"bogus\" (expected topic, pattern or user)");
}

}  // namespace
}  // namespace cairn::auth
