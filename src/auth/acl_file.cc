#include "auth/acl_file.h"

#include <utility>
#include <variant>

#include "auth/auth_file_text.h"
#include "base/utf8.h"

namespace cairn::auth {
namespace {

// MQTT's longest UTF-8 string, and mosquitto_sub_topic_check's limit.
constexpr std::size_t kMaxTopicBytes = 65'535;
// Words quoted in an error message are cut to this many bytes.
constexpr std::size_t kMaxQuotedBytes = 64;

// C's isspace in the "C" locale, which mosquitto trims with.
constexpr bool is_c_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim_trailing(std::string_view text) noexcept {
  while (!text.empty() && is_c_space(text.back())) text.remove_suffix(1);
  return text;
}

// mosquitto's misc__trimblanks.
std::string_view trim_blanks(std::string_view text) noexcept {
  while (!text.empty() && is_c_space(text.front())) text.remove_prefix(1);
  return trim_trailing(text);
}

constexpr bool is_wildcard(char c) noexcept { return c == '+' || c == '#'; }

bool has_wildcard(std::string_view text) noexcept {
  for (const char c : text) {
    if (is_wildcard(c)) return true;
  }
  return false;
}

// mosquitto_sub_topic_check: '+' fills a whole level [MQTT-4.7.1-2]; '#'
// fills a whole level and is the last character [MQTT-4.7.1-1]. Unlike
// model::is_valid_topic_filter, "$share/..." gets no special reading: an
// ACL rule is a plain filter.
bool is_valid_rule_filter(std::string_view filter) noexcept {
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (!is_wildcard(filter[i])) continue;
    if (i > 0 && filter[i - 1] != '/') return false;
    const bool last = i + 1 == filter.size();
    if (filter[i] == '#' && !last) return false;
    if (!last && filter[i + 1] != '/') return false;
  }
  return true;
}

// [MQTT-4.7] matching of a topic name (no wildcard) against a valid filter.
// Levels are the text between '/'s, empty ones included, compared byte for
// byte [MQTT-4.7.3-4].
bool filter_matches(std::string_view filter, std::string_view topic) noexcept {
  // [MQTT-4.7.2-1]: a wildcard first level does not match a '$' topic.
  if (topic.starts_with('$') && !filter.empty() && is_wildcard(filter.front())) return false;
  std::size_t filter_pos = 0;
  std::size_t topic_pos = 0;
  bool topic_done = false;
  while (true) {
    const std::size_t filter_slash = filter.find('/', filter_pos);
    const std::string_view filter_level = filter.substr(
        filter_pos, filter_slash == std::string_view::npos ? std::string_view::npos
                                                           : filter_slash - filter_pos);
    // '#' matches the remaining levels, or none: "a/#" matches "a".
    if (filter_level == "#") return true;
    if (topic_done) return false;
    const std::size_t topic_slash = topic.find('/', topic_pos);
    const bool topic_last = topic_slash == std::string_view::npos;
    const std::string_view topic_level =
        topic.substr(topic_pos, topic_last ? std::string_view::npos : topic_slash - topic_pos);
    if (filter_level != "+" && filter_level != topic_level) return false;
    if (filter_slash == std::string_view::npos) return topic_last;
    filter_pos = filter_slash + 1;
    if (topic_last) {
      topic_done = true;
    } else {
      topic_pos = topic_slash + 1;
    }
  }
}

// The levels of a topic or filter, left to right, empty ones included: "a//"
// is "a", "", "".
class Levels {
 public:
  explicit Levels(std::string_view text) : text_(text) {}

  std::optional<std::string_view> next() {
    if (done_) return std::nullopt;
    const std::size_t slash = text_.find('/', pos_);
    if (slash == std::string_view::npos) {
      done_ = true;
      return text_.substr(pos_);
    }
    const std::string_view level = text_.substr(pos_, slash - pos_);
    pos_ = slash + 1;
    return level;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

// Does the rule `rule` cover the subscription filter `sub`, that is, does
// every topic `sub` can match also match `rule`? These are the decisions of
// mosquitto 2.1's mosquitto_sub_matches_acl (libcommon/topic_common.c,
// sub_matches_acl), which walks both strings byte by byte; for two valid
// filters that walk comes down to these level rules:
//  - a rule starting with '$' only covers a filter starting with '$', and the
//    other way round, so `#` does not cover `$SYS/#`;
//  - '#' in the rule covers what is left of the filter, nothing included
//    ("a/#" covers "a", "a/+" and "a/#");
//  - '+' in the rule covers one level of the filter, '+' included but not
//    '#' ("a/+" does not cover "a/#");
//  - any other level must be the same text, so a filter's '+' or '#' is only
//    covered by a rule that has the same wildcard there or a broader one.
// An empty rule (a pattern whose %c or %u became "") covers nothing: mosquitto
// returns MOSQ_ERR_INVAL for it. REQUIRES: `sub` is a valid plain filter and
// `rule` a valid filter or empty.
bool rule_covers_filter(std::string_view rule, std::string_view sub) noexcept {
  if (rule.empty() || sub.empty()) return false;
  if (rule.starts_with('$') != sub.starts_with('$')) return false;
  Levels rule_levels(rule);
  Levels sub_levels(sub);
  while (true) {
    const std::optional<std::string_view> rule_level = rule_levels.next();
    const std::optional<std::string_view> sub_level = sub_levels.next();
    if (!rule_level) return !sub_level;
    if (*rule_level == "#") return true;
    if (!sub_level) return false;
    if (*rule_level == "+") {
      if (*sub_level == "#") return false;
      continue;
    }
    if (*rule_level != *sub_level) return false;
  }
}

// The filter a SUBSCRIBE asks for, as the ACL judges it: the filter itself,
// or for a shared subscription "$share/{ShareName}/{filter}" the part after
// the share name [MQTT-4.8.2-1] [MQTT-4.8.2-2], since that decides which
// messages the client can receive (the group only decides which member gets
// each). nullopt for anything that is not a valid filter: empty, longer than
// 65,535 bytes, a misplaced wildcard, or a share name that is empty or holds
// a wildcard. The same rules as model::is_valid_topic_filter, which this
// library does not link.
std::optional<std::string_view> subscription_filter(std::string_view filter) noexcept {
  constexpr std::string_view kSharedPrefix = "$share/";
  if (filter.size() > kMaxTopicBytes) return std::nullopt;
  if (filter.starts_with(kSharedPrefix)) {
    const std::string_view rest = filter.substr(kSharedPrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    if (has_wildcard(rest.substr(0, slash))) return std::nullopt;
    filter = rest.substr(slash + 1);
  }
  if (filter.empty() || !is_valid_rule_filter(filter)) return std::nullopt;
  return filter;
}

// How a rule is compared with what the client asks for.
bool rule_matches(std::string_view rule, std::string_view target, bool target_is_filter) noexcept {
  return target_is_filter ? rule_covers_filter(rule, target) : filter_matches(rule, target);
}

// The pattern with every "%c" replaced by the client id and every "%u" by the
// user name, scanning left to right as mosquitto_acl_check_default does
// ("%%c" is '%' then the client id). REQUIRES: a user name when the pattern
// uses one.
void substitute(std::string_view pattern, std::string_view client_id,
                std::optional<std::string_view> username, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      if (pattern[i + 1] == 'c') {
        out += client_id;
        ++i;
        continue;
      }
      if (pattern[i + 1] == 'u' && username) {
        out += *username;
        ++i;
        continue;
      }
    }
    out += pattern[i];
  }
}

// A word from the file, for an error message: quoted, control characters as
// \xNN, cut after kMaxQuotedBytes (on a UTF-8 boundary; the line was checked
// to be valid UTF-8 before any word of it is quoted).
std::string quoted(std::string_view word) {
  std::size_t keep = word.size();
  if (keep > kMaxQuotedBytes) {
    keep = kMaxQuotedBytes;
    while (keep > 0 && (static_cast<unsigned char>(word[keep]) & 0xC0) == 0x80) --keep;
  }
  std::string text = "\"";
  for (const char c : word.substr(0, keep)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 0xF];
    } else {
      text += c;
    }
  }
  text += keep < word.size() ? "...\"" : "\"";
  return text;
}

// strtok_r(..., " ") over one line: each call skips spaces, returns the word
// up to the next space and steps over that one space; rest() is what
// strtok_r(NULL, "", ...) returns then: the remainder, nullopt when empty.
class Words {
 public:
  explicit Words(std::string_view line) : line_(line) {}

  std::optional<std::string_view> next() {
    while (pos_ < line_.size() && line_[pos_] == ' ') ++pos_;
    if (pos_ == line_.size()) return std::nullopt;
    const std::size_t start = pos_;
    while (pos_ < line_.size() && line_[pos_] != ' ') ++pos_;
    const std::string_view word = line_.substr(start, pos_ - start);
    if (pos_ < line_.size()) ++pos_;
    return word;
  }

  std::optional<std::string_view> rest() {
    if (pos_ == line_.size()) return std::nullopt;
    const std::string_view remainder = line_.substr(pos_);
    pos_ = line_.size();
    return remainder;
  }

 private:
  std::string_view line_;
  std::size_t pos_ = 0;
};

std::optional<std::uint8_t> parse_access(std::string_view word, std::uint8_t read_bit,
                                         std::uint8_t write_bit) {
  if (word == "read") return read_bit;
  if (word == "write") return write_bit;
  if (word == "readwrite") return static_cast<std::uint8_t>(read_bit | write_bit);
  if (word == "deny") return std::uint8_t{0};
  return std::nullopt;
}

// Why a first word is not a keyword, with a hint for the two mistakes that
// mosquitto's own reading makes likely.
std::string unknown_keyword(std::string_view word) {
  std::string message = "unknown keyword " + quoted(word) + " (expected topic, pattern or user)";
  if (word.starts_with('#')) {
    message += "; a comment's '#' must be the first character of the line";
  } else if (word.find('\t') != std::string_view::npos) {
    message += "; words are separated by spaces, not tabs";
  }
  return message;
}

}  // namespace

void AclFile::add(RuleSet& set, Rule rule) {
  (rule.grants == 0 ? set.denies : set.grants).push_back(std::move(rule));
}

std::variant<AclFile, AuthFileError> AclFile::parse(std::string_view text) {
  AclFile file;
  // The block `topic` lines go to: anonymous_ until the first `user` line.
  RuleSet* block = &file.anonymous_;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    const std::string_view line = trim_trailing(text.substr(start, end - start));
    start = end + 1;
    ++line_number;
    const auto fail = [line_number](std::string message) {
      return AuthFileError{line_number, std::move(message)};
    };

    if (line.starts_with('#')) continue;
    if (!base::is_valid_mqtt_utf8(line)) return fail("not valid UTF-8, or holds a NUL byte");
    Words words(line);
    const std::optional<std::string_view> keyword = words.next();
    if (!keyword) continue;

    if (*keyword == "user") {
      const std::optional<std::string_view> rest = words.rest();
      if (!rest) return fail("missing user name after \"user\"");
      // Not empty: the line's last character is not a space.
      block = &file.users_[std::string(trim_blanks(*rest))];
      continue;
    }
    if (*keyword != "topic" && *keyword != "pattern") return fail(unknown_keyword(*keyword));

    const std::optional<std::string_view> first = words.next();
    if (!first) return fail("missing topic after " + quoted(*keyword));
    const std::optional<std::string_view> rest = words.rest();
    std::uint8_t grants = kReadBit | kWriteBit;
    std::string_view filter = *first;
    if (rest) {
      const std::optional<std::uint8_t> access = parse_access(*first, kReadBit, kWriteBit);
      if (!access) {
        return fail("access must be read, write, readwrite or deny, not " + quoted(*first));
      }
      grants = *access;
      filter = trim_blanks(*rest);
    }
    if (filter.size() > kMaxTopicBytes) return fail("topic longer than 65535 bytes");
    if (!is_valid_rule_filter(filter)) {
      return fail("invalid topic " + quoted(filter) +
                  ": '+' and '#' must fill a whole level, and '#' must be the last one");
    }

    Rule rule{std::string(filter), grants, false};
    if (*keyword == "pattern") {
      // As mosquitto counts "%u" (strstr): any occurrence, "%%u" included.
      rule.uses_username = filter.find("%u") != std::string_view::npos;
      add(file.patterns_, std::move(rule));
    } else {
      add(*block, std::move(rule));
    }
    ++file.rule_count_;
  }
  return file;
}

std::variant<AclFile, AuthFileError> AclFile::load(const std::string& path) {
  std::variant<std::string, AuthFileError> text = read_auth_file(path);
  if (auto* error = std::get_if<AuthFileError>(&text)) return std::move(*error);
  return parse(std::get<std::string>(text));
}

AclFile::Verdict AclFile::decide(const RuleSet& set, const Request& request) {
  for (const Rule& rule : set.denies) {
    if (rule_matches(rule.filter, request.target, request.is_filter)) return Verdict::kDenied;
  }
  for (const Rule& rule : set.grants) {
    if ((rule.grants & request.bit) != 0 &&
        rule_matches(rule.filter, request.target, request.is_filter)) {
      return Verdict::kAllowed;
    }
  }
  return Verdict::kUndecided;
}

AclFile::Verdict AclFile::decide_patterns(std::string_view client_id,
                                          std::optional<std::string_view> username,
                                          const Request& request) const {
  std::string filter;
  const auto matches = [&](const Rule& rule) {
    if (rule.uses_username && !username) return false;
    substitute(rule.filter, client_id, username, filter);
    return rule_matches(filter, request.target, request.is_filter);
  };
  for (const Rule& rule : patterns_.denies) {
    if (matches(rule)) return Verdict::kDenied;
  }
  for (const Rule& rule : patterns_.grants) {
    if ((rule.grants & request.bit) != 0 && matches(rule)) return Verdict::kAllowed;
  }
  return Verdict::kUndecided;
}

bool AclFile::decide_rules(std::string_view client_id, std::optional<std::string_view> username,
                           const Request& request) const {
  // 4. The client's own block.
  const RuleSet* own = &anonymous_;
  if (username) {
    const auto found = users_.find(*username);
    own = found == users_.end() ? nullptr : &found->second;
  }
  if (own != nullptr) {
    const Verdict verdict = decide(*own, request);
    if (verdict != Verdict::kUndecided) return verdict == Verdict::kAllowed;
  }

  // 5. and 6.
  if (patterns_.denies.empty() && patterns_.grants.empty()) return false;
  if (has_wildcard(client_id) || (username && has_wildcard(*username))) return false;

  // 7. and 8.
  return decide_patterns(client_id, username, request) == Verdict::kAllowed;
}

bool AclFile::allows(std::string_view client_id, std::optional<std::string_view> username,
                     std::string_view topic, AclAccess access) const {
  // Step numbers refer to the header.
  // 1. A subscription is judged on its filter, with the read rules.
  if (access == AclAccess::kSubscribe) {
    const std::optional<std::string_view> filter = subscription_filter(topic);
    if (!filter) return false;
    return decide_rules(client_id, username, Request{*filter, kReadBit, true});
  }
  const std::uint8_t bit = access == AclAccess::kRead ? kReadBit : kWriteBit;

  // 2. acl__check_dollar.
  if (topic.starts_with("$SYS")) {
    if (bit == kWriteBit && !filter_matches("$SYS/broker/connection/+/state", topic)) return false;
  } else if (topic.starts_with("$share")) {
    return false;
  }

  // 3. Only a topic name can be read or written.
  if (topic.empty() || has_wildcard(topic)) return false;

  // 4. to 8.
  return decide_rules(client_id, username, Request{topic, bit, false});
}

}  // namespace cairn::auth
