// TomlInput: the configuration text as toml++ is given it, working around an
// undefined-behaviour bug in toml++ 3.3.0 (Debian 12's).
//
// toml++ 3.3.0 asks of every non-ASCII character it meets outside a string
// (and of some inside multi-line strings) whether it is whitespace, and for
// 3,019 code points (U+00A1..U+0499, U+2C5E..U+3057 but U+3000,
// U+FB26..U+FEFE) that test reaches __builtin_unreachable(): undefined
// behaviour, found by tests/fuzz/config_fuzz under UBSan, reported upstream
// as marzer/tomlplusplus#190 and #295 and fixed after 3.3.0 (PR #305). The
// answer it should give for all of them is "no".
//
// So before parsing, each of those code points is swapped for one in the
// Supplementary Private Use Area-A (U+F0000 + (c - U+00A0)), which toml++
// classifies correctly and treats exactly as it should have treated the
// original: as a character like any other inside strings and comments, and
// as an error outside them. Positions are unchanged (one code point for one).
// Text toml++ hands back (string values, keys, its error descriptions) goes
// through restore(). Input that would make the swap ambiguous (characters of
// that area, or \U000F.... escapes, alongside a swapped character) and input
// that is not UTF-8 (TOML requires it) are refused with their position.
//
// Remove this file when the toml++ in use is 3.4 or later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace cairn::config::detail {

struct TomlInputProblem {
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based, in code points as toml++ counts
  std::string what;
};

class TomlInput {
 public:
  static std::variant<TomlInput, TomlInputProblem> prepare(std::string_view raw);

  // The text to give toml++.
  const std::string& text() const { return text_; }

  // `from_tomlxx` with the swapped code points turned back into the
  // originals; unchanged when nothing was swapped.
  std::string restore(std::string_view from_tomlxx) const;

 private:
  std::string text_;
  bool swapped_ = false;
};

}  // namespace cairn::config::detail
