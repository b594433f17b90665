// PasswordFile: mosquitto's password file read as mosquitto reads it, checked
// against hashes the real mosquitto_passwd wrote (tests/data/auth/), and
// every way a file is refused, with the line that is wrong.
#include "auth/password_file.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <variant>

#include <gtest/gtest.h>

#include "auth/auth_file_error.h"

namespace cairn::auth {
namespace {

// Written by Debian 12's mosquitto_passwd 2.0.11: alice with the default
// $7$ (101 iterations), bob with `-H sha512` ($6$), carol with `-I 1000`.
const std::string kGoldenFile = CAIRN_SOURCE_DIR "/tests/data/auth/mosquitto_passwd.txt";
constexpr std::string_view kAlicePassword = "correct horse";
constexpr std::string_view kBobPassword = "b0b$ecret";
constexpr std::string_view kCarolPassword =
    "\xC3\xBCn\xC3\xAF"
    "code p\xC3\xA4ssword";

// The same tool's lines, for files built in the tests.
constexpr std::string_view kAliceHash =
    "$7$101$CkLzHJrrAG6eVTxd$MfKjT2evUz4KoTqkHDMur8tCi6ieEauiFvDjnFqarRYLrr08d2KtCBdApkfh32uMtRAB"
    "aMHjmdSX6y7avK2Oqg==";
constexpr std::string_view kBobHash =
    "$6$L4P8QdxOLZbZlq+E$xwQBgC21kYT1TdoGNgMdm8fPmhOaoBWIcCRO6mQ4a1RBAdM/wfsC39BAjfcQa6YEzxEG9mdJ"
    "u1/FDOBR9KuarA==";
// `mosquitto_passwd -I 100000`, password "slow one": slow enough to time.
constexpr std::string_view kSlowDaveLine =
    "dave:$7$100000$t0VdCT7v/Me6NLEo$parGLWpRskrdq4f80V6wLqSaPuSVBjoMPA+uj4W1xcrKYzIh6VsrnFjAlUL1y"
    "YHRu/AZn9CB/cl3j9IvRyyyyw==";

const std::string kSalt = "CkLzHJrrAG6eVTxd";  // 12 bytes
const std::string kDigest =
    "MfKjT2evUz4KoTqkHDMur8tCi6ieEauiFvDjnFqarRYLrr08d2KtCBdApkfh32uMtRABaMHjmdSX6y7avK2Oqg==";

PasswordFile parsed(std::string_view text) {
  auto result = PasswordFile::parse(text);
  if (const auto* error = std::get_if<AuthFileError>(&result)) {
    ADD_FAILURE() << "refused: " << error->describe("password file");
    return std::get<PasswordFile>(PasswordFile::parse(""));
  }
  return std::get<PasswordFile>(std::move(result));
}

// What an operator reads when the file is refused.
std::string refusal(std::string_view text) {
  auto result = PasswordFile::parse(text);
  if (std::holds_alternative<PasswordFile>(result)) return "accepted";
  return std::get<AuthFileError>(result).describe("password file");
}

std::string line(std::string_view user, std::string_view hash) {
  return std::string(user) + ":" + std::string(hash) + "\n";
}

TEST(PasswordFile, GoldenFileFromMosquittoPasswd) {
  auto result = PasswordFile::load(kGoldenFile);
  ASSERT_TRUE(std::holds_alternative<PasswordFile>(result))
      << std::get<AuthFileError>(result).describe("password file " + kGoldenFile);
  const auto& file = std::get<PasswordFile>(result);
  EXPECT_EQ(file.size(), 3u);
  EXPECT_TRUE(file.verify("alice", kAlicePassword));  // $7$, 101 iterations
  EXPECT_TRUE(file.verify("bob", kBobPassword));      // $6$
  EXPECT_TRUE(file.verify("carol", kCarolPassword));  // $7$, 1000 iterations
  EXPECT_FALSE(file.verify("alice", kBobPassword));
  EXPECT_FALSE(file.verify("bob", kAlicePassword));
  EXPECT_FALSE(file.verify("carol", "code password"));
  EXPECT_FALSE(file.verify("Alice", kAlicePassword));
  EXPECT_EQ(file.line_of("alice"), 1u);
  EXPECT_EQ(file.line_of("carol"), 3u);
  EXPECT_EQ(file.line_of("mallory"), std::nullopt);
}

TEST(PasswordFile, Pbkdf2WrongPasswords) {
  const auto file = parsed(line("alice", kAliceHash));
  EXPECT_TRUE(file.verify("alice", "correct horse"));
  EXPECT_FALSE(file.verify("alice", "correct horse "));
  EXPECT_FALSE(file.verify("alice", "Correct horse"));
  EXPECT_FALSE(file.verify("alice", "correct hors"));
  EXPECT_FALSE(file.verify("alice", ""));
  // HMAC pads its key with zeros, so PBKDF2 alone would take these for the
  // password; mosquitto hashes C strings, so no stored hash has a NUL in it.
  EXPECT_FALSE(file.verify("alice", std::string("correct horse\0", 14)));
  EXPECT_FALSE(file.verify("alice", std::string("correct horse\0\0\0", 16)));
  EXPECT_FALSE(file.verify("alice", std::string("correct horse\0junk", 18)));
}

TEST(PasswordFile, Sha512WrongPasswords) {
  const auto file = parsed(line("bob", kBobHash));
  EXPECT_TRUE(file.verify("bob", "b0b$ecret"));
  EXPECT_FALSE(file.verify("bob", "b0b$ecreT"));
  EXPECT_FALSE(file.verify("bob", ""));
}

TEST(PasswordFile, UnknownUserIsRefused) {
  const auto file = parsed(line("alice", kAliceHash) + line("bob", kBobHash));
  EXPECT_FALSE(file.verify("carol", "correct horse"));
  EXPECT_FALSE(file.verify("", "correct horse"));
  EXPECT_FALSE(file.verify("alice ", "correct horse"));
  EXPECT_FALSE(file.contains("carol"));
  EXPECT_TRUE(file.contains("alice"));
  EXPECT_TRUE(file.contains("bob"));
  EXPECT_FALSE(parsed("").verify("alice", ""));
}

// An unknown user must cost a hash too, or the time of a refusal tells an
// attacker which user names exist. With 100,000 iterations a hash takes
// tens of milliseconds and a map lookup microseconds, so a quarter is far
// on either side of both.
TEST(PasswordFile, UnknownUserCostsAHash) {
  const auto file = parsed(std::string(kSlowDaveLine) + "\n");
  ASSERT_TRUE(file.verify("dave", "slow one"));
  using Clock = std::chrono::steady_clock;
  auto fastest = [&](std::string_view user) {
    auto best = Clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      const auto start = Clock::now();
      EXPECT_FALSE(file.verify(user, "wrong"));
      best = std::min(best, Clock::now() - start);
    }
    return best;
  };
  const auto known = fastest("dave");
  const auto unknown = fastest("nobody");
  EXPECT_GT(unknown * 4, known) << "known user: " << known.count()
                                << ", unknown user: " << unknown.count();
}

TEST(PasswordFile, CommentsBlankLinesAndBlanksAreIgnored) {
  const auto file =
      parsed("# users of the plant\n\n   \n\t\nalice:" + std::string(kAliceHash) +
             "\r\n#bob:" + std::string(kBobHash) + "\n  bob \t:  " + std::string(kBobHash) + "  ");
  EXPECT_EQ(file.size(), 2u);
  EXPECT_TRUE(file.verify("alice", kAlicePassword));  // CRLF line end
  EXPECT_TRUE(file.verify("bob", kBobPassword));      // blanks trimmed, no final newline
  EXPECT_FALSE(file.contains("#bob"));
  EXPECT_EQ(file.line_of("alice"), 5u);
  EXPECT_EQ(file.line_of("bob"), 7u);
}

TEST(PasswordFile, EmptyFileHasNoUsers) {
  EXPECT_EQ(parsed("").size(), 0u);
  EXPECT_EQ(parsed("# nobody yet\n\n").size(), 0u);
}

TEST(PasswordFile, RejectsALineWithoutAColon) {
  EXPECT_EQ(refusal(line("alice", kAliceHash) + "# fine\n\nbob " + std::string(kBobHash) + "\n"),
            "password file line 4: no ':' between a user name and a password hash");
  EXPECT_EQ(refusal("  # not a comment: it does not start the line\n"),
            "password file line 1: the password of user '# not a comment' is not hashed; hash it "
            "with `mosquitto_passwd -U` or set it with `cairn passwd`");
}

TEST(PasswordFile, RejectsAnEmptyUserName) {
  EXPECT_EQ(refusal(line("", kAliceHash)), "password file line 1: empty user name");
  EXPECT_EQ(refusal("\n" + line(" \t", kAliceHash)), "password file line 2: empty user name");
}

TEST(PasswordFile, RejectsAUserNameTooLongForMqtt) {
  EXPECT_EQ(refusal(line(std::string(65'536, 'u'), kAliceHash)),
            "password file line 1: user name longer than 65535 bytes");
  EXPECT_EQ(parsed(line(std::string(65'535, 'u'), kAliceHash)).size(), 1u);
}

TEST(PasswordFile, RejectsADuplicateUser) {
  EXPECT_EQ(refusal(line("alice", kAliceHash) + line("bob", kBobHash) + line(" alice", kBobHash)),
            "password file line 3: user 'alice' is listed again (first on line 1)");
}

TEST(PasswordFile, RejectsAMissingHash) {
  EXPECT_EQ(refusal(line("alice", kAliceHash) + "bob:\n"),
            "password file line 2: user 'bob' has no password hash");
  EXPECT_EQ(refusal("bob:   \n"), "password file line 1: user 'bob' has no password hash");
}

TEST(PasswordFile, RejectsAPlainTextPasswordWithoutShowingIt) {
  const std::string message = refusal("alice:hunter2\n");
  EXPECT_EQ(message,
            "password file line 1: the password of user 'alice' is not hashed; hash it with "
            "`mosquitto_passwd -U` or set it with `cairn passwd`");
  EXPECT_EQ(refusal("alice:$hunter2$x\n"),
            "password file line 1: the hash of user 'alice' is of no known type; cairn reads $6$ "
            "(SHA-512) and $7$ (PBKDF2-SHA-512)");
}

TEST(PasswordFile, RejectsAnUnknownHashType) {
  EXPECT_EQ(refusal(line("alice", "$5$" + kSalt + "$" + kDigest)),
            "password file line 1: the hash of user 'alice' is of the unknown type $5$; cairn "
            "reads $6$ (SHA-512) and $7$ (PBKDF2-SHA-512)");
  EXPECT_EQ(refusal(line("alice", "$2b$10$abc")),
            "password file line 1: the hash of user 'alice' is of the unknown type $2b$; cairn "
            "reads $6$ (SHA-512) and $7$ (PBKDF2-SHA-512)");
  EXPECT_EQ(refusal(line("alice", "$")),
            "password file line 1: the hash of user 'alice' is of no known type; cairn reads $6$ "
            "(SHA-512) and $7$ (PBKDF2-SHA-512)");
}

TEST(PasswordFile, RejectsAHashWithTheWrongFields) {
  const std::string seven =
      "password file line 1: the hash of user 'alice' is not "
      "$7$ITERATIONS$SALT$HASH";
  EXPECT_EQ(refusal(line("alice", "$7$101$" + kSalt)), seven);
  EXPECT_EQ(refusal(line("alice", "$7$" + kSalt + "$" + kDigest)), seven);
  EXPECT_EQ(refusal(line("alice", "$7$101$" + kSalt + "$" + kDigest + "$")), seven);
  EXPECT_EQ(refusal(line("alice", "$7$101$$" + kSalt + "$" + kDigest)), seven);
  const std::string six = "password file line 1: the hash of user 'alice' is not $6$SALT$HASH";
  EXPECT_EQ(refusal(line("alice", "$6$" + kSalt)), six);
  EXPECT_EQ(refusal(line("alice", "$6$101$" + kSalt + "$" + kDigest)), six);
  // mosquitto_passwd's line with its ':' inside the hash field.
  EXPECT_EQ(refusal(line("alice", "$7$101$" + kSalt + ":" + kDigest)), seven);
}

TEST(PasswordFile, RejectsBadIterations) {
  for (const std::string iterations :
       {"0", "-1", "+5", "abc", "1e3", "2147483648", "99999999999"}) {
    EXPECT_EQ(refusal(line("alice", "$7$" + iterations + "$" + kSalt + "$" + kDigest)),
              "password file line 1: the hash of user 'alice' has iterations '" + iterations +
                  "', not a number from 1 to 2147483647");
  }
  EXPECT_EQ(refusal(line("alice", "$7$2147483647$" + kSalt + "$" + kDigest)), "accepted");
}

TEST(PasswordFile, RejectsBadBase64) {
  auto seven = [](std::string_view salt, std::string_view digest) {
    return refusal("# x\n" +
                   line("alice", "$7$101$" + std::string(salt) + "$" + std::string(digest)));
  };
  const std::string bad_salt = "password file line 2: the salt of user 'alice' is not base64";
  EXPECT_EQ(seven("CkLzHJrrAG6eVTx!", kDigest), bad_salt);
  EXPECT_EQ(seven("CkLzHJrrAG6eVTx", kDigest), bad_salt);   // not a multiple of 4
  EXPECT_EQ(seven("CkLzHJrr AG6eVTx", kDigest), bad_salt);  // inner blank
  EXPECT_EQ(seven("CkLzHJrrAG6e-Txd", kDigest), bad_salt);  // URL-safe alphabet
  EXPECT_EQ(seven("CkLzHJrrAG6eV===", kDigest), bad_salt);  // three '='
  EXPECT_EQ(seven("CkLzHJrrAG=eVTxd", kDigest), bad_salt);  // '=' inside
  const std::string bad_hash = "password file line 2: the hash of user 'alice' is not base64";
  EXPECT_EQ(seven(kSalt, kDigest.substr(0, kDigest.size() - 2)), bad_hash);  // padding dropped
  EXPECT_EQ(seven(kSalt, kDigest + "===="), bad_hash);
}

TEST(PasswordFile, RejectsWrongSaltAndHashSizes) {
  EXPECT_EQ(refusal(line("alice", "$7$101$" + kSalt + "AAAA$" + kDigest)),
            "password file line 1: the salt of user 'alice' is 15 bytes, not 12");
  EXPECT_EQ(refusal(line("bob", "$6$AAAA$" + kDigest)),
            "password file line 1: the salt of user 'bob' is 3 bytes, not 12");
  EXPECT_EQ(refusal(line("alice", "$7$101$" + kSalt + "$" + kSalt)),
            "password file line 1: the hash of user 'alice' is 12 bytes, not 64");
}

TEST(PasswordFile, NamesUnprintableUserNamesSafely) {
  EXPECT_EQ(refusal(line("al\x1b[2Jice", "x")),
            "password file line 1: the password of user 'al\\x1B[2Jice' is not hashed; hash it "
            "with `mosquitto_passwd -U` or set it with `cairn passwd`");
}

TEST(PasswordFile, OneBadLineRejectsTheWholeFile) {
  auto result = PasswordFile::parse(line("alice", kAliceHash) + line("bob", kBobHash) +
                                    line("carol", "$7$101$" + kSalt + "$short=="));
  ASSERT_TRUE(std::holds_alternative<AuthFileError>(result));
  EXPECT_EQ(std::get<AuthFileError>(result).line, 3u);
}

TEST(PasswordFile, LoadNamesAFileItCannotRead) {
  auto missing = PasswordFile::load("/nonexistent/cairn/passwd");
  ASSERT_TRUE(std::holds_alternative<AuthFileError>(missing));
  EXPECT_EQ(std::get<AuthFileError>(missing).describe("password file"),
            "password file: /nonexistent/cairn/passwd: cannot open: No such file or directory");
  auto directory = PasswordFile::load(CAIRN_SOURCE_DIR "/tests");
  ASSERT_TRUE(std::holds_alternative<AuthFileError>(directory));
  EXPECT_EQ(std::get<AuthFileError>(directory).line, 0u);
  EXPECT_EQ(std::get<AuthFileError>(directory).message,
            CAIRN_SOURCE_DIR "/tests: cannot read: Is a directory");
}

TEST(PasswordFile, MakePasswordLineRoundTrips) {
  const std::string made = make_password_line("alice", "s3cret: with $ and spaces");
  EXPECT_TRUE(std::regex_match(
      made, std::regex(R"(alice:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==)")))
      << made;
  const auto file = parsed("# made\n" + made + "\n");
  EXPECT_TRUE(file.verify("alice", "s3cret: with $ and spaces"));
  EXPECT_FALSE(file.verify("alice", "s3cret: with $ and spaces "));
  EXPECT_EQ(file.line_of("alice"), 2u);
  // A fresh salt each time: the same password never gives the same line.
  EXPECT_NE(make_password_line("alice", "same"), make_password_line("alice", "same"));
  const std::string with_non_ascii = make_password_line("b\xC3\xB6rk", kCarolPassword);
  EXPECT_TRUE(parsed(with_non_ascii).verify("b\xC3\xB6rk", kCarolPassword));
}

}  // namespace
}  // namespace cairn::auth
