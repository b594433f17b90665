// The configuration file's errors: every message names the file, the line and
// the key, says what is wrong (the expected type, the allowed range) and the
// problems of one file come together, in the order of the text.
#include <cstdint>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_support.h"

namespace cairn::config {
namespace {

using testing::BooleanKey;
using testing::IntegerKey;
using testing::parse_error;

TEST(ConfigErrors, UnknownKeyInATable) {
  EXPECT_EQ(parse_error("[limits]\nmax_connections = 5\ncolour = \"blue\"\n"),
            "cairn.toml:3: unknown key 'limits.colour'");
}

TEST(ConfigErrors, MisspeltKeyGetsAHint) {
  EXPECT_EQ(parse_error("# limits\n\n[limits]\nmax_pakcet_size = 5\n"),
            "cairn.toml:4: unknown key 'limits.max_pakcet_size'; did you mean "
            "'limits.max_packet_size'?");
}

TEST(ConfigErrors, KeyInTheWrongTableGetsAHint) {
  EXPECT_EQ(parse_error("[broker]\nmax_connections = 5\n"),
            "cairn.toml:2: unknown key 'broker.max_connections'; did you mean "
            "'limits.max_connections'?");
  EXPECT_EQ(parse_error("max_packet_size = 5\n"),
            "cairn.toml:1: unknown key 'max_packet_size'; did you mean 'limits.max_packet_size'?");
}

TEST(ConfigErrors, UnknownTable) {
  EXPECT_EQ(parse_error("\n[authentication]\nfile = \"x\"\n"),
            "cairn.toml:2: unknown table 'authentication'");
  EXPECT_EQ(parse_error("[limit]\nmax_connections = 5\n"),
            "cairn.toml:1: unknown table 'limit'; did you mean 'limits'?");
}

TEST(ConfigErrors, UnknownTableInsideAKnownOne) {
  EXPECT_EQ(parse_error("[limits.per_client]\nmax = 1\n"),
            "cairn.toml:1: unknown table 'limits.per_client'");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
  EXPECT_EQ(parse_error("verbose = true\n"), "cairn.toml:1: unknown key 'verbose'");
}

TEST(ConfigErrors, KnownTableThatIsNotATable) {
  EXPECT_EQ(parse_error("limits = 5\n"), "cairn.toml:1: limits: expected a table, got an integer");
  EXPECT_EQ(parse_error("[[limits]]\nmax_connections = 5\n"),
            "cairn.toml:1: limits: expected a table, got an array");
}

TEST(ConfigErrors, WrongTypeNamesTheExpectedType) {
  EXPECT_EQ(parse_error("[limits]\nmax_packet_size = \"1MB\"\n"),
            "cairn.toml:2: limits.max_packet_size: expected an integer, got a string");
  EXPECT_EQ(parse_error("[limits]\nmax_packet_size = 1.5\n"),
            "cairn.toml:2: limits.max_packet_size: expected an integer, got a floating-point "
            "number");
  EXPECT_EQ(parse_error("[limits]\nmax_packet_size = [1]\n"),
            "cairn.toml:2: limits.max_packet_size: expected an integer, got an array");
  EXPECT_EQ(parse_error("[broker]\nretain_available = \"yes\"\n"),
            "cairn.toml:2: broker.retain_available: expected a boolean (true or false), got a "
            "string");
  EXPECT_EQ(parse_error("[broker]\nretain_available = 1\n"),
            "cairn.toml:2: broker.retain_available: expected a boolean (true or false), got an "
            "integer");
  EXPECT_EQ(parse_error("[listener]\nlisten = 1883\n"),
            "cairn.toml:2: listener.listen: expected a string, got an integer");
  EXPECT_EQ(parse_error("[storage]\ndata_dir = 1979-05-27\n"),
            "cairn.toml:2: storage.data_dir: expected a string, got a date");
  EXPECT_EQ(parse_error("[log]\nlevel = { name = \"info\" }\n"),
            "cairn.toml:2: log.level: expected a string, got a table");
}

TEST(ConfigErrors, BadListenAddress) {
  EXPECT_EQ(parse_error("[listener]\nlisten = \"localhost\"\n"),
            "cairn.toml:2: listener.listen: the ':PORT' is missing; expected HOST:PORT, as "
            "127.0.0.1:1883, got 'localhost'");
  EXPECT_EQ(parse_error("[listener]\nlisten = \"127.0.0.1:0\"\n"),
            "cairn.toml:2: listener.listen: the port must be between 1 and 65535, got "
            "'127.0.0.1:0'");
  EXPECT_EQ(parse_error("[metrics]\nlisten = \"::1:9464\"\n"),
            "cairn.toml:2: metrics.listen: an IPv6 address needs brackets, as [::1]:1883, got "
            "'::1:9464'");
  // Empty is no error for the metrics: it turns the endpoint off; the MQTT
  // listener has no such choice.
  EXPECT_EQ(parse_error("[listener]\nlisten = \"\"\n"),
            "cairn.toml:2: listener.listen: expected HOST:PORT, as 127.0.0.1:1883, got ''");
}

TEST(ConfigErrors, AnEmptyMetricsAddressIsTheEndpointOff) {
  EXPECT_EQ(testing::parse_ok("[metrics]\nlisten = \"\"\n").metrics_listen, "");
}

TEST(ConfigErrors, BadDataDir) {
  EXPECT_EQ(parse_error("[storage]\ndata_dir = \"\"\n"),
            "cairn.toml:2: storage.data_dir: must name a directory, got ''");
  EXPECT_EQ(parse_error("[storage]\ndata_dir = \"a\\u0000b\"\n"),
            "cairn.toml:2: storage.data_dir: must not contain a NUL character, got 'a\\x00b'");
}

TEST(ConfigErrors, BadQueueFullPolicy) {
  EXPECT_EQ(parse_error("[limits]\nqueue_full_policy = \"block\"\n"),
            "cairn.toml:2: limits.queue_full_policy: must be one of refuse, drop, got 'block'");
}

TEST(ConfigErrors, BadLogLevel) {
  EXPECT_EQ(parse_error("[log]\nlevel = \"INFO\"\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'INFO'");
  EXPECT_EQ(parse_error("[log]\nlevel = \"warning\"\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'warning'");
}

TEST(ConfigErrors, ValuesAreQuotedOnOneLine) {
  EXPECT_EQ(parse_error("[log]\nlevel = \"a\\nb'c\"\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'a\\x0ab\\'c'");
  const std::string long_value(300, 'x');
  EXPECT_EQ(parse_error("[log]\nlevel = \"" + long_value + "\"\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got '" +
                std::string(100, 'x') + "...'");
}

TEST(ConfigErrors, SyntaxErrorNamesLineAndColumn) {
  const std::string message = parse_error("[limits]\nmax_packet_size = \n");
  EXPECT_TRUE(message.starts_with("cairn.toml:2:")) << message;
  EXPECT_NE(message.find("invalid TOML: "), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ConfigErrors, TomlRulesAreSyntaxErrors) {
  // A duplicate key, an integer beyond 64 bits, a table defined twice: TOML
  // itself forbids them, so toml++ reports them, with the line.
  EXPECT_TRUE(parse_error("[limits]\nmax_connections = 1\nmax_connections = 2\n")
                  .starts_with("cairn.toml:3:"));
  EXPECT_TRUE(parse_error("[limits]\nmax_connections = 99999999999999999999\n")
                  .starts_with("cairn.toml:2:"));
  EXPECT_TRUE(parse_error("[limits]\n[broker]\n[limits]\n").starts_with("cairn.toml:3:"));
}

// toml++ 3.3.0 meets about 3,000 non-ASCII code points with undefined
// behaviour (src/config/toml_input.h): they are swapped before it parses and
// swapped back after, so that it reads them as it should. Without the swap, a
// build with toml++ instrumented (the fuzz preset) stops at each of these
// under UBSan; tests/fuzz/config_fuzz found the first.
TEST(ConfigErrors, NonAsciiOutsideStringsIsTomlxxsOwnError) {
  EXPECT_EQ(parse_error("[limits]\nmax\u03f3 = 1\n"),
            "cairn.toml:2:4: invalid TOML: Error while parsing key-value pair: expected '=', saw "
            "'\u03f3'");
  EXPECT_EQ(parse_error("[\u3001]\n"),
            "cairn.toml:1:2: invalid TOML: Error while parsing key: expected bare key starting "
            "character or string delimiter, saw '\u3001'");
  EXPECT_EQ(parse_error("x = \"\"\"\\\u03f3\"\"\"\n"),
            "cairn.toml:1:9: invalid TOML: Error while parsing string: unknown escape sequence "
            "'\\\u03f3'");
  const std::string message = parse_error("a = 1\u00a7\n");
  EXPECT_TRUE(message.starts_with("cairn.toml:1:")) << message;
}

TEST(ConfigErrors, NonAsciiInStringsAndCommentsIsRead) {
  const Config c = testing::parse_ok(
      "\xEF\xBB\xBF# D\u00e9faut: \u3001\u00a7\n"
      "[storage] # donn\u00e9es\n"
      "data_dir = \"/srv/donn\u00e9es/\u03f3\\\"\u3001\U0001F600\"\n"
      "[log]\n"
      "'level' = 'info' # \u00a7\n"
      "[\"limits\"]\n"
      "\"max_connections\" = 5\n");
  EXPECT_EQ(c.data_dir, "/srv/donn\u00e9es/\u03f3\"\u3001\U0001F600");
  EXPECT_EQ(c.limits.max_connections, 5u);
  // In keys, and after a multi-line string's line-ending backslash.
  EXPECT_EQ(parse_error("[limits]\n\"\u03f3\" = 1\n"), "cairn.toml:2: unknown key 'limits.\u03f3'");
  EXPECT_EQ(parse_error("[log]\nlevel = \"\"\"\u03f3\\\n  \n  \u00a7x\"\"\"\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'\u03f3\u00a7x'");
  EXPECT_EQ(parse_error("[log]\nlevel = '''\u00a7'''\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'\u00a7'");
}

TEST(ConfigErrors, TextThatIsNotUtf8) {
  EXPECT_EQ(parse_error("x = 1\xcf\n"),
            "cairn.toml:1:6: invalid TOML: not UTF-8, which TOML requires");
  EXPECT_EQ(parse_error("# \u00e9\n\xc0\x80"),  // an overlong NUL
            "cairn.toml:2:1: invalid TOML: not UTF-8, which TOML requires");
  EXPECT_EQ(parse_error("a = \"\xed\xa0\x80\""),  // a surrogate
            "cairn.toml:1:6: invalid TOML: not UTF-8, which TOML requires");
}

// The swap borrows U+F0000 + (c - U+00A0); a file holding both cannot be read
// back unambiguously, and is refused. Either alone is fine.
TEST(ConfigErrors, SwapAreaAlongsideASwappedCharacter) {
  const std::string refused =
      "invalid TOML: a private-use character U+F0000..U+FFFFF (or its \\U000F escape) cannot "
      "share a file with some characters of U+00A1..U+FEFE (a workaround for a toml++ 3.3 bug)";
  EXPECT_EQ(parse_error("# \u00a7\n[log]\nlevel = \"\U000F0107\""), "cairn.toml:3:10: " + refused);
  EXPECT_EQ(parse_error("# \u00a7\n[log]\nlevel = \"\\U000F0107\""), "cairn.toml:3:10: " + refused);
  EXPECT_EQ(parse_error("[log]\nlevel = \"\U000F0107\""),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'\U000F0107'");
}

TEST(ConfigErrors, EveryProblemIsReportedInTheOrderOfTheText) {
  EXPECT_EQ(parse_error("[log]\n"
                        "level = \"loud\"\n"
                        "[limits]\n"
                        "receive_maximum = 0\n"
                        "max_pakcet_size = 1\n"
                        "[broker]\n"
                        "maximum_qos = 3\n"
                        "[listener]\n"
                        "listen = \"x\"\n"),
            "cairn.toml:2: log.level: must be one of trace, debug, info, warn, error, off, got "
            "'loud'\n"
            "cairn.toml:4: limits.receive_maximum: must be between 1 and 65535, got 0\n"
            "cairn.toml:5: unknown key 'limits.max_pakcet_size'; did you mean "
            "'limits.max_packet_size'?\n"
            "cairn.toml:7: broker.maximum_qos: must be between 0 and 2, got 3\n"
            "cairn.toml:9: listener.listen: the ':PORT' is missing; expected HOST:PORT, as "
            "127.0.0.1:1883, got 'x'");
}

TEST(ConfigErrors, MessageNamesTheSourceGiven) {
  auto result = parse_config("[limits]\nmax_connections = 0\n", "/etc/cairn/cairn.toml");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_EQ(std::get<ConfigError>(result).message,
            "/etc/cairn/cairn.toml:2: limits.max_connections: must be between 1 and 4294967295, "
            "got 0");
}

TEST(ConfigErrors, MissingFile) {
  auto result = load_config_file("/nonexistent/cairn.toml");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_EQ(std::get<ConfigError>(result).message,
            "/nonexistent/cairn.toml: cannot open: No such file or directory");
}

TEST(ConfigErrors, DirectoryIsNotAFile) {
  auto result = load_config_file(CAIRN_SOURCE_DIR "/ops");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_EQ(std::get<ConfigError>(result).message,
            CAIRN_SOURCE_DIR "/ops: cannot read: Is a directory");
}

// Every integer key refuses the values just outside its range, and any value
// of another type, naming its range or its type.
class ConfigIntegerKeyErrors : public ::testing::TestWithParam<IntegerKey> {};

TEST_P(ConfigIntegerKeyErrors, RefusesValuesOutsideItsRange) {
  const IntegerKey& k = GetParam();
  const std::string range =
      "must be between " + std::to_string(k.min) + " and " + std::to_string(k.max) + ", got ";
  for (std::int64_t value : {k.min - 1, k.max + 1, std::int64_t{-1}, INT64_MAX}) {
    if (value >= k.min && value <= k.max) continue;
    // A comment first, so that the line is not trivially 1 or 2.
    const std::string text =
        "# cairn\n[" + k.table + "]\n" + k.key + " = " + std::to_string(value) + "\n";
    EXPECT_EQ(parse_error(text),
              "cairn.toml:3: " + k.name() + ": " + range + std::to_string(value));
  }
}

TEST_P(ConfigIntegerKeyErrors, RefusesOtherTypes) {
  const IntegerKey& k = GetParam();
  EXPECT_EQ(parse_error("[" + k.table + "]\n" + k.key + " = true\n"),
            "cairn.toml:2: " + k.name() + ": expected an integer, got a boolean");
  EXPECT_EQ(parse_error("[" + k.table + "]\n" + k.key + " = \"10\"\n"),
            "cairn.toml:2: " + k.name() + ": expected an integer, got a string");
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigIntegerKeyErrors,
                         ::testing::ValuesIn(testing::integer_keys()),
                         testing::key_test_name<IntegerKey>);

class ConfigBooleanKeyErrors : public ::testing::TestWithParam<BooleanKey> {};

TEST_P(ConfigBooleanKeyErrors, RefusesOtherTypes) {
  const BooleanKey& k = GetParam();
  EXPECT_EQ(parse_error("[" + k.table + "]\n" + k.key + " = 0\n"),
            "cairn.toml:2: " + k.name() + ": expected a boolean (true or false), got an integer");
  EXPECT_EQ(parse_error("[" + k.table + "]\n" + k.key + " = \"true\"\n"),
            "cairn.toml:2: " + k.name() + ": expected a boolean (true or false), got a string");
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigBooleanKeyErrors,
                         ::testing::ValuesIn(testing::boolean_keys()),
                         testing::key_test_name<BooleanKey>);

}  // namespace
}  // namespace cairn::config
