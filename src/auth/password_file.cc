// PasswordFile: parsing mosquitto's password file and checking passwords
// against it (see password_file.h for the format and what is refused).
//
// The hashes are computed as mosquitto computes them (its
// common/password_mosq.c, pw__hash): $7$ is PKCS5_PBKDF2_HMAC with SHA-512
// over the password with the 12-byte salt, 64 bytes out; $6$ is one SHA-512
// over the password bytes followed by the salt bytes.
#include "auth/password_file.h"

#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/auth_file_text.h"
#include "base/check.h"

namespace cairn::auth {
namespace {

// MQTT carries user names and passwords with a 16-bit length.
constexpr std::size_t kMaxUserNameSize = 65'535;

constexpr std::string_view kBlanks = " \t\r\v\f";
constexpr std::string_view kTypeCharacters =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

// A user name or a hash field for an error message that goes to a terminal or
// a log: control characters and bytes above 0x7E as \xNN, long ones cut.
std::string printable(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte > 0x7E || byte == '\\' || byte == '\'') {
      std::array<char, 5> escaped{};
      std::snprintf(escaped.data(), escaped.size(), "\\x%02X", byte);
      out += escaped.data();
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return "'" + out + "'";
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with '=' padding to a multiple of 4, as mosquitto_passwd
// writes it; anything else (whitespace, the URL-safe alphabet, missing or
// misplaced padding) is refused rather than guessed at.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int value = base64_value(text[i]);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits >> bit_count) & 0xFF);
    }
  }
  return out;
}

std::string encode_base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// Splits `text` on `separator` into exactly `N` fields; nullopt for any other
// count (mosquitto's strtok would skip empty fields; cairn refuses them).
template <std::size_t N>
std::optional<std::array<std::string_view, N>> split_fields(std::string_view text, char separator) {
  std::array<std::string_view, N> fields;
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t end = text.find(separator);
    if (i + 1 == N) {
      if (end != std::string_view::npos) return std::nullopt;
      fields[i] = text;
    } else {
      if (end == std::string_view::npos) return std::nullopt;
      fields[i] = text.substr(0, end);
      text.remove_prefix(end + 1);
    }
  }
  return fields;
}

std::optional<int> parse_iterations(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long long value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > INT_MAX) return std::nullopt;
  return static_cast<int>(value);
}

// An empty std::string_view may have a null data(); OpenSSL wants a pointer.
const char* bytes_of(std::string_view text) { return text.empty() ? "" : text.data(); }

}  // namespace

// The fields of `hash` (a '$' first) into `entry`; what is wrong with them
// otherwise, naming the user as `shown`.
std::optional<std::string> PasswordFile::read_hash(std::string_view hash, const std::string& shown,
                                                   Entry& entry) {
  std::string_view salt_text;
  std::string_view hash_text;
  const std::string_view rest = hash.substr(1);
  const std::string_view type = rest.substr(0, rest.find('$'));
  if (type == "7") {
    const auto fields = split_fields<4>(rest, '$');
    if (!fields) {
      return "the hash of user " + shown + " is not $7$ITERATIONS$SALT$HASH";
    }
    const auto iterations = parse_iterations((*fields)[1]);
    if (!iterations) {
      return "the hash of user " + shown + " has iterations " + printable((*fields)[1]) +
             ", not a number from 1 to 2147483647";
    }
    entry.type = HashType::kPbkdf2Sha512;
    entry.iterations = *iterations;
    salt_text = (*fields)[2];
    hash_text = (*fields)[3];
  } else if (type == "6") {
    const auto fields = split_fields<3>(rest, '$');
    if (!fields) return "the hash of user " + shown + " is not $6$SALT$HASH";
    entry.type = HashType::kSha512;
    salt_text = (*fields)[1];
    hash_text = (*fields)[2];
  } else {
    // Name the type only when it looks like one ($1$, $2b$, $5$): a
    // plain-text password may start with '$' too.
    const bool type_like = !type.empty() && type.size() <= 2 &&
                           type.find_first_not_of(kTypeCharacters) == std::string_view::npos;
    return "the hash of user " + shown + " is of " +
           (type_like ? "the unknown type $" + std::string(type) + "$" : "no known type") +
           "; cairn reads $6$ (SHA-512) and $7$ (PBKDF2-SHA-512)";
  }

  const auto salt = decode_base64(salt_text);
  if (!salt) return "the salt of user " + shown + " is not base64";
  if (salt->size() != kSaltSize) {
    return "the salt of user " + shown + " is " + std::to_string(salt->size()) + " bytes, not 12";
  }
  const auto digest = decode_base64(hash_text);
  if (!digest) return "the hash of user " + shown + " is not base64";
  if (digest->size() != kHashSize) {
    return "the hash of user " + shown + " is " + std::to_string(digest->size()) + " bytes, not 64";
  }
  std::memcpy(entry.salt.data(), salt->data(), kSaltSize);
  std::memcpy(entry.hash.data(), digest->data(), kHashSize);
  return std::nullopt;
}

std::variant<PasswordFile, AuthFileError> PasswordFile::parse(std::string_view text) {
  PasswordFile file;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    auto fail = [line_number](std::string message) {
      return AuthFileError{line_number, std::move(message)};
    };

    if (trim(line).empty() || line.front() == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return fail("no ':' between a user name and a password hash");
    }
    const std::string_view user = trim(line.substr(0, colon));
    const std::string_view hash = trim(line.substr(colon + 1));
    if (user.empty()) return fail("empty user name");
    if (user.size() > kMaxUserNameSize) return fail("user name longer than 65535 bytes");
    const std::string shown = printable(user);
    if (const auto first = file.entries_.find(user); first != file.entries_.end()) {
      return fail("user " + shown + " is listed again (first on line " +
                  std::to_string(first->second.line) + ")");
    }
    if (hash.empty()) return fail("user " + shown + " has no password hash");
    if (hash.front() != '$') {
      // Never echo it: it may be a plain-text password.
      return fail("the password of user " + shown +
                  " is not hashed; hash it with `mosquitto_passwd -U` or set it with `cairn "
                  "passwd`");
    }

    Entry entry;
    entry.line = line_number;
    if (auto problem = read_hash(hash, shown, entry)) return fail(std::move(*problem));
    if (file.entries_.empty()) {
      // The unknown-user dummy costs what the first entry costs: in a file of
      // one hash type and iteration count (what one tool writes), as much as
      // any known user.
      file.dummy_.type = entry.type;
      file.dummy_.iterations = entry.iterations;
    }
    file.entries_.emplace(std::string(user), entry);
  }
  return file;
}

std::variant<PasswordFile, AuthFileError> PasswordFile::load(const std::string& path) {
  std::variant<std::string, AuthFileError> text = read_auth_file(path);
  if (auto* error = std::get_if<AuthFileError>(&text)) return std::move(*error);
  return parse(std::get<std::string>(text));
}

bool PasswordFile::matches(const Entry& entry, std::string_view password) {
  if (password.size() > static_cast<std::size_t>(INT_MAX)) return false;
  std::array<unsigned char, kHashSize> computed{};
  bool computed_ok = false;
  if (entry.type == HashType::kPbkdf2Sha512) {
    computed_ok =
        PKCS5_PBKDF2_HMAC(bytes_of(password), static_cast<int>(password.size()), entry.salt.data(),
                          static_cast<int>(entry.salt.size()), entry.iterations, EVP_sha512(),
                          static_cast<int>(computed.size()), computed.data()) == 1;
  } else {
    const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(),
                                                                     &EVP_MD_CTX_free);
    unsigned int size = 0;
    computed_ok = context && EVP_DigestInit_ex(context.get(), EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(context.get(), password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(context.get(), entry.salt.data(), entry.salt.size()) == 1 &&
                  EVP_DigestFinal_ex(context.get(), computed.data(), &size) == 1 &&
                  size == computed.size();
  }
  // CRYPTO_memcmp takes the same time wherever the first difference is.
  const bool equal = CRYPTO_memcmp(computed.data(), entry.hash.data(), computed.size()) == 0;
  OPENSSL_cleanse(computed.data(), computed.size());
  // No stored hash is of a password with a NUL (mosquitto hashes C strings),
  // and HMAC pads its key with zeros: "pw\0" would pass as "pw".
  const bool has_nul = password.find('\0') != std::string_view::npos;
  return computed_ok && equal && !has_nul;
}

bool PasswordFile::verify(std::string_view user, std::string_view password) const {
  const auto found = entries_.find(user);
  const bool known = found != entries_.end();
  // Hash for an unknown user too, so that refusing one takes as long as
  // refusing a wrong password.
  const bool match = matches(known ? found->second : dummy_, password);
  return known && match;
}

bool PasswordFile::contains(std::string_view user) const { return entries_.contains(user); }

int PasswordFile::rounds_for(std::string_view user) const {
  const auto found = entries_.find(user);
  const Entry& entry = found != entries_.end() ? found->second : dummy_;
  return entry.type == HashType::kPbkdf2Sha512 ? entry.iterations : 1;
}

std::optional<std::size_t> PasswordFile::line_of(std::string_view user) const {
  const auto found = entries_.find(user);
  if (found == entries_.end()) return std::nullopt;
  return found->second.line;
}

std::string make_password_line(std::string_view user, std::string_view password) {
  CAIRN_CHECK(password.size() <= static_cast<std::size_t>(INT_MAX), "password too long");
  std::array<unsigned char, kSaltSize> salt{};
  CAIRN_CHECK(RAND_bytes(salt.data(), static_cast<int>(salt.size())) == 1,
              "OpenSSL RAND_bytes failed: no randomness for a salt");
  std::array<unsigned char, kHashSize> hash{};
  CAIRN_CHECK(PKCS5_PBKDF2_HMAC(bytes_of(password), static_cast<int>(password.size()), salt.data(),
                                static_cast<int>(salt.size()), kDefaultIterations, EVP_sha512(),
                                static_cast<int>(hash.size()), hash.data()) == 1,
              "OpenSSL PKCS5_PBKDF2_HMAC failed");
  std::string line(user);
  line += ":$7$" + std::to_string(kDefaultIterations) + "$" +
          encode_base64(salt.data(), salt.size()) + "$" + encode_base64(hash.data(), hash.size());
  OPENSSL_cleanse(hash.data(), hash.size());
  return line;
}

}  // namespace cairn::auth
