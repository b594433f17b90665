#include "base/utf8.h"

#include <cstdint>

namespace cairn::base {

bool is_valid_mqtt_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    const std::uint8_t lead = *p;
    if (lead < 0x80) {
      if (lead == 0) return false;  // [MQTT-1.5.4-2]
      ++p;
      continue;
    }
    // Table 3-7 of the Unicode standard: the ranges of the second byte depend
    // on the lead byte; that is what rules out overlong forms, surrogates and
    // code points above U+10FFFF.
    std::uint8_t lo = 0x80, hi = 0xBF;
    int trailing = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      trailing = 1;
    } else if (lead == 0xE0) {
      trailing = 2, lo = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
      trailing = 2;
    } else if (lead == 0xED) {
      trailing = 2, hi = 0x9F;  // U+D800..U+DFFF are surrogates
    } else if (lead == 0xF0) {
      trailing = 3, lo = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      trailing = 3;
    } else if (lead == 0xF4) {
      trailing = 3, hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;  // 0x80..0xC1 and 0xF5..0xFF never lead
    }
    if (end - p <= trailing) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= trailing; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += trailing + 1;
  }
  return true;
}

}  // namespace cairn::base
