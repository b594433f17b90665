// The cairn command line: options, configuration, `check`, `repair` and
// `passwd`, and a broker served until SIGINT or SIGTERM (see command_line.h).
#include "app/command_line.h"

#include <iostream>
#include <string>
#include <variant>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "app/passwd_command.h"
#include "base/version.h"
#include "config/config.h"
#include "config/log_level.h"
#include "recovery/recovery.h"

namespace cairn::app {
namespace {

constexpr int kUsageError = 2;

spdlog::level::level_enum spdlog_level(cairn::config::LogLevel level) {
  using cairn::config::LogLevel;
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

int run_command_line(int argc, char** argv, const StoreDecorator& decorate) {
  namespace config = cairn::config;
  const std::string version_line = std::string("cairn ") + cairn::kVersion;

  CLI::App app{"cairn: a durable MQTT broker (MQTT 3.1, 3.1.1 and 5.0).", "cairn"};
  app.set_version_flag("-V,--version", version_line, "Print the version and exit");
  app.footer("Every setting, its default and what it does: ops/cairn.toml.");

  std::string config_file;
  std::string listen;
  std::string data_dir;
  std::string metrics_listen;
  std::string log_level;
  const char* group = "Broker options (override the configuration file)";
  CLI::Option* config_option =
      app.add_option("-c,--config", config_file, "Configuration file (TOML); default: none")
          ->type_name("FILE")
          ->group(group);
  CLI::Option* listen_option =
      app.add_option("--listen", listen, "MQTT listener address (default: 127.0.0.1:1883)")
          ->type_name("HOST:PORT")
          ->group(group);
  CLI::Option* data_dir_option =
      app.add_option("--data-dir", data_dir, "Directory of the durable store (default: ./data)")
          ->type_name("DIR")
          ->group(group);
  CLI::Option* metrics_option =
      app.add_option("--metrics-listen", metrics_listen,
                     "Prometheus metrics endpoint address (default: 127.0.0.1:9464)")
          ->type_name("HOST:PORT")
          ->group(group);
  // The level is checked by config::apply_overrides, as the file's is, so
  // that both refuse the same names with the same message and exit code.
  CLI::Option* log_level_option =
      app.add_option(
             "--log-level", log_level,
             std::string("Log level: ") + std::string(config::kLogLevelNames) + " (default: info)")
          ->type_name("LEVEL")
          ->group(group);

  std::string store_dir;
  CLI::App* check = app.add_subcommand(
      "check", "Verify the store in --data-dir offline; exit 1 if it is damaged");
  CLI::App* repair = app.add_subcommand(
      "repair", "Repair the store in --data-dir offline, reporting what it drops");
  for (CLI::App* command : {check, repair}) {
    command->add_option("--data-dir", store_dir, "Directory of the store")
        ->type_name("DIR")
        ->required();
  }

  PasswdRequest passwd_request;
  CLI::App* passwd = app.add_subcommand(
      "passwd",
      "Set a user's password in a mosquitto-compatible password file, or delete the user");
  passwd->add_option("FILE", passwd_request.file, "Password file")->type_name("")->required();
  passwd->add_option("USER", passwd_request.user, "User name")->type_name("")->required();
  passwd->add_flag("-D,--delete", passwd_request.remove, "Delete USER from FILE instead");
  passwd->footer(
      "The password is typed twice without echo at a terminal, else read as one line from stdin. "
      "FILE is created (mode 0600) if missing; other lines are kept as they are. mosquitto 2.0 "
      "reads the file (mosquitto_passwd's format).\nExit status: 0 written, 1 left unchanged, 2 "
      "a user name that cannot be in the file or a bad option.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version come here too, with exit code 0.
    const int code = app.exit(error);
    return code == 0 ? 0 : kUsageError;
  }

  if (*check) return cairn::recovery::check_store(store_dir, std::cout);
  if (*repair) return cairn::recovery::repair_store(store_dir, std::cout);
  if (*passwd) return run_passwd_command(passwd_request);

  config::Config settings;
  if (*config_option) {
    auto loaded = config::load_config_file(config_file);
    if (auto* error = std::get_if<config::ConfigError>(&loaded)) {
      std::cerr << error->message << '\n';
      return kUsageError;
    }
    settings = std::get<config::Config>(std::move(loaded));
  }
  config::CliOverrides overrides;
  if (*listen_option) overrides.listen = listen;
  if (*data_dir_option) overrides.data_dir = data_dir;
  if (*metrics_option) overrides.metrics_listen = metrics_listen;
  if (*log_level_option) overrides.log_level = log_level;
  if (auto error = config::apply_overrides(settings, overrides)) {
    std::cerr << error->message << '\n';
    return kUsageError;
  }

  spdlog::set_level(spdlog_level(settings.log_level));
  spdlog::info("{} starting; configuration: {}", version_line,
               *config_option ? config_file : "built-in defaults");
  try {
    cairn::app::BrokerApp broker(settings, decorate);
    broker.start();
    return broker.run_until_signal();
  } catch (const cairn::app::StoreError& error) {
    spdlog::error("cannot start: {}", error.what());
    return 1;
  } catch (const cairn::app::ConfigRefused& error) {
    spdlog::error("cannot start: {}", error.what());
    return kUsageError;
  } catch (const std::exception& error) {
    // Start-up failures (a port in use, an address that does not resolve)
    // are the only exceptions cairn throws (DESIGN.md §6).
    spdlog::error("cannot start: {}", error.what());
    return 1;
  }
}

}  // namespace cairn::app
