#include "load/report.h"

#include <cstdio>
#include <string_view>

namespace cairn::load {
namespace {

std::string format(const char* pattern, auto... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, values...);
  return buffer;
}

// 1234567 -> "1,234,567"
std::string grouped(double value) {
  std::string digits = format("%.0f", value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += format("\\u%04x", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int Result::exit_status() const noexcept {
  if (!errors.empty()) return 1;
  if (qos > 0 && (lost > 0 || duplicated > 0 || reordered > 0)) return 1;
  return 0;
}

void print_table(const Result& r, std::ostream& out) {
  for (const std::string& error : r.errors) out << "error: " << error << "\n";
  if (!r.errors.empty() && r.duration_s == 0) return;  // failed before measuring
  if (r.scenario == "idle") {
    out << format(
        "idle: %llu of %u connections (MQTT %s) in %.3f s: %s connections/s; held %.1f s\n",
        static_cast<unsigned long long>(r.connections), r.clients, r.mqtt.c_str(), r.connect_s,
        grouped(r.connect_rate).c_str(), r.duration_s);
    return;
  }
  if (r.scenario == "connect") {
    out << format(
        "connect: %s connections set up and closed, %u at a time (MQTT %s over %s), in "
        "%.2f s: %s connections/s\n",
        grouped(static_cast<double>(r.connections)).c_str(), r.clients, r.mqtt.c_str(),
        r.tls.empty() ? "TCP" : r.tls.c_str(), r.connect_s, grouped(r.connect_rate).c_str());
    out << format(
        "  set-up latency (TCP connect to CONNACK), us: p50 %.1f, p99 %.1f, p99.9 %.1f, "
        "max %.1f; cairn-load used %.0f%% of a core\n",
        r.p50_us, r.p99_us, r.p999_us, r.max_us, r.load_cpu * 100);
    return;
  }
  if (r.scenario == "backlog") {
    out << format(
        "backlog: %s QoS %d messages (%u B) to %u offline sessions (MQTT %s), window %u\n",
        grouped(static_cast<double>(r.messages)).c_str(), r.qos, r.payload, r.clients,
        r.mqtt.c_str(), r.window);
    out << format("  publish: %.2f s, %s msgs/s acknowledged\n", r.publish_s,
                  grouped(r.publish_rate).c_str());
    out << format("  drain:   %.2f s, %s deliveries/s (%s delivered)\n", r.drain_s,
                  grouped(r.delivery_rate).c_str(),
                  grouped(static_cast<double>(r.delivered)).c_str());
    out << format(
        "  lost %llu, duplicated %llu, reordered %llu%s\n", static_cast<unsigned long long>(r.lost),
        static_cast<unsigned long long>(r.duplicated), static_cast<unsigned long long>(r.reordered),
        r.drained ? "" : "; the drain did not finish");
    return;
  }
  const char* header = "%-8s %3s %7s %7s %6s %5s %13s %13s %9s %9s %9s %9s %8s %8s %9s\n";
  out << format(header, "scenario", "qos", "clients", "payload", "window", "mqtt", "published/s",
                "deliveries/s", "p50 us", "p99 us", "p99.9 us", "max us", "lost", "dup",
                "reordered");
  out << format("%-8s %3d %7u %7u %6u %5s %13s %13s %9.1f %9.1f %9.1f %9.1f %8llu %8llu %9llu\n",
                r.scenario.c_str(), r.qos, r.clients, r.payload, r.window, r.mqtt.c_str(),
                grouped(r.publish_rate).c_str(), grouped(r.delivery_rate).c_str(), r.p50_us,
                r.p99_us, r.p999_us, r.max_us, static_cast<unsigned long long>(r.lost),
                static_cast<unsigned long long>(r.duplicated),
                static_cast<unsigned long long>(r.reordered));
  if (!r.tls.empty()) out << "over " << r.tls << "\n";
  out << format("measured %.2f s: %llu published", r.duration_s,
                static_cast<unsigned long long>(r.published));
  if (r.qos > 0) out << format(", %llu acknowledged", static_cast<unsigned long long>(r.acked));
  out << format(", %llu delivered; %scairn-load used %.0f%% of a core (%u I/O thread%s)\n",
                static_cast<unsigned long long>(r.delivered),
                r.persistent ? "persistent sessions; " : "", r.load_cpu * 100, r.threads,
                r.threads == 1 ? "" : "s");
  if (!r.drained)
    out << "warning: in-flight messages had not drained 5 s after publishing stopped\n";
}

void print_json(const Result& r, std::ostream& out) {
  out << "{\"scenario\":" << json_string(r.scenario) << ",\"qos\":" << r.qos
      << ",\"clients\":" << r.clients << ",\"payload\":" << r.payload << ",\"window\":" << r.window
      << ",\"mqtt\":" << json_string(r.mqtt)
      << ",\"persistent\":" << (r.persistent ? "true" : "false")
      << format(",\"duration_s\":%.3f", r.duration_s) << ",\"published\":" << r.published
      << ",\"acked\":" << r.acked << ",\"delivered\":" << r.delivered
      << format(",\"publish_rate\":%.1f", r.publish_rate)
      << format(",\"delivery_rate\":%.1f", r.delivery_rate)
      << format(",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f", r.p50_us,
                r.p99_us, r.p999_us, r.max_us)
      << ",\"lost\":" << r.lost << ",\"duplicated\":" << r.duplicated
      << ",\"reordered\":" << r.reordered << format(",\"load_cpu\":%.3f", r.load_cpu)
      << ",\"threads\":" << r.threads << ",\"drained\":" << (r.drained ? "true" : "false")
      << ",\"connections\":" << r.connections << format(",\"connect_s\":%.3f", r.connect_s)
      << format(",\"connect_rate\":%.1f", r.connect_rate)
      << ",\"connections_total\":" << r.connections_total << ",\"tls\":" << json_string(r.tls)
      << ",\"messages\":" << r.messages
      << format(",\"publish_s\":%.3f,\"drain_s\":%.3f", r.publish_s, r.drain_s) << ",\"errors\":[";
  for (std::size_t i = 0; i < r.errors.size(); ++i) {
    out << (i > 0 ? "," : "") << json_string(r.errors[i]);
  }
  out << "]}\n";
}

}  // namespace cairn::load
