// DeliveryQueue: a session's deliveries waiting to be sent, oldest first,
// with the footprint they add up to (model::footprint), which the queue
// limits and the memory window count in bytes as well as in messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/ring_queue.h"
#include "session/delivery.h"

namespace cairn::session {

class DeliveryQueue {
 public:
  using const_iterator = base::RingQueue<Delivery>::const_iterator;

  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  // The footprint of every delivery queued.
  std::uint64_t bytes() const noexcept { return bytes_; }

  const Delivery& front() const noexcept { return items_.front(); }
  const Delivery& back() const noexcept { return items_.back(); }
  const Delivery& operator[](std::size_t i) const noexcept { return items_[i]; }
  const Delivery& at(std::size_t i) const { return items_.at(i); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }

  void push_back(Delivery d) {
    bytes_ += weight(d);
    items_.push_back(std::move(d));
  }
  // REQUIRES: !empty().
  Delivery take_front() {
    Delivery d = std::move(items_.front());
    items_.pop_front();
    bytes_ -= weight(d);
    return d;
  }
  void clear() noexcept {
    items_.clear();
    bytes_ = 0;
  }

 private:
  static std::uint64_t weight(const Delivery& d) noexcept {
    return d.message ? model::footprint(*d.message) : 0;
  }

  base::RingQueue<Delivery> items_;
  std::uint64_t bytes_ = 0;
};

}  // namespace cairn::session
