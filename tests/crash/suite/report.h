// What cairn-crashtest found, by crash mode: the table on the terminal and
// the same as JSON and Markdown files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::crashtest {

struct ModeResult {
  std::string mode;
  std::string skipped;  // why the mode did not run; empty when it ran
  // A mode that did not run fails the run unless --allow-skip named it.
  bool skip_allowed = false;
  int cycles = 0;  // completed
  std::uint64_t acked_qos1 = 0;
  std::uint64_t acked_qos2 = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated_qos2 = 0;
  std::uint64_t duplicated_qos1 = 0;  // allowed by QoS 1; reported
  std::uint64_t unpublished = 0;
  std::uint64_t retained_rolled_back = 0;
  std::uint64_t sessions_lost = 0;
  std::uint64_t expired_delivered = 0;    // messages delivered after their expiry
  std::uint64_t will_errors = 0;          // a will lost, or published after a timely return
  std::uint64_t subscription_errors = 0;  // an acknowledged (UN)SUBSCRIBE undone
  std::uint64_t subscription_changes = 0;
  std::uint64_t wills_published = 0;  // wills due and published
  std::uint64_t wills_withheld = 0;   // wills withheld, their client back in time
  std::uint64_t crashes_during_recovery = 0;
  std::uint64_t full_disk_exits = 0;  // enospc mode: the broker exited 75 on its own
  std::uint64_t bytes_discarded = 0;  // power mode: unsynced bytes the cuts took
  std::uint64_t names_undone = 0;     // power mode: unsynced name changes the cuts undid
  std::uint64_t refused = 0;          // publishes refused (disk mode: while the volume was full)
  std::vector<double> listen_ms;      // crash -> listening, per cycle
  std::vector<double> first_ms;       // crash -> first message delivered again
  // The first failure: what, and how to replay it.
  std::string failure;
  int failed_cycle = 0;

  // A mode that ran and kept every promise.
  bool passed() const {
    return skipped.empty() && failure.empty() && lost == 0 && duplicated_qos2 == 0 &&
           unpublished == 0 && retained_rolled_back == 0 && sessions_lost == 0 &&
           expired_delivered == 0 && will_errors == 0 && subscription_errors == 0;
  }
};

struct Report {
  std::uint64_t seed = 0;
  std::string binary;
  std::string replay;  // the command line that replays the run
  std::vector<ModeResult> modes;
  // Every mode ran and passed, or did not run and was allowed to skip; and
  // at least one ran.
  bool passed() const;
};

std::string render_table(const Report& report);
std::string render_markdown(const Report& report);
std::string render_json(const Report& report);

}  // namespace cairn::crashtest
