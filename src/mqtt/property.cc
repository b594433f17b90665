#include "mqtt/property.h"

#include <array>

namespace cairn::mqtt {
namespace {

constexpr std::array kProperties{
#define CAIRN_X(id, enumerator, member, type, name, scope) \
  PropertyInfo{PropertyId::enumerator, PropertyType::type, name, scope},
    CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
};

// Wire identifier -> index into kProperties + 1 (0: no such property).
constexpr std::array<std::uint8_t, 256> kIndexById = [] {
  std::array<std::uint8_t, 256> index{};
  for (std::size_t i = 0; i < kProperties.size(); ++i) {
    index[static_cast<std::uint8_t>(kProperties[i].id)] = static_cast<std::uint8_t>(i + 1);
  }
  return index;
}();

template <class T>
bool is_present(const std::optional<T>& value) {
  return value.has_value();
}
template <class T>
bool is_present(const std::vector<T>& values) {
  return !values.empty();
}

}  // namespace

std::span<const PropertyInfo> all_properties() noexcept { return kProperties; }

const PropertyInfo* find_property(std::uint8_t id) noexcept {
  const std::uint8_t slot = kIndexById[id];
  return slot == 0 ? nullptr : &kProperties[slot - 1];
}

bool Properties::empty() const noexcept {
#define CAIRN_X(id, enumerator, member, type, name, scope) \
  if (is_present(member)) return false;
  CAIRN_MQTT_PROPERTIES(CAIRN_X)
#undef CAIRN_X
  return true;
}

}  // namespace cairn::mqtt
