// PasswordFile: a mosquitto-compatible password file, as `mosquitto_passwd`
// writes it and mosquitto 2.0 reads it, so an operator can move a file
// between the two brokers unchanged.
//
// One `user:hash` per line. The hash is one of
//   $7$<iterations>$<salt>$<hash>  PBKDF2-HMAC-SHA512, `iterations` rounds
//                                  (mosquitto 2.0 writes 101), 64-byte hash;
//   $6$<salt>$<hash>               SHA-512 over the password then the salt
//                                  (mosquitto 1.6 and earlier);
// with a 12-byte salt, salt and hash in standard base64 (A-Z a-z 0-9 + /,
// padded with '='), as OpenSSL's base64 BIO writes them.
//
// As mosquitto does: a line whose first character is '#' is a comment, a
// blank (or all-whitespace) line is ignored, a trailing '\r' is dropped and
// blanks around the user name and the hash are trimmed.
//
// Unlike mosquitto, which logs a bad entry and loads the rest (or, for a line
// without ':', skips it silently), cairn rejects the whole file with the line
// of its first problem: a missing ':', an empty user name, a user name over
// 65,535 bytes (MQTT's limit), a user listed twice, a missing hash, a
// password that is not hashed, an unknown `$N$`, iterations outside
// 1..2147483647, base64 that does not decode, a salt that is not 12 bytes or a
// hash that is not 64. A half-loaded password file locks out users the
// operator believes are there, or worse, leaves in place ones they removed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/auth_file_error.h"

namespace cairn::auth {

// What mosquitto 2.0 writes: the iterations of a new $7$ hash and the sizes
// of every salt and hash (both hash types).
inline constexpr int kDefaultIterations = 101;
inline constexpr std::size_t kSaltSize = 12;
inline constexpr std::size_t kHashSize = 64;

class PasswordFile {
 public:
  static std::variant<PasswordFile, AuthFileError> parse(std::string_view text);
  // Reads the file and parses it; a file that cannot be read is an error
  // with line 0 whose message names the path.
  static std::variant<PasswordFile, AuthFileError> load(const std::string& path);

  // True when `user` is in the file and `password` hashes to its hash. The
  // comparison is constant-time, and an unknown user costs a hash as well
  // (with the first entry's type and iterations), so neither the timing of a
  // refusal nor of a near miss tells which user names exist. A password with
  // a NUL byte never matches: mosquitto's hashes are of C strings.
  bool verify(std::string_view user, std::string_view password) const;
  bool contains(std::string_view user) const;
  // The rounds of hashing verify(user, ...) costs: the $7$ iterations of the
  // user's entry (of the entry an unknown user is hashed against), 1 for $6$.
  // A caller may run costly checks off a latency-sensitive thread.
  int rounds_for(std::string_view user) const;
  std::size_t size() const { return entries_.size(); }
  // The 1-based line holding `user`, for tools that rewrite the file around
  // one entry (`cairn passwd`).
  std::optional<std::size_t> line_of(std::string_view user) const;

 private:
  enum class HashType : std::uint8_t { kSha512 = 6, kPbkdf2Sha512 = 7 };
  struct Entry {
    HashType type = HashType::kPbkdf2Sha512;
    int iterations = kDefaultIterations;  // $7$ only
    std::array<unsigned char, kSaltSize> salt{};
    std::array<unsigned char, kHashSize> hash{};
    std::size_t line = 0;
  };

  static std::optional<std::string> read_hash(std::string_view hash, const std::string& shown,
                                              Entry& entry);
  static bool matches(const Entry& entry, std::string_view password);

  std::map<std::string, Entry, std::less<>> entries_;
  // Hashed against when the user is unknown; never matches.
  Entry dummy_;
};

// One line for a password file, without the newline: `user:$7$101$...`, a
// PBKDF2-HMAC-SHA512 hash with mosquitto's iterations and a fresh random
// 12-byte salt from OpenSSL's RAND_bytes. The caller checks the user name
// (no ':', no control character) and the password (not empty, no NUL: one
// with a NUL never verifies).
// Aborts (CAIRN_CHECK) when OpenSSL has no randomness to give.
std::string make_password_line(std::string_view user, std::string_view password);

}  // namespace cairn::auth
