#include "load/sequence_tracker.h"

namespace cairn::load {

SequenceTracker::Verdict SequenceTracker::on_receive(std::uint64_t sequence) {
  const std::uint64_t word = sequence / 64;
  if (word < base_word_) {  // every sequence below base_word_ * 64 has been seen
    ++duplicates_;
    return Verdict::kDuplicate;
  }
  const std::size_t index = head_ + static_cast<std::size_t>(word - base_word_);
  if (index >= words_.size()) words_.resize(index + 1, 0);
  const std::uint64_t bit = std::uint64_t{1} << (sequence % 64);
  if (words_[index] & bit) {
    ++duplicates_;
    return Verdict::kDuplicate;
  }
  words_[index] |= bit;
  ++distinct_;
  Verdict verdict = Verdict::kNew;
  if (sequence < front_) {
    ++reordered_;
    verdict = Verdict::kReordered;
  } else {
    front_ = sequence + 1;
  }
  // Drop the words that are complete, compacting now and then.
  while (head_ < words_.size() && words_[head_] == ~std::uint64_t{0}) {
    ++head_;
    ++base_word_;
  }
  if (head_ >= 1024 && head_ * 2 >= words_.size()) {
    words_.erase(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  return verdict;
}

}  // namespace cairn::load
