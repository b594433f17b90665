// The command line over the file: cairn --listen, --data-dir,
// --metrics-listen and --log-level, checked as the file's values are.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/log_level.h"
#include "config_test_support.h"

namespace cairn::config {
namespace {

TEST(ConfigOverrides, NoneLeavesTheConfigAlone) {
  Config c = testing::parse_ok("[limits]\nmax_connections = 5\n");
  const Config before = c;
  EXPECT_EQ(apply_overrides(c, CliOverrides{}), std::nullopt);
  EXPECT_TRUE(c == before);
}

TEST(ConfigOverrides, EachOptionReplacesTheFilesValue) {
  Config c = testing::parse_ok(R"(
[listener]
listen = "0.0.0.0:1883"
[storage]
data_dir = "/srv/a"
[metrics]
listen = "0.0.0.0:9464"
[log]
level = "warn"
[limits]
max_connections = 5
)");
  CliOverrides o;
  o.listen = "[::1]:2883";
  o.data_dir = "/srv/b";
  o.metrics_listen = "localhost:9999";
  o.log_level = "trace";
  ASSERT_EQ(apply_overrides(c, o), std::nullopt);
  EXPECT_EQ(c.listeners.at(0).listen, "[::1]:2883");
  EXPECT_EQ(c.data_dir, "/srv/b");
  EXPECT_EQ(c.metrics_listen, "localhost:9999");
  EXPECT_EQ(c.log_level, LogLevel::kTrace);
  EXPECT_EQ(c.limits.max_connections, 5u);  // what no option names stays
}

TEST(ConfigOverrides, AnEmptyMetricsAddressTurnsTheEndpointOff) {
  Config c;
  CliOverrides o;
  o.metrics_listen = "";
  ASSERT_EQ(apply_overrides(c, o), std::nullopt);
  EXPECT_EQ(c.metrics_listen, "");
}

TEST(ConfigOverrides, OnlyTheOptionsGiven) {
  Config c;
  CliOverrides o;
  o.data_dir = "elsewhere";
  ASSERT_EQ(apply_overrides(c, o), std::nullopt);
  Config expected;
  expected.data_dir = "elsewhere";
  EXPECT_TRUE(c == expected);
}

// One option given, the others left out.
CliOverrides only(std::optional<std::string> CliOverrides::*option, const char* value) {
  CliOverrides overrides;
  overrides.*option = value;
  return overrides;
}

TEST(ConfigOverrides, BadValueNamesTheOption) {
  const struct {
    CliOverrides overrides;
    const char* message;
  } cases[] = {
      {only(&CliOverrides::listen, "localhost:0"),
       "--listen: the port must be between 1 and 65535, got 'localhost:0'"},
      {only(&CliOverrides::data_dir, ""), "--data-dir: must name a directory, got ''"},
      {only(&CliOverrides::metrics_listen, "9464"),
       "--metrics-listen: the ':PORT' is missing; expected HOST:PORT, as 127.0.0.1:1883, got "
       "'9464'"},
      {only(&CliOverrides::log_level, "verbose"),
       "--log-level: must be one of trace, debug, info, warn, error, off, got 'verbose'"},
  };
  for (const auto& t : cases) {
    Config c;
    auto error = apply_overrides(c, t.overrides);
    ASSERT_TRUE(error.has_value()) << t.message;
    EXPECT_EQ(error->message, t.message);
    EXPECT_TRUE(c == Config{});
  }
}

TEST(ConfigOverrides, EveryBadOptionIsReportedAndNothingIsApplied) {
  Config c;
  CliOverrides o;
  o.listen = "127.0.0.1:2000";  // valid, but not applied: the command line is refused whole
  o.data_dir = "";
  o.log_level = "loud";
  auto error = apply_overrides(c, o);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "--data-dir: must name a directory, got ''\n"
            "--log-level: must be one of trace, debug, info, warn, error, off, got 'loud'");
  EXPECT_TRUE(c == Config{});
}

}  // namespace
}  // namespace cairn::config
