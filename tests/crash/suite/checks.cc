#include "suite/checks.h"

#include <algorithm>

namespace cairn::crashtest {
namespace {

const std::vector<std::uint32_t>& seen_of(const Subscriber::Counts& c, const std::string& stream) {
  static const std::vector<std::uint32_t> none;
  const auto it = c.seen.find(stream);
  return it == c.seen.end() ? none : it->second;
}

}  // namespace

bool DrainWatch::has_all(const Subscriber& s, const std::vector<StreamFates>& streams) {
  for (const StreamFates& f : streams) {
    if (f.spec->expiry_s > 0) continue;
    std::size_t& from = from_[{&s, f.spec->name}];
    from = s.first_missing(f.spec->name, f.fates, from);
    if (from < f.fates.size()) return false;
  }
  return true;
}

bool DrainWatch::has_all(const std::vector<const Subscriber*>& group,
                         const std::vector<StreamFates>& streams) {
  if (group.empty()) return streams.empty();
  for (const StreamFates& f : streams) {
    if (f.spec->expiry_s > 0) continue;
    std::size_t& from = from_[{group.front(), f.spec->name}];
    const auto arrived = [&](std::size_t seq) {
      return std::any_of(group.begin(), group.end(),
                         [&](const Subscriber* m) { return m->seen(f.spec->name, seq) > 0; });
    };
    while (from < f.fates.size() && (f.fates[from] != Fate::kAcked || arrived(from))) ++from;
    if (from < f.fates.size()) return false;
  }
  return true;
}

void check_streams(const std::string& who, const Subscriber::Counts& counts,
                   const std::vector<StreamFates>& streams, Tally& tally) {
  for (const std::string& u : counts.unpublished) {
    ++tally.unpublished;
    tally.problem(who + ": received " + u + ", which nobody published");
  }
  for (const StreamFates& s : streams) {
    const StreamSpec& spec = *s.spec;
    const auto& seen = seen_of(counts, spec.name);
    std::uint64_t lost = 0, refused = 0, dup2 = 0;
    for (std::size_t seq = 0; seq < std::max(seen.size(), s.fates.size()); ++seq) {
      const std::uint32_t count = seq < seen.size() ? seen[seq] : 0;
      const std::string id = payload_of(spec.name, seq);
      if (seq >= s.fates.size()) {
        if (count > 0) {
          ++tally.unpublished;
          tally.problem(who + ": received " + id + ", which was never sent");
        }
        continue;
      }
      if (s.fates[seq] == Fate::kRefused && count > 0) {
        // Refused with a reason code: never published (the publisher may
        // send it again as a new message).
        ++tally.unpublished;
        if (refused++ < 3) tally.problem(who + ": " + id + " was refused, yet delivered");
      } else if (s.fates[seq] == Fate::kAcked && count == 0 && spec.expiry_s == 0) {
        ++tally.lost;
        if (lost++ < 5) tally.problem(who + ": LOST " + id + " (acknowledged)");
      }
      if (count > 1) {
        if (spec.qos == 2) {
          tally.duplicated_qos2 += count - 1;
          if (dup2++ < 5) {
            tally.problem(who + ": QoS 2 message " + id + " delivered " + std::to_string(count) +
                          " times");
          }
        } else {
          tally.duplicated_qos1 += count - 1;
        }
      }
    }
  }
}

Subscriber::Counts merge(const std::vector<Subscriber::Counts>& members) {
  Subscriber::Counts all;
  for (const Subscriber::Counts& m : members) {
    all.deliveries += m.deliveries;
    all.unpublished.insert(all.unpublished.end(), m.unpublished.begin(), m.unpublished.end());
    for (const auto& [stream, seen] : m.seen) {
      auto& total = all.seen[stream];
      if (total.size() < seen.size()) total.resize(seen.size(), 0);
      for (std::size_t i = 0; i < seen.size(); ++i) total[i] += seen[i];
    }
    if (m.first_after_connect) {
      all.first_after_connect = std::min(all.first_after_connect.value_or(*m.first_after_connect),
                                         *m.first_after_connect);
    }
  }
  return all;
}

}  // namespace cairn::crashtest
