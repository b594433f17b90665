// Internal to the codec: the Properties block of a packet ([MQTT-2.2.2]).
#pragma once

#include <cstddef>

#include "mqtt/property.h"
#include "mqtt/wire_format.h"

namespace cairn::mqtt {

// Reads a Property Length and the properties it covers into `out`, checking
// that each may appear where `scope` says (one packet type, or kInWill), that
// no single-valued property repeats, and that values are in range. Failures
// are recorded in `r`.
void read_properties(wire::Reader& r, PropertyScope scope, Properties& out);

// Bytes of the properties themselves, without the Property Length in front.
std::size_t properties_size(const Properties& properties) noexcept;

// Writes the Property Length (`size`, from properties_size) and the properties
// in ascending identifier order.
void write_properties(wire::Writer& w, const Properties& properties, std::size_t size) noexcept;

}  // namespace cairn::mqtt
