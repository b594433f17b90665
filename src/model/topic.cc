#include "model/topic.h"

namespace cairn::model {
namespace {

// The wildcard rules for a filter that is not a shared subscription.
bool is_valid_plain_filter(std::string_view filter) noexcept {
  if (filter.empty()) return false;
  std::size_t level_start = 0;
  for (std::size_t i = 0; i <= filter.size(); ++i) {
    if (i < filter.size() && filter[i] != '/') continue;
    const std::string_view level = filter.substr(level_start, i - level_start);
    if (level.size() > 1 && has_wildcard(level)) return false;
    if (level == "#" && i != filter.size()) return false;
    level_start = i + 1;
  }
  return true;
}

}  // namespace

bool is_valid_topic_name(std::string_view name) noexcept {
  return !name.empty() && !has_wildcard(name);
}

bool is_valid_topic_filter(std::string_view filter) noexcept {
  if (!filter.starts_with(kSharedPrefix)) return is_valid_plain_filter(filter);
  const std::string_view rest = filter.substr(kSharedPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  if (has_wildcard(rest.substr(0, slash))) return false;
  return is_valid_plain_filter(rest.substr(slash + 1));
}

std::optional<SharedSubscription> parse_shared_subscription(std::string_view filter) noexcept {
  if (!filter.starts_with(kSharedPrefix)) return std::nullopt;
  const std::string_view rest = filter.substr(kSharedPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return SharedSubscription{rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace cairn::model
