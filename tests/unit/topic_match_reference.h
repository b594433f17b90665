// The topic-matching rules of [MQTT-4.7] twice over, for the TopicTree and
// RetainedIndex tests: a table of (filter, topic, matches) cases, the spec's
// own examples among them, and a brute-force matcher that the randomized
// tests hold the tries to.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::broker::match_reference {

struct MatchCase {
  std::string_view filter;
  std::string_view topic;
  bool matches;
};

// Every filter here is a plain (not $share/) valid filter.
inline constexpr MatchCase kMatchCases[] = {
    // §4.7.1.2, the multi-level wildcard.
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/tennis/player1/#", "sport/tennis/player2", false},
    {"sport/tennis/player1/#", "sport/tennis", false},
    {"sport/#", "sport", true},
    {"sport/#", "sport/", true},
    {"sport/#", "sports", false},
    {"sport/#", "Sport/tennis", false},
    {"#", "sport", true},
    {"#", "sport/tennis/player1", true},
    {"#", "/", true},
    {"#", "/sport", true},
    {"a/#", "a//", true},
    {"a/#", "b/a", false},
    {"/#", "/a", true},
    {"/#", "/", true},
    {"/#", "a", false},
    // §4.7.1.3, the single-level wildcard.
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player2", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"sport/tennis/+", "sport/tennis", false},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},
    {"+", "sport", true},
    {"+", "/finance", false},
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+/tennis/#", "sport/tennis/player1", true},
    {"+/tennis/#", "sport/tennis", true},
    {"+/tennis/#", "sport/golf", false},
    {"sport/+/player1", "sport/tennis/player1", true},
    {"sport/+/player1", "sport//player1", true},
    {"+/+/+", "a/b", false},
    {"+/+/+", "a/b/c", true},
    {"+/+/+", "a/b/c/d", false},
    {"+/#", "a", true},
    {"+/#", "a/b/c", true},
    {"a/+/#", "a", false},
    {"a/+/#", "a/b", true},
    // Empty levels are levels.
    {"+", "/", false},
    {"+/+", "/", true},
    {"/+", "/", true},
    {"+/", "/", true},
    {"/", "/", true},
    {"//", "/", false},
    {"a//b", "a//b", true},
    {"a//b", "a/b", false},
    {"a/b", "a//b", false},
    {"a/+/b", "a//b", true},
    {"a/", "a/", true},
    {"a/", "a", false},
    {"a", "a/", false},
    {"/a", "/a", true},
    {"/a", "a", false},
    {"a/+", "a", false},
    // §4.7.2: '$' topics and leading wildcards [MQTT-4.7.2-1].
    {"#", "$SYS/monitor/Clients", false},
    {"#", "$SYS", false},
    {"#", "$", false},
    {"+", "$SYS", false},
    {"+/#", "$SYS/x", false},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
    {"$SYS/#", "$SYS/monitor/Clients", true},
    {"$SYS/#", "$SYS", true},
    {"$SYS/#", "$SYS/x", true},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
    {"$SYS/+/Clients", "$SYS/monitor/Clients", true},
    {"$", "$", true},
    {"$/+", "$/a", true},
    {"a/+", "a/$x", true},  // only the first character of the topic counts
    {"+/$x", "a/$x", true},
    {"#", "a/$x", true},
    {"#", "x$", true},
    {"#", "$share/g/x", false},  // a topic name may look like a shared filter
    {"$share", "$share", true},
    // Case-sensitive, byte for byte, no normalisation [MQTT-4.7.3-4].
    {"ACCOUNTS", "accounts", false},
    {"Accounts payable", "Accounts payable", true},
    {"a/b ", "a/b", false},
    {"a/b", "a/b/", false},
    {"\xE2\x82\xAC/+", "\xE2\x82\xAC/x", true},
    {"a/b/c/d/e/f", "a/b/c/d/e/f", true},
    {"a/b/c/d/e/f", "a/b/c/d/e", false},
};

inline std::vector<std::string_view> split_levels(std::string_view s) {
  std::vector<std::string_view> levels;
  std::size_t start = 0;
  for (std::size_t slash = s.find('/'); slash != std::string_view::npos;
       slash = s.find('/', start)) {
    levels.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
  levels.push_back(s.substr(start));
  return levels;
}

// Does plain `filter` match topic name `topic`? Written from the spec, level
// by level, with no trie.
inline bool reference_match(std::string_view filter, std::string_view topic) {
  const std::vector<std::string_view> f = split_levels(filter);
  const std::vector<std::string_view> t = split_levels(topic);
  if (topic.starts_with('$') && (f[0] == "+" || f[0] == "#")) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // also when i == t.size(): the parent level
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

// Joins `levels` with '/'.
inline std::string join_levels(const std::vector<std::string>& levels) {
  std::string out;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (i > 0) out += '/';
    out += levels[i];
  }
  return out;
}

// The distinct level prefixes of `names` ("a/b" has "a" and "a/b"): the nodes
// below the root that a trie holding exactly those names must have.
inline std::size_t distinct_prefixes(const std::vector<std::string_view>& names) {
  std::vector<std::string> prefixes;
  for (const std::string_view name : names) {
    std::vector<std::string> levels;
    for (const std::string_view level : split_levels(name)) {
      levels.emplace_back(level);
      prefixes.push_back(join_levels(levels) + '\x01' + std::to_string(levels.size()));
    }
  }
  std::sort(prefixes.begin(), prefixes.end());
  return static_cast<std::size_t>(std::unique(prefixes.begin(), prefixes.end()) - prefixes.begin());
}

}  // namespace cairn::broker::match_reference
