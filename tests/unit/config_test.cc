// The configuration: its defaults, the example file ops/cairn.toml, and every
// key read from TOML into its field. Errors: config_errors_test.cc; the
// command line: config_overrides_test.cc.
#include "config/config.h"

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "config/log_level.h"
#include "config_test_support.h"

namespace cairn::config {
namespace {

using testing::all_key_names;
using testing::BooleanKey;
using testing::IntegerKey;
using testing::parse_ok;

const std::string kExampleFile = CAIRN_SOURCE_DIR "/ops/cairn.toml";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compares field by field, so that a failure names the field.
void expect_defaults(const Config& c) {
  const Config d;
  EXPECT_EQ(c.listeners, d.listeners);
  EXPECT_EQ(c.data_dir, d.data_dir);
  EXPECT_EQ(c.metrics_listen, d.metrics_listen);
  EXPECT_EQ(c.log_level, d.log_level);
  for (const IntegerKey& k : testing::integer_keys()) {
    EXPECT_EQ(k.get(c), k.get(d)) << k.name();
  }
  for (const BooleanKey& k : testing::boolean_keys()) {
    EXPECT_EQ(k.get(c), k.get(d)) << k.name();
  }
  EXPECT_TRUE(c == d);  // and nothing the lists above miss
}

TEST(ConfigDefaults, ServeOnTheirOwn) {
  const Config c;
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].listen, "127.0.0.1:1883");
  EXPECT_EQ(c.listeners[0].type, config::ListenerType::kMqtt);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.limits.queue_full_policy, config::QueueFullPolicy::kRefuse);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  for (const IntegerKey& k : testing::integer_keys()) {
    EXPECT_EQ(k.get(c), k.default_value) << k.name();
  }
  for (const BooleanKey& k : testing::boolean_keys()) {
    EXPECT_TRUE(k.get(c)) << k.name();
  }
}

TEST(ConfigDefaults, EmptyTextGivesDefaults) { expect_defaults(parse_ok("")); }

TEST(ConfigDefaults, CommentsAndEmptyTablesGiveDefaults) {
  expect_defaults(
      parse_ok("# nothing set\n\n[listener]\n[storage]\n[metrics]\n[log]\n"
               "[broker]\n[limits]\n# the end\n"));
}

TEST(ConfigDefaults, ExampleFileParsesToExactlyTheDefaults) {
  auto result = load_config_file(kExampleFile);
  ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigError>(result).message;
  expect_defaults(std::get<Config>(result));
}

// "Every key present with its default": equality alone would pass a file that
// left keys out, so read the keys off the file's lines.
TEST(ConfigDefaults, ExampleFileHoldsEveryKey) {
  const std::string text = read_file(kExampleFile);
  ASSERT_FALSE(text.empty()) << kExampleFile;
  std::set<std::string> in_file;
  std::string table;
  std::istringstream lines(text);
  const std::regex header(R"(^\[([a-z_]+)\]\s*$)");
  const std::regex assignment(R"(^([a-z_]+) = )");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, header)) {
      table = m[1];
    } else if (std::regex_search(line, m, assignment)) {
      EXPECT_TRUE(in_file.insert(table + "." + std::string(m[1])).second) << line;
    }
  }
  const std::vector<std::string> all = all_key_names();
  EXPECT_EQ(in_file, std::set<std::string>(all.begin(), all.end()));
}

// The file documents every key: each has a comment just above it.
TEST(ConfigDefaults, ExampleFileDocumentsEveryKey) {
  std::istringstream lines(read_file(kExampleFile));
  std::string previous;
  const std::regex assignment(R"(^([a-z_]+) = )");
  for (std::string line; std::getline(lines, line); previous = line) {
    if (std::regex_search(line, assignment)) {
      EXPECT_TRUE(previous.starts_with("#")) << "no comment above: " << line;
    }
  }
}

TEST(ConfigFile, ReadsStrings) {
  const Config c = parse_ok(R"(
[listener]
listen = "0.0.0.0:8883"
[storage]
data_dir = "/var/lib/cairn"
[metrics]
listen = "[::]:9000"
[log]
level = "debug"
)");
  EXPECT_EQ(c.listeners.at(0).listen, "0.0.0.0:8883");
  EXPECT_EQ(c.data_dir, "/var/lib/cairn");
  EXPECT_EQ(c.metrics_listen, "[::]:9000");
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
}

TEST(ConfigFile, ReadsEveryLogLevel) {
  const std::pair<const char*, LogLevel> levels[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}, {"off", LogLevel::kOff},
  };
  for (const auto& [name, level] : levels) {
    EXPECT_EQ(parse_ok(std::string("[log]\nlevel = \"") + name + "\"\n").log_level, level) << name;
    EXPECT_EQ(to_string(level), name);
  }
}

TEST(ConfigFile, KeepsDefaultsOfKeysLeftOut) {
  const Config c = parse_ok("[limits]\nmax_packet_size = 4096\n");
  EXPECT_EQ(c.limits.max_packet_size, 4096u);
  Config expected;
  expected.limits.max_packet_size = 4096;
  EXPECT_TRUE(c == expected);
}

TEST(ConfigFile, AcceptsDottedKeysAndInlineTables) {
  const Config dotted = parse_ok("limits.max_connections = 7\nlog.level = \"warn\"\n");
  EXPECT_EQ(dotted.limits.max_connections, 7u);
  EXPECT_EQ(dotted.log_level, LogLevel::kWarn);
  const Config inline_table = parse_ok("limits = { max_connections = 8, receive_maximum = 9 }\n");
  EXPECT_EQ(inline_table.limits.max_connections, 8u);
  EXPECT_EQ(inline_table.limits.receive_maximum, 9u);
}

TEST(ConfigFile, AcceptsTomlIntegerForms) {
  const Config c = parse_ok("[limits]\nmax_packet_size = 0x10_000\nmax_connections = 1_000\n");
  EXPECT_EQ(c.limits.max_packet_size, 65'536u);
  EXPECT_EQ(c.limits.max_connections, 1000u);
}

TEST(ConfigFile, LoadsAFile) {
  const std::string path = ::testing::TempDir() + "config_test_loads_a_file.toml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "[limits]\nmax_inflight_messages = 16\n";
  }
  auto result = load_config_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigError>(result).message;
  EXPECT_EQ(std::get<Config>(result).limits.max_inflight_messages, 16u);
}

// Every integer key: both ends of its range and a value inside are read into
// its field (out-of-range values: config_errors_test.cc).
class ConfigIntegerKey : public ::testing::TestWithParam<IntegerKey> {};

TEST_P(ConfigIntegerKey, ReadsEveryValueInItsRange) {
  const IntegerKey& k = GetParam();
  for (std::int64_t value : {k.min, k.max, k.min + (k.max - k.min) / 3}) {
    const std::string text = "[" + k.table + "]\n" + k.key + " = " + std::to_string(value) + "\n";
    const Config c = parse_ok(text);
    EXPECT_EQ(k.get(c), value) << text;
    // and no other field: the key does not share its field with another
    const Config defaults;
    for (const IntegerKey& other : testing::integer_keys()) {
      if (other.name() != k.name()) {
        EXPECT_EQ(other.get(c), other.get(defaults)) << other.name();
      }
    }
    for (const BooleanKey& other : testing::boolean_keys()) EXPECT_TRUE(other.get(c));
  }
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigIntegerKey, ::testing::ValuesIn(testing::integer_keys()),
                         testing::key_test_name<IntegerKey>);

class ConfigBooleanKey : public ::testing::TestWithParam<BooleanKey> {};

TEST_P(ConfigBooleanKey, ReadsTrueAndFalse) {
  const BooleanKey& k = GetParam();
  const std::string prefix = "[" + k.table + "]\n" + k.key + " = ";
  EXPECT_FALSE(k.get(parse_ok(prefix + "false\n")));
  EXPECT_TRUE(k.get(parse_ok(prefix + "true\n")));
  // Only that field changes.
  const Config off = parse_ok(prefix + "false\n");
  int changed = 0;
  for (const BooleanKey& other : testing::boolean_keys()) changed += other.get(off) ? 0 : 1;
  EXPECT_EQ(changed, 1);
}

INSTANTIATE_TEST_SUITE_P(Config, ConfigBooleanKey, ::testing::ValuesIn(testing::boolean_keys()),
                         testing::key_test_name<BooleanKey>);

}  // namespace
}  // namespace cairn::config
