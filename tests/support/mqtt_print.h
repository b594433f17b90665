// Readable GoogleTest output for the codec's types: PrintTo overloads found by
// ADL, so a failed EXPECT_EQ on packets shows their fields rather than a dump
// of their object bytes, and describe() for building failure messages.
//
// Header-only, test-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mqtt/decode_result.h"
#include "mqtt/packet.h"
#include "mqtt/packet_type.h"
#include "mqtt/property.h"
#include "mqtt/protocol_version.h"
#include "mqtt/reason_code.h"

namespace cairn::test::print_detail {

// A string as a quoted literal with \xNN escapes, shortened when long.
inline void quoted(std::ostream& os, std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  constexpr std::size_t kShown = 40;
  os << '"';
  for (std::size_t i = 0; i < s.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      os << '\\' << static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      os << static_cast<char>(c);
    } else {
      os << "\\x" << kDigits[c >> 4] << kDigits[c & 0xF];
    }
  }
  os << '"';
  if (s.size() > kShown) os << "...(" << s.size() << " bytes)";
}

inline void hex_byte(std::ostream& os, std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  os << "0x" << kDigits[b >> 4] << kDigits[b & 0xF];
}

inline void value(std::ostream& os, std::uint8_t v) { os << static_cast<unsigned>(v); }
inline void value(std::ostream& os, std::uint16_t v) { os << v; }
inline void value(std::ostream& os, std::uint32_t v) { os << v; }
inline void value(std::ostream& os, const std::string& v) { quoted(os, v); }
inline void value(std::ostream& os, const mqtt::UserProperty& v) {
  os << '(';
  quoted(os, v.key);
  os << ", ";
  quoted(os, v.value);
  os << ')';
}
template <typename T>
void value(std::ostream& os, const std::vector<T>& v) {
  os << '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) os << ", ";
    value(os, v[i]);
  }
  os << ']';
}

template <typename T>
bool present(const std::optional<T>& v) {
  return v.has_value();
}
template <typename T>
bool present(const std::vector<T>& v) {
  return !v.empty();
}
template <typename T>
void unwrap(std::ostream& os, const std::optional<T>& v) {
  value(os, *v);
}
template <typename T>
void unwrap(std::ostream& os, const std::vector<T>& v) {
  value(os, v);
}

}  // namespace cairn::test::print_detail

namespace cairn::mqtt {

inline void PrintTo(ReasonCode code, std::ostream* os) {
  test::print_detail::hex_byte(*os, static_cast<std::uint8_t>(code));
}

inline void PrintTo(ProtocolVersion version, std::ostream* os) {
  switch (version) {
    case ProtocolVersion::kV31:
      *os << "3.1";
      return;
    case ProtocolVersion::kV311:
      *os << "3.1.1";
      return;
    case ProtocolVersion::kV5:
      *os << "5.0";
      return;
  }
  *os << "level " << static_cast<unsigned>(version);
}

inline void PrintTo(const Properties& p, std::ostream* os) {
  namespace d = test::print_detail;
  *os << '{';
  bool first = true;
#define CAIRN_X(id, enumerator, member, type, name, scope) \
  if (d::present(p.member)) {                              \
    *os << (first ? "" : ", ") << #member << '=';          \
    d::unwrap(*os, p.member);                              \
    first = false;                                         \
  }
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
  *os << '}';
}

inline void PrintTo(const Will& w, std::ostream* os) {
  namespace d = test::print_detail;
  *os << "Will{topic=";
  d::quoted(*os, w.topic);
  *os << ", payload=";
  d::quoted(*os, w.payload);
  *os << ", qos=" << static_cast<unsigned>(w.qos) << ", retain=" << w.retain << ", properties=";
  PrintTo(w.properties, os);
  *os << '}';
}

inline void PrintTo(const Connect& c, std::ostream* os) {
  namespace d = test::print_detail;
  *os << "CONNECT{version=";
  PrintTo(c.version, os);
  *os << ", clean_start=" << c.clean_start << ", keep_alive=" << c.keep_alive << ", properties=";
  PrintTo(c.properties, os);
  *os << ", client_id=";
  d::quoted(*os, c.client_id);
  *os << ", will=";
  if (c.will) {
    PrintTo(*c.will, os);
  } else {
    *os << "none";
  }
  *os << ", username=";
  if (c.username) {
    d::quoted(*os, *c.username);
  } else {
    *os << "none";
  }
  *os << ", password=";
  if (c.password) {
    d::quoted(*os, *c.password);
  } else {
    *os << "none";
  }
  *os << '}';
}

inline void PrintTo(const Connack& c, std::ostream* os) {
  *os << "CONNACK{session_present=" << c.session_present << ", reason_code=";
  PrintTo(c.reason_code, os);
  *os << ", properties=";
  PrintTo(c.properties, os);
  *os << '}';
}

inline void PrintTo(const Publish& p, std::ostream* os) {
  namespace d = test::print_detail;
  *os << "PUBLISH{dup=" << p.dup << ", qos=" << static_cast<unsigned>(p.qos)
      << ", retain=" << p.retain << ", topic=";
  d::quoted(*os, p.topic);
  *os << ", packet_id=" << p.packet_id << ", properties=";
  PrintTo(p.properties, os);
  *os << ", payload=";
  d::quoted(*os, p.payload);
  *os << '}';
}

template <PacketType T>
void PrintTo(const PublishResponse<T>& r, std::ostream* os) {
  *os << packet_type_name(T) << "{packet_id=" << r.packet_id << ", reason_code=";
  PrintTo(r.reason_code, os);
  *os << ", properties=";
  PrintTo(r.properties, os);
  *os << '}';
}

inline void PrintTo(const Subscribe& s, std::ostream* os) {
  namespace d = test::print_detail;
  *os << "SUBSCRIBE{packet_id=" << s.packet_id << ", properties=";
  PrintTo(s.properties, os);
  *os << ", subscriptions=[";
  for (std::size_t i = 0; i < s.subscriptions.size(); ++i) {
    const auto& sub = s.subscriptions[i];
    *os << (i > 0 ? ", " : "");
    d::quoted(*os, sub.filter);
    *os << " qos=" << static_cast<unsigned>(sub.options.max_qos) << " nl=" << sub.options.no_local
        << " rap=" << sub.options.retain_as_published
        << " rh=" << static_cast<unsigned>(sub.options.retain_handling);
  }
  *os << "]}";
}

inline void print_codes(const std::vector<ReasonCode>& codes, std::ostream* os) {
  *os << '[';
  for (std::size_t i = 0; i < codes.size(); ++i) {
    *os << (i > 0 ? ", " : "");
    PrintTo(codes[i], os);
  }
  *os << ']';
}

inline void PrintTo(const Suback& s, std::ostream* os) {
  *os << "SUBACK{packet_id=" << s.packet_id << ", properties=";
  PrintTo(s.properties, os);
  *os << ", reason_codes=";
  print_codes(s.reason_codes, os);
  *os << '}';
}

inline void PrintTo(const Unsubscribe& u, std::ostream* os) {
  namespace d = test::print_detail;
  *os << "UNSUBSCRIBE{packet_id=" << u.packet_id << ", properties=";
  PrintTo(u.properties, os);
  *os << ", filters=";
  d::value(*os, u.filters);
  *os << '}';
}

inline void PrintTo(const Unsuback& u, std::ostream* os) {
  *os << "UNSUBACK{packet_id=" << u.packet_id << ", properties=";
  PrintTo(u.properties, os);
  *os << ", reason_codes=";
  print_codes(u.reason_codes, os);
  *os << '}';
}

inline void PrintTo(const Pingreq&, std::ostream* os) { *os << "PINGREQ{}"; }
inline void PrintTo(const Pingresp&, std::ostream* os) { *os << "PINGRESP{}"; }

inline void PrintTo(const Disconnect& d, std::ostream* os) {
  *os << "DISCONNECT{reason_code=";
  PrintTo(d.reason_code, os);
  *os << ", properties=";
  PrintTo(d.properties, os);
  *os << '}';
}

inline void PrintTo(const Auth& a, std::ostream* os) {
  *os << "AUTH{reason_code=";
  PrintTo(a.reason_code, os);
  *os << ", properties=";
  PrintTo(a.properties, os);
  *os << '}';
}

inline void PrintTo(const Packet& packet, std::ostream* os) {
  std::visit([os](const auto& p) { PrintTo(p, os); }, packet);
}

inline void PrintTo(const DecodeError& e, std::ostream* os) {
  *os << "DecodeError{reason=";
  PrintTo(e.reason, os);
  *os << ", why=\"" << (e.why != nullptr ? e.why : "") << "\"}";
}

inline void PrintTo(const NeedMore&, std::ostream* os) { *os << "NeedMore"; }

inline void PrintTo(const DecodeResult& result, std::ostream* os) {
  std::visit([os](const auto& r) { PrintTo(r, os); }, result);
}

}  // namespace cairn::mqtt

namespace cairn::test {

// Any of the codec's printable values as a string, for failure messages.
template <typename T>
std::string describe(const T& value) {
  std::ostringstream os;
  mqtt::PrintTo(value, &os);
  return os.str();
}

}  // namespace cairn::test
