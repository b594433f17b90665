// The checks cairn-crashtest makes of what subscribers received, against
// what publishers were told (workload.h). Pure: counts in, verdicts out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "suite/workload.h"

namespace cairn::crashtest {

// One stream as its publisher left it: the fate of every message sent.
struct StreamFates {
  const StreamSpec* spec = nullptr;
  std::vector<Fate> fates;
};

struct Tally {
  std::uint64_t lost = 0;
  std::uint64_t duplicated_qos1 = 0;  // allowed: at least once
  std::uint64_t duplicated_qos2 = 0;
  std::uint64_t unpublished = 0;  // never sent, or refused, yet received
  std::vector<std::string> problems;
  void problem(std::string what) {
    if (problems.size() < 40) problems.push_back(std::move(what));
  }
};

// Whether a subscriber has received every acknowledged message of `streams`
// (a stream with a Message Expiry Interval may lose messages to it:
// skipped), polled while it drains: what a subscriber has received stays
// received, so each stream is scanned from where the last call stopped,
// over the whole run, and nothing is copied.
class DrainWatch {
 public:
  bool has_all(const Subscriber& s, const std::vector<StreamFates>& streams);
  // The same for the members of a shared subscription, counted as one
  // subscriber (each message goes to one of them).
  bool has_all(const std::vector<const Subscriber*>& group,
               const std::vector<StreamFates>& streams);

 private:
  std::map<std::pair<const Subscriber*, std::string>, std::size_t> from_;
};

// `who` received `counts` and should have received `streams`: every
// acknowledged message at least once (but for streams with expiry), a QoS 2
// message at most once, nothing refused or never sent.
void check_streams(const std::string& who, const Subscriber::Counts& counts,
                   const std::vector<StreamFates>& streams, Tally& tally);

// The members of a shared subscription, counted as one subscriber: each
// message goes to one member of the group.
Subscriber::Counts merge(const std::vector<Subscriber::Counts>& members);

}  // namespace cairn::crashtest
