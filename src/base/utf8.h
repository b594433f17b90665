// UTF-8 validation as MQTT requires it for every UTF-8 Encoded String.
//
// [MQTT-1.5.4-1]: the data MUST be well-formed UTF-8 as defined by RFC 3629
// (no overlong forms, no code points above U+10FFFF) and MUST NOT encode the
// surrogates U+D800..U+DFFF. [MQTT-1.5.4-2]: it MUST NOT include U+0000.
// Non-characters and control characters are allowed (the specification only
// says a sender SHOULD NOT use them), so a receiver must accept them.
#pragma once

#include <string_view>

namespace cairn::base {

// True when `text` is well-formed UTF-8 with no surrogate and no U+0000.
bool is_valid_mqtt_utf8(std::string_view text) noexcept;

}  // namespace cairn::base
