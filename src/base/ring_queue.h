// RingQueue: a FIFO on one circular array, for the per-session queues (queued
// deliveries, in-flight messages, pending acknowledgements).
//
// Why not std::deque: libstdc++'s deque allocates a 512-byte block and its map
// as soon as it is constructed, so the four queues of every idle connection
// would cost ~2.4 kB before a single message. A RingQueue allocates nothing
// until its first push, grows by doubling, and gives its memory back once it
// empties after a burst, so a connection that has gone quiet costs little.
//
// Erasing from the middle shifts the later elements: the in-flight window it
// is used for is small, and acknowledgements mostly come in order.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>

#include "base/check.h"

namespace cairn::base {

template <class T>
class RingQueue {
  template <class Q, class V>
  class Iter {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = V*;
    using reference = V&;

    Iter() = default;
    Iter(Q* queue, std::size_t index) : queue_(queue), index_(index) {}
    // A const iterator from a mutable one.
    template <class Q2, class V2>
    Iter(const Iter<Q2, V2>& other)  // NOLINT(google-explicit-constructor)
        : queue_(other.queue_), index_(other.index_) {}

    reference operator*() const { return (*queue_)[index_]; }
    pointer operator->() const { return &(*queue_)[index_]; }
    reference operator[](difference_type n) const { return *(*this + n); }
    Iter& operator++() { return ++index_, *this; }
    Iter operator++(int) { return Iter(queue_, index_++); }
    Iter& operator--() { return --index_, *this; }
    Iter operator--(int) { return Iter(queue_, index_--); }
    Iter& operator+=(difference_type n) { return index_ += n, *this; }
    Iter& operator-=(difference_type n) { return index_ -= n, *this; }
    friend Iter operator+(Iter it, difference_type n) { return it += n; }
    friend Iter operator+(difference_type n, Iter it) { return it += n; }
    friend Iter operator-(Iter it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iter& a, const Iter& b) {
      return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.index_ == b.index_; }
    friend auto operator<=>(const Iter& a, const Iter& b) { return a.index_ <=> b.index_; }

   private:
    template <class, class>
    friend class Iter;
    friend class RingQueue;
    Q* queue_ = nullptr;
    std::size_t index_ = 0;
  };

 public:
  using value_type = T;
  using size_type = std::size_t;
  using reference = T&;
  using const_reference = const T&;
  using iterator = Iter<RingQueue, T>;
  using const_iterator = Iter<const RingQueue, const T>;

  RingQueue() = default;
  RingQueue(const RingQueue& other) { *this = other; }
  RingQueue(RingQueue&& other) noexcept { swap(other); }
  RingQueue& operator=(const RingQueue& other) {
    if (this == &other) return *this;
    clear();
    for (const T& v : other) push_back(v);
    return *this;
  }
  RingQueue& operator=(RingQueue&& other) noexcept {
    RingQueue(std::move(other)).swap(*this);
    return *this;
  }
  ~RingQueue() { release(); }

  void swap(RingQueue& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }

  T& operator[](std::size_t i) noexcept { return data_[slot(i)]; }
  const T& operator[](std::size_t i) const noexcept { return data_[slot(i)]; }
  T& at(std::size_t i) {
    CAIRN_CHECK(i < size_, "RingQueue::at out of range");
    return (*this)[i];
  }
  const T& at(std::size_t i) const {
    CAIRN_CHECK(i < size_, "RingQueue::at out of range");
    return (*this)[i];
  }
  T& front() noexcept { return (*this)[0]; }
  const T& front() const noexcept { return (*this)[0]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  const T& back() const noexcept { return (*this)[size_ - 1]; }

  iterator begin() noexcept { return iterator(this, 0); }
  iterator end() noexcept { return iterator(this, size_); }
  const_iterator begin() const noexcept { return const_iterator(this, 0); }
  const_iterator end() const noexcept { return const_iterator(this, size_); }

  void push_back(const T& value) { emplace_back(value); }
  void push_back(T&& value) { emplace_back(std::move(value)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) grow();
    T* p = &data_[slot(size_)];
    std::construct_at(p, std::forward<Args>(args)...);
    ++size_;
    return *p;
  }

  void pop_front() noexcept {
    std::destroy_at(&data_[head_]);
    head_ = (head_ + 1) & (capacity_ - 1);
    if (--size_ == 0) shrink_when_empty();
  }

  // Removes the element at `pos` and returns the iterator to the one after.
  iterator erase(const_iterator pos) {
    const std::size_t index = pos.index_;
    if (index == 0) {
      pop_front();
      return begin();
    }
    for (std::size_t i = index; i + 1 < size_; ++i) (*this)[i] = std::move((*this)[i + 1]);
    std::destroy_at(&(*this)[size_ - 1]);
    --size_;
    return iterator(this, index);
  }

  void clear() noexcept {
    clear_elements();
    shrink_when_empty();
  }

 private:
  // An emptied queue keeps a small array for the next message and gives a
  // large one back: one burst must not pin its size.
  static constexpr std::size_t kKeptCapacity = 64;

  std::size_t slot(std::size_t i) const noexcept { return (head_ + i) & (capacity_ - 1); }

  void grow() {
    const std::size_t capacity = capacity_ == 0 ? 4 : capacity_ * 2;
    T* data = std::allocator<T>().allocate(capacity);
    for (std::size_t i = 0; i < size_; ++i) {
      std::construct_at(&data[i], std::move((*this)[i]));
      std::destroy_at(&(*this)[i]);
    }
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = data;
    capacity_ = capacity;
    head_ = 0;
  }

  void shrink_when_empty() noexcept {
    head_ = 0;
    if (capacity_ > kKeptCapacity) release();
  }

  void release() noexcept {
    clear_elements();
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = nullptr;
    capacity_ = 0;
    head_ = 0;
  }

  void clear_elements() noexcept {
    while (size_ > 0) {
      std::destroy_at(&data_[head_]);
      head_ = (head_ + 1) & (capacity_ - 1);
      --size_;
    }
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;  // 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace cairn::base
