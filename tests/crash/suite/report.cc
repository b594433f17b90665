#include "suite/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace cairn::crashtest {
namespace {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string three(const std::vector<double>& v) {
  if (v.empty()) return "-";
  return ms(percentile(v, 50)) + " / " + ms(percentile(v, 99)) + " / " +
         ms(*std::max_element(v.begin(), v.end()));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct Column {
  const char* title;
  std::string (*value)(const ModeResult&);
};

const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"mode", [](const ModeResult& m) { return m.mode; }},
      {"cycles", [](const ModeResult& m) { return std::to_string(m.cycles); }},
      {"acked QoS 1", [](const ModeResult& m) { return std::to_string(m.acked_qos1); }},
      {"acked QoS 2", [](const ModeResult& m) { return std::to_string(m.acked_qos2); }},
      {"delivered", [](const ModeResult& m) { return std::to_string(m.delivered); }},
      {"lost", [](const ModeResult& m) { return std::to_string(m.lost); }},
      {"QoS 2 dup", [](const ModeResult& m) { return std::to_string(m.duplicated_qos2); }},
      {"never published", [](const ModeResult& m) { return std::to_string(m.unpublished); }},
      {"retained rolled back",
       [](const ModeResult& m) { return std::to_string(m.retained_rolled_back); }},
      {"sessions lost", [](const ModeResult& m) { return std::to_string(m.sessions_lost); }},
      {"expired delivered",
       [](const ModeResult& m) { return std::to_string(m.expired_delivered); }},
      {"will errors", [](const ModeResult& m) { return std::to_string(m.will_errors); }},
      {"subscription errors",
       [](const ModeResult& m) { return std::to_string(m.subscription_errors); }},
      {"listening ms p50/p99/max", [](const ModeResult& m) { return three(m.listen_ms); }},
      {"first redelivery ms p50/p99/max", [](const ModeResult& m) { return three(m.first_ms); }},
      {"verdict",
       [](const ModeResult& m) -> std::string {
         if (!m.skipped.empty()) return m.skip_allowed ? "skipped (allowed)" : "NOT RUN: FAIL";
         return m.passed() ? "pass" : "FAIL";
       }},
  };
  return c;
}

std::string notes(const Report& report, const std::string& bullet) {
  std::string out;
  for (const ModeResult& m : report.modes) {
    if (!m.skipped.empty()) {
      out += bullet + m.mode + (m.skip_allowed ? ": skipped (--allow-skip): " : ": NOT RUN: ") +
             m.skipped + "\n";
    }
    if (!m.failure.empty()) {
      out += bullet + m.mode + ": FAILED at cycle " + std::to_string(m.failed_cycle) + ": " +
             m.failure + "\n";
    }
    if (m.full_disk_exits > 0) {
      out += bullet + m.mode + ": the broker exited with status 75 " +
             std::to_string(m.full_disk_exits) +
             " times when a write found the volume full, and restarted once the space returned\n";
    }
    if (m.crashes_during_recovery > 0) {
      out += bullet + m.mode + ": " + std::to_string(m.crashes_during_recovery) +
             " second crashes landed while the broker was starting, before it listened\n";
    }
    if (m.wills_published + m.wills_withheld + m.subscription_changes > 0) {
      out += bullet + m.mode + ": " + std::to_string(m.wills_published) +
             " delayed wills published, " + std::to_string(m.wills_withheld) +
             " withheld (client back in time); " + std::to_string(m.subscription_changes) +
             " subscription changes acknowledged\n";
    }
    if (m.refused > 0) {
      out += bullet + m.mode + ": " + std::to_string(m.refused) +
             " publishes refused with a reason code (none acknowledged), and publishing resumed "
             "once the space returned, every cycle\n";
    }
    if (m.bytes_discarded > 0) {
      out += bullet + m.mode + ": " + std::to_string(m.bytes_discarded) +
             " unsynced bytes discarded by the power cuts, " + std::to_string(m.names_undone) +
             " name changes undone (created, renamed or removed, their directory not synced)\n";
    }
    if (m.duplicated_qos1 > 0) {
      out += bullet + m.mode + ": " + std::to_string(m.duplicated_qos1) +
             " QoS 1 messages delivered again (allowed: at least once)\n";
    }
  }
  return out;
}

}  // namespace

bool Report::passed() const {
  bool ran = false;
  for (const ModeResult& m : modes) {
    if (!m.skipped.empty()) {
      if (!m.skip_allowed) return false;  // a mode that cannot run is no pass
      continue;
    }
    ran = true;
    if (!m.passed()) return false;
  }
  return ran;
}

std::string render_table(const Report& report) {
  std::vector<std::size_t> width;
  for (const Column& c : columns()) {
    std::size_t w = std::string(c.title).size();
    for (const ModeResult& m : report.modes) w = std::max(w, c.value(m).size());
    width.push_back(w);
  }
  std::ostringstream out;
  const auto row = [&](auto cell) {
    for (std::size_t i = 0; i < columns().size(); ++i) {
      std::string text = cell(i);
      out << (i == 0 ? "" : "  ") << text << std::string(width[i] - text.size(), ' ');
    }
    out << "\n";
  };
  row([&](std::size_t i) { return std::string(columns()[i].title); });
  for (const ModeResult& m : report.modes)
    row([&](std::size_t i) { return columns()[i].value(m); });
  out << notes(report, "  ");
  out << "seed " << report.seed << "; replay: " << report.replay << "\n";
  out << (report.passed() ? "PASSED" : "FAILED") << "\n";
  return out.str();
}

std::string render_markdown(const Report& report) {
  std::ostringstream out;
  out << "# cairn-crashtest report\n\n";
  out << "Broker: `" << report.binary << "`; seed " << report.seed << "; replay: `" << report.replay
      << "`\n\n|";
  for (const Column& c : columns()) out << " " << c.title << " |";
  out << "\n|";
  for (std::size_t i = 0; i < columns().size(); ++i) out << (i == 0 ? " --- |" : " ---: |");
  out << "\n";
  for (const ModeResult& m : report.modes) {
    out << "|";
    for (const Column& c : columns()) out << " " << c.value(m) << " |";
    out << "\n";
  }
  const std::string n = notes(report, "- ");
  if (!n.empty()) out << "\n" << n;
  out << "\n**" << (report.passed() ? "PASSED" : "FAILED") << "**\n";
  return out.str();
}

std::string render_json(const Report& report) {
  std::ostringstream out;
  const auto list = [](const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + ms(v[i]);
    return s + "]";
  };
  out << "{\"seed\":" << report.seed << ",\"binary\":" << json_string(report.binary)
      << ",\"replay\":" << json_string(report.replay)
      << ",\"passed\":" << (report.passed() ? "true" : "false") << ",\"modes\":[";
  for (std::size_t i = 0; i < report.modes.size(); ++i) {
    const ModeResult& m = report.modes[i];
    out << (i ? "," : "") << "{\"mode\":" << json_string(m.mode)
        << ",\"skipped\":" << json_string(m.skipped) << ",\"cycles\":" << m.cycles
        << ",\"acked_qos1\":" << m.acked_qos1 << ",\"acked_qos2\":" << m.acked_qos2
        << ",\"delivered\":" << m.delivered << ",\"lost\":" << m.lost
        << ",\"duplicated_qos2\":" << m.duplicated_qos2
        << ",\"duplicated_qos1\":" << m.duplicated_qos1 << ",\"unpublished\":" << m.unpublished
        << ",\"retained_rolled_back\":" << m.retained_rolled_back
        << ",\"sessions_lost\":" << m.sessions_lost
        << ",\"expired_delivered\":" << m.expired_delivered << ",\"will_errors\":" << m.will_errors
        << ",\"subscription_errors\":" << m.subscription_errors
        << ",\"subscription_changes\":" << m.subscription_changes
        << ",\"wills_published\":" << m.wills_published
        << ",\"wills_withheld\":" << m.wills_withheld
        << ",\"crashes_during_recovery\":" << m.crashes_during_recovery
        << ",\"full_disk_exits\":" << m.full_disk_exits
        << ",\"bytes_discarded\":" << m.bytes_discarded << ",\"names_undone\":" << m.names_undone
        << ",\"refused\":" << m.refused
        << ",\"listen_ms\":{\"p50\":" << ms(percentile(m.listen_ms, 50))
        << ",\"p99\":" << ms(percentile(m.listen_ms, 99)) << ",\"all\":" << list(m.listen_ms)
        << "},\"first_redelivery_ms\":{\"p50\":" << ms(percentile(m.first_ms, 50))
        << ",\"p99\":" << ms(percentile(m.first_ms, 99)) << ",\"all\":" << list(m.first_ms)
        << "},\"failure\":" << json_string(m.failure) << ",\"failed_cycle\":" << m.failed_cycle
        << ",\"passed\":" << (m.passed() ? "true" : "false") << "}";
  }
  out << "]}\n";
  return out.str();
}

}  // namespace cairn::crashtest
