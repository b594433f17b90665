// ManualStore: a DurableStore that commits only when the test says so, on the
// test's thread, so a test can look at the world between submit and commit
// (DESIGN.md §7). It records every batch; fail_all() turns it into a failed
// store (D8) whose pending and later batches complete with an error.
#pragma once

#include <deque>
#include <system_error>
#include <utility>
#include <vector>

#include "storage/durable_store.h"

namespace cairn::test {

class ManualStore final : public storage::DurableStore {
 public:
  void submit(storage::Batch batch, Completion done) override {
    if (failed_) {
      done(storage::StoreErrc::kFailed);
      return;
    }
    submitted_.push_back(batch);
    pending_.emplace_back(std::move(batch), std::move(done));
  }
  bool failed() const noexcept override { return failed_; }
  bool space_low() const noexcept override { return space_low_; }
  void set_space_low(bool low) { space_low_ = low; }
  void close() override { commit_all(); }

  std::size_t pending() const { return pending_.size(); }
  // Every batch ever submitted, in order.
  const std::vector<storage::Batch>& submitted() const { return submitted_; }

  // Commits the oldest pending batch. Returns false when none is pending.
  bool commit_next() {
    if (pending_.empty()) return false;
    auto [batch, done] = std::move(pending_.front());
    pending_.pop_front();
    committed_.push_back(std::move(batch));
    done(std::error_code{});
    return true;
  }
  void commit_all() {
    while (commit_next()) {
    }
  }
  const std::vector<storage::Batch>& committed() const { return committed_; }

  // The store fails: what is pending and everything after fails too.
  void fail_all() {
    failed_ = true;
    while (!pending_.empty()) {
      auto [batch, done] = std::move(pending_.front());
      pending_.pop_front();
      done(storage::StoreErrc::kIo);
    }
  }

  // Operations of type Op across all committed batches.
  template <class Op>
  std::vector<Op> committed_operations() const {
    std::vector<Op> out;
    for (const auto& b : committed_) {
      for (const auto& op : b.operations) {
        if (const Op* o = std::get_if<Op>(&op)) out.push_back(*o);
      }
    }
    return out;
  }

 private:
  bool failed_ = false;
  bool space_low_ = false;
  std::deque<std::pair<storage::Batch, Completion>> pending_;
  std::vector<storage::Batch> submitted_;
  std::vector<storage::Batch> committed_;
};

}  // namespace cairn::test
