// libFuzzer target for the password file: auth::PasswordFile::parse.
//
// Arbitrary text goes where a mosquitto password file would. Beyond "no
// crash, leak, hang, sanitizer report or escaping exception":
//   - an accepted file holds exactly the users its lines name: every line
//     that is not blank or a comment gives a user (the text before the first
//     ':', blanks trimmed) that contains() finds at that line, and size() is
//     their number (a user named twice must have been refused);
//   - a refusal names a line that exists (1..the text's line count) and says
//     something, without control characters (it goes to a terminal or a log).
// verify is called only for $6$ entries: a $7$ entry's PBKDF2 may be given a
// billion iterations, and a fuzz loop is no place to wait for it.
// A broken property prints what broke to stderr and traps, so libFuzzer saves
// the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

#include "auth/password_file.h"

namespace {

using cairn::auth::AuthFileError;
using cairn::auth::PasswordFile;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "password_file_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  __builtin_trap();
}

// The blanks mosquitto trims around a user name (isspace but '\n').
std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\v\f";
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

std::size_t line_count(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) count += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++count;
  return count;
}

void check_accepted(const PasswordFile& file, std::string_view text) {
  std::size_t users = 0;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++number;
    if (trim(line).empty() || line.front() == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail("a line without ':' was accepted", line);
    const std::string_view user = trim(line.substr(0, colon));
    if (!file.contains(user)) fail("a user of an accepted file is missing", user);
    if (file.line_of(user) != number) fail("a user is on another line", user);
    ++users;
    if (trim(line.substr(colon + 1)).starts_with("$6$")) {
      (void)file.verify(user, "password");  // cheap: one SHA-512
    }
  }
  if (users != file.size()) fail("size() is not the number of user lines", "");
}

void check_refused(const AuthFileError& error, std::string_view text) {
  if (error.line < 1 || error.line > line_count(text)) {
    fail("a refusal names a line outside the text", std::to_string(error.line));
  }
  if (error.message.empty()) fail("an empty refusal", "");
  for (const char c : error.message) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      fail("a control character in a refusal", error.message);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = PasswordFile::parse(text);
  if (const auto* file = std::get_if<PasswordFile>(&result)) {
    check_accepted(*file, text);
  } else {
    check_refused(std::get<AuthFileError>(result), text);
  }
  return 0;
}
