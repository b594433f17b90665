// SequenceTracker: what one subscriber has received of one publisher's
// sequence numbers, to count duplicates, reordering and (at the end) loss.
//
// A bitmap of sequence numbers seen, starting at the lowest one not yet seen:
// words below it are dropped, so memory follows the gaps, not the run length.
// Owned by the subscriber's thread; nothing here is shared.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::load {

class SequenceTracker {
 public:
  enum class Verdict {
    kNew,        // first time seen, above every sequence seen before (gaps allowed)
    kReordered,  // first time seen, below the highest seen
    kDuplicate,  // seen before
  };

  Verdict on_receive(std::uint64_t sequence);

  // One past the highest sequence seen: how far the stream has come.
  std::uint64_t front() const noexcept { return front_; }
  std::uint64_t distinct() const noexcept { return distinct_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  std::uint64_t reordered() const noexcept { return reordered_; }

 private:
  std::vector<std::uint64_t> words_;  // words_[head_] holds bits base_word_ * 64 onwards
  std::size_t head_ = 0;
  std::uint64_t base_word_ = 0;
  std::uint64_t front_ = 0;
  std::uint64_t distinct_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t reordered_ = 0;
};

}  // namespace cairn::load
