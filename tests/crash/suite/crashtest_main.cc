// cairn-crashtest: the crash-recovery test suite (tests/crash/README.md).
// Starts the broker under test, drives a seeded workload, crashes the broker
// at random moments for N cycles per crash mode, checks after every restart
// that nothing acknowledged was lost, and reports: a table on the terminal,
// crashtest-report.json and crashtest-report.md. Exit code 0 when every mode
// that ran passed, 1 on a failure, 2 on bad arguments.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "suite/mode_runner.h"
#include "suite/report.h"

namespace {

namespace fs = std::filesystem;
using cairn::crashtest::ModeOptions;
using cairn::crashtest::Report;

const std::vector<std::string> kModes = {"sigkill", "power", "recovery", "disk", "enospc"};

// Each mode's own seed, so that a mode replays alone with the same --seed.
std::uint64_t mode_seed(std::uint64_t seed, const std::string& mode) {
  return seed ^ std::hash<std::string>{}(mode);
}

std::string dir_of_binary(const char* argv0) {
  std::error_code ec;
  const fs::path self = fs::canonical("/proc/self/exe", ec);
  return ec ? fs::path(argv0).parent_path().string() : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "cairn-crashtest: crash the broker under load and prove nothing acknowledged is lost"};
  std::string cairn;
  std::string config;
  std::string powerfs = dir_of_binary(argv[0]) + "/cairn-powerfs";
  std::string work = "crashtest-data";
  std::string report_dir = ".";
  std::vector<std::string> modes = kModes;
  std::vector<std::string> allow_skip;
  int cycles = 20;
  std::uint64_t seed = std::random_device{}();
  int min_load = 150;
  int max_load = 450;
  bool verbose = false;
  std::uint64_t disk_guard_mb = 256;
  app.add_option("--cairn", cairn, "The broker binary under test")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--config", config,
                 "Its configuration file (TOML); the suite sets the listener, "
                 "metrics address and data directory on the command line")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", work,
                 "Where the suite keeps each mode's data directory, logs and "
                 "mounts; on the disk to test (default: ./crashtest-data)");
  app.add_option("--modes", modes, "Crash modes: sigkill, power, recovery, disk, enospc")
      ->delimiter(',')
      ->check(CLI::IsMember(kModes));
  app.add_option("--allow-skip", allow_skip,
                 "Modes that may be skipped where this machine cannot run them (no FUSE, no "
                 "mount); any other mode that cannot run fails the run")
      ->delimiter(',')
      ->check(CLI::IsMember(kModes));
  app.add_option("--cycles", cycles, "Crashes per mode")->check(CLI::Range(1, 1'000'000));
  app.add_option("--seed", seed, "Seed of the crash moments; a failure names the one to replay");
  app.add_option("--min-load-ms", min_load, "Shortest load before a crash")
      ->check(CLI::Range(1, 60'000));
  app.add_option("--max-load-ms", max_load, "Longest load before a crash")
      ->check(CLI::Range(1, 60'000));
  app.add_option("--powerfs", powerfs, "The cairn-powerfs binary (power mode)");
  app.add_option("--report-dir", report_dir, "Where crashtest-report.json and .md go");
  app.add_option("--disk-guard-mb", disk_guard_mb,
                 "The disk mode: the broker's storage.min_free_space_mb (cairn's default: 256)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_flag("-v,--verbose", verbose, "A line per cycle");
  CLI11_PARSE(app, argc, argv);
  if (min_load > max_load) {
    std::cerr << "cairn-crashtest: --min-load-ms is above --max-load-ms\n";
    return 2;
  }

  Report report;
  report.seed = seed;
  report.binary = fs::absolute(cairn).string();
  std::ostringstream replay;
  replay << "cairn-crashtest --cairn " << cairn << (config.empty() ? "" : " --config " + config)
         << " --seed " << seed << " --cycles " << cycles << " --min-load-ms " << min_load
         << " --max-load-ms " << max_load << " --modes ";
  for (std::size_t i = 0; i < modes.size(); ++i) replay << (i ? "," : "") << modes[i];
  report.replay = replay.str();
  std::cout << "cairn-crashtest: " << report.binary << ", " << cycles << " cycles per mode, seed "
            << seed << std::endl;

  for (const std::string& mode : modes) {
    ModeOptions o;
    o.mode = mode;
    o.cairn = fs::absolute(cairn).string();
    o.config = config.empty() ? "" : fs::absolute(config).string();
    o.powerfs = powerfs;
    o.work = fs::absolute(work) / mode;
    o.cycles = cycles;
    o.seed = mode_seed(seed, mode);
    o.min_load_ms = min_load;
    o.max_load_ms = max_load;
    o.verbose = verbose;
    o.disk_guard_mb = disk_guard_mb;
    std::cout << "== " << mode << std::endl;
    report.modes.push_back(cairn::crashtest::run_mode(o));
    auto& r = report.modes.back();
    r.skip_allowed = std::find(allow_skip.begin(), allow_skip.end(), mode) != allow_skip.end();
    std::cout << "== " << mode << ": "
              << (!r.skipped.empty() ? "skipped (" + r.skipped + ")"
                  : r.passed()       ? "passed"
                                     : "FAILED")
              << ", " << r.cycles << " cycles" << std::endl;
    // At once, not only in the final report: a long run may be cut short.
    if (!r.failure.empty()) {
      std::cout << "   failed at cycle " << r.failed_cycle << ": " << r.failure << std::endl;
    }
  }

  std::cout << "\n" << cairn::crashtest::render_table(report);
  fs::create_directories(report_dir);
  std::ofstream(fs::path(report_dir) / "crashtest-report.json")
      << cairn::crashtest::render_json(report);
  std::ofstream(fs::path(report_dir) / "crashtest-report.md")
      << cairn::crashtest::render_markdown(report);
  std::cout << "report: " << (fs::path(report_dir) / "crashtest-report.{json,md}").string() << "\n";
  // The last lines say what did not run, allowed or not: a skipped mode is
  // never a silent pass.
  for (const auto& r : report.modes) {
    if (r.skipped.empty()) continue;
    std::cout << (r.skip_allowed ? "UNAVAILABLE here (allowed by --allow-skip): "
                                 : "FAILED: could not run: ")
              << r.mode << ": " << r.skipped << "\n";
  }
  return report.passed() ? 0 : 1;
}
