// libFuzzer target for the ACL file: auth::AclFile::parse and allows().
//
// Arbitrary text goes where a mosquitto ACL file would. Errors are expected;
// what must hold, beyond "no crash, leak, hang, sanitizer report or escaping
// exception":
//   - an AuthFileError names a line of the text (1..number of lines) and has
//     a message free of control characters (it goes to a log or terminal);
//   - an AclFile that comes back has at most one rule per line, and answers
//     allows() for every access kind, for fixed topics and filters and for
//     topics, filters, client ids and user names taken from the text itself,
//     the same way twice; nothing that is not a topic name (empty, or holding
//     '+' or '#') is ever read or written; nothing that is not a valid filter
//     (model::is_valid_topic_filter) is ever subscribed to; a topic name is
//     subscribable exactly when it is readable (but for "$share..." names,
//     never readable); and "$share/g/{filter}" is decided as {filter}.
// A broken property prints what broke to stderr and traps, so libFuzzer saves
// the input as a crash.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/acl_file.h"
#include "model/topic.h"

namespace {

using cairn::auth::AclAccess;
using cairn::auth::AclFile;
using cairn::auth::AuthFileError;

// Bounds the allows() calls per input: derived values come from this many
// lines at most.
constexpr std::size_t kMaxDerivedLines = 8;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "acl_file_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  __builtin_trap();
}

// Lines as AclFile counts them: split at '\n', a final line without one
// counts, an empty text has none.
std::size_t line_count(std::string_view text) {
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}

void check_error(const AuthFileError& error, std::string_view text) {
  if (error.line < 1 || error.line > line_count(text)) {
    fail("error line outside the text", std::to_string(error.line));
  }
  if (error.message.empty()) fail("empty error message", "");
  for (const char c : error.message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) fail("control character in error message", error.message);
  }
}

bool is_topic_name(std::string_view topic) {
  return !topic.empty() && topic.find_first_of("+#") == std::string_view::npos;
}

// The subscription properties above, for one filter (or name) and client.
void check_subscription(const AclFile& acl, std::string_view client_id,
                        const std::optional<std::string_view>& username, std::string_view filter,
                        bool allowed) {
  const bool valid = filter.size() <= 65'535 && cairn::model::is_valid_topic_filter(filter);
  if (allowed && !valid) fail("subscription to an invalid filter allowed", filter);
  if (is_topic_name(filter) && !filter.starts_with("$share") && filter.size() <= 65'535 &&
      allowed != acl.allows(client_id, username, filter, AclAccess::kRead)) {
    fail("subscribing to a topic name decided unlike reading it", filter);
  }
  if (valid && !filter.starts_with(cairn::model::kSharedPrefix)) {
    const std::string shared =
        std::string(cairn::model::kSharedPrefix) + "g/" + std::string(filter);
    if (acl.allows(client_id, username, shared, AclAccess::kSubscribe) != allowed) {
      fail("shared subscription decided unlike its filter", shared);
    }
  }
}

// Topics, client ids and user names from the text: each of its first lines
// whole, and the last space-separated word of each (where a topic stands).
std::vector<std::string_view> derived_values(std::string_view text) {
  std::vector<std::string_view> values;
  std::size_t start = 0;
  while (start < text.size() && values.size() < 2 * kMaxDerivedLines) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    values.push_back(line);
    const std::size_t space = line.rfind(' ');
    values.push_back(space == std::string_view::npos ? line : line.substr(space + 1));
    start = end + 1;
  }
  return values;
}

void check_decisions(const AclFile& acl, std::string_view text) {
  if (acl.rule_count() > line_count(text)) fail("more rules than lines", "");
  static constexpr std::array<std::string_view, 15> kTopics = {"a",
                                                               "a/b",
                                                               "sensors/kitchen/temp",
                                                               "$SYS/broker/uptime",
                                                               "$share/g/a",
                                                               "clients/c/x",
                                                               "users/u/x",
                                                               "",
                                                               "+",
                                                               "a/#",
                                                               "#",
                                                               "$SYS/#",
                                                               "$share/g/#",
                                                               "a/#/b",
                                                               "$share//a"};
  static constexpr std::array<AclAccess, 3> kAccesses = {AclAccess::kRead, AclAccess::kWrite,
                                                         AclAccess::kSubscribe};
  const std::vector<std::string_view> derived = derived_values(text);

  std::vector<std::string_view> topics(kTopics.begin(), kTopics.end());
  topics.insert(topics.end(), derived.begin(), derived.end());
  std::vector<std::string_view> client_ids = {"c", "a+b"};
  std::vector<std::optional<std::string_view>> usernames = {std::nullopt, "u", "#"};
  for (std::size_t i = 0; i < derived.size() && i < 2; ++i) {
    client_ids.push_back(derived[i]);
    usernames.emplace_back(derived[i]);
  }

  for (const std::string_view topic : topics) {
    for (const AclAccess access : kAccesses) {
      for (const std::string_view client_id : client_ids) {
        for (const std::optional<std::string_view>& username : usernames) {
          const bool allowed = acl.allows(client_id, username, topic, access);
          if (allowed != acl.allows(client_id, username, topic, access)) {
            fail("allows() changed its answer", topic);
          }
          if (access == AclAccess::kSubscribe) {
            check_subscription(acl, client_id, username, topic, allowed);
          }
          if (access != AclAccess::kSubscribe && allowed && !is_topic_name(topic)) {
            fail("read or write of a non-topic allowed", topic);
          }
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = AclFile::parse(text);
  if (const auto* error = std::get_if<AuthFileError>(&result)) {
    check_error(*error, text);
  } else {
    check_decisions(std::get<AclFile>(result), text);
  }
  return 0;
}
