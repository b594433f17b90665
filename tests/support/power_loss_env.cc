// PowerLossEnv: see the header for the model and how it compares with
// LevelDB's FaultInjectionTestEnv.
#include "support/power_loss_env.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

namespace cairn::test {
namespace {

using leveldb::Slice;
using leveldb::Status;

// A broken simulation would make every test built on it meaningless: stop.
void require(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "PowerLossEnv: %s\n", what.c_str());
  std::abort();
}

Status power_is_off(const std::string& fname) {
  return Status::IOError(fname, "power lost (PowerLossEnv)");
}

std::string directory_of(const std::string& fname) {
  const auto slash = fname.find_last_of('/');
  return slash == std::string::npos ? std::string() : fname.substr(0, slash);
}

}  // namespace

// Wraps the target Env's file. Append() pushes every byte to the kernel at
// once (the target's own buffer stays empty), so that after power_loss() has
// truncated the file, closing or deleting the target writes nothing: the dead
// database's buffered bytes would otherwise land after the cut.
class PowerLossEnv::File final : public leveldb::WritableFile {
 public:
  File(PowerLossEnv& env, std::string name, std::unique_ptr<leveldb::WritableFile> target,
       std::uint64_t size, std::uint64_t epoch)
      : env_(env), name_(std::move(name)), target_(std::move(target)), size_(size), epoch_(epoch) {}

  ~File() override {
    if (!closed_) Close();
    std::lock_guard lock(env_.mu_);
    env_.file_closed(*this);
  }

  Status Append(const Slice& data) override {
    std::lock_guard lock(env_.mu_);
    return env_.append(*this, data);
  }

  Status Flush() override {
    std::lock_guard lock(env_.mu_);
    return env_.alive(*this) ? Status::OK() : power_is_off(name_);
  }

  Status Sync() override { return env_.sync(*this); }

  Status Close() override {
    std::lock_guard lock(env_.mu_);
    closed_ = true;
    Status s = target_->Close();  // releases the descriptor; nothing is buffered
    return env_.alive(*this) ? s : power_is_off(name_);
  }

  const std::string& name() const { return name_; }
  leveldb::WritableFile& target() { return *target_; }
  std::uint64_t size() const { return size_; }
  void grew(std::size_t bytes) { size_ += bytes; }
  std::uint64_t epoch() const { return epoch_; }

 private:
  PowerLossEnv& env_;
  const std::string name_;
  const std::unique_ptr<leveldb::WritableFile> target_;
  std::uint64_t size_;  // bytes in the file, as this object wrote them
  const std::uint64_t epoch_;
  bool closed_ = false;
};

PowerLossEnv::PowerLossEnv(RealFsync real_fsync, leveldb::Env* target)
    : leveldb::EnvWrapper(target), real_fsync_(real_fsync) {}

PowerLossEnv::~PowerLossEnv() {
  std::lock_guard lock(mu_);
  require(open_files_ == 0, "destroyed while a file is open: delete the database first");
}

void PowerLossEnv::power_loss() {
  std::lock_guard lock(mu_);
  if (!powered_) return;
  powered_ = false;
  drop_unsynced();
}

void PowerLossEnv::restore() {
  std::lock_guard lock(mu_);
  require(!powered_, "restore() without power_loss()");
  require(open_files_ == 0, "restore() while a file of the dead database is open: delete it first");
  powered_ = true;
  ++epoch_;
  tracked_.clear();  // what power_loss() left is all durable
  created_since_dir_sync_.clear();
  writes_until_failure_ = 0;
  syncs_until_failure_ = 0;
}

void PowerLossEnv::fail_writes_after(int n) {
  require(n >= 1, "fail_writes_after(n) needs n >= 1");
  std::lock_guard lock(mu_);
  writes_until_failure_ = n;
}

void PowerLossEnv::fail_syncs_after(int n) {
  require(n >= 1, "fail_syncs_after(n) needs n >= 1");
  std::lock_guard lock(mu_);
  syncs_until_failure_ = n;
}

Status PowerLossEnv::NewWritableFile(const std::string& fname, leveldb::WritableFile** result) {
  return open_file(fname, /*append=*/false, result);
}

Status PowerLossEnv::NewAppendableFile(const std::string& fname, leveldb::WritableFile** result) {
  return open_file(fname, /*append=*/true, result);
}

Status PowerLossEnv::RemoveFile(const std::string& fname) {
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(fname);
  Status s = target()->RemoveFile(fname);
  if (s.ok()) {  // durable at once, as in LevelDB's test: a removal is never undone
    tracked_.erase(fname);
    created_since_dir_sync_.erase(fname);
  }
  return s;
}

Status PowerLossEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(from);
  Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  // Durable at once, as in LevelDB's test; the file's tracking moves with it,
  // so a renamed file that was never made durable still goes at the cut.
  tracked_.erase(to);
  created_since_dir_sync_.erase(to);
  if (auto node = tracked_.extract(from)) {
    node.key() = to;
    tracked_.insert(std::move(node));
  }
  if (created_since_dir_sync_.erase(from) != 0) created_since_dir_sync_.insert(to);
  return s;
}

Status PowerLossEnv::CreateDir(const std::string& dirname) {
  std::lock_guard lock(mu_);
  return powered_ ? target()->CreateDir(dirname) : power_is_off(dirname);
}

Status PowerLossEnv::RemoveDir(const std::string& dirname) {
  std::lock_guard lock(mu_);
  return powered_ ? target()->RemoveDir(dirname) : power_is_off(dirname);
}

// The info LOG is neither synced nor read back, so it is not tracked; like
// every file, it cannot be created after the cut.
Status PowerLossEnv::NewLogger(const std::string& fname, leveldb::Logger** result) {
  std::lock_guard lock(mu_);
  if (powered_) return target()->NewLogger(fname, result);
  *result = nullptr;
  return power_is_off(fname);
}

Status PowerLossEnv::open_file(const std::string& fname, bool append,
                               leveldb::WritableFile** result) {
  *result = nullptr;
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(fname);
  const bool existed = target()->FileExists(fname);
  leveldb::WritableFile* real = nullptr;
  Status s =
      append ? target()->NewAppendableFile(fname, &real) : target()->NewWritableFile(fname, &real);
  if (!s.ok()) return s;
  std::unique_ptr<leveldb::WritableFile> owned(real);
  std::uint64_t size = 0;
  if (append && existed) {
    s = target()->GetFileSize(fname, &size);
    if (!s.ok()) return s;
    // A file no one wrote through this Env since the last restore() holds
    // only durable bytes; a tracked one keeps what it had.
    tracked_.try_emplace(fname, Durability{size, false});
  } else {
    // New, or emptied by NewWritableFile: nothing of it is durable, not even
    // its name until its directory is synced (LevelDB's test does the same for
    // a truncated file).
    tracked_.insert_or_assign(fname, Durability{});
    created_since_dir_sync_.insert(fname);
  }
  ++open_files_;
  *result = new File(*this, fname, std::move(owned), size, epoch_);
  return s;
}

bool PowerLossEnv::alive(const File& file) const { return powered_ && file.epoch() == epoch_; }

void PowerLossEnv::file_closed(const File& file) {
  if (file.epoch() == epoch_) --open_files_;
}

// A countdown of 0 is disarmed; the call that brings it to 0 is the one to fail.
bool PowerLossEnv::take_fault(int& countdown) { return countdown > 0 && --countdown == 0; }

Status PowerLossEnv::append(File& file, const Slice& data) {
  if (!alive(file)) return power_is_off(file.name());
  if (take_fault(writes_until_failure_)) {
    return Status::IOError(file.name(), "injected write failure (PowerLossEnv)");
  }
  Status s = file.target().Append(data);
  if (s.ok()) s = file.target().Flush();
  if (s.ok()) file.grew(data.size());
  return s;
}

Status PowerLossEnv::sync(File& file) {
  syncs_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t size = 0;
  {
    std::lock_guard lock(mu_);
    if (!alive(file)) return power_is_off(file.name());
    if (take_fault(syncs_until_failure_)) {
      if (auto it = tracked_.find(file.name()); it != tracked_.end()) it->second.sync_failed = true;
      return Status::IOError(file.name(), "injected sync failure (PowerLossEnv)");
    }
    size = file.size();  // only this thread appends to the file
  }
  // The fsync runs unlocked so other files keep going; if the power goes
  // meanwhile, the sync did not finish before the cut and makes nothing durable.
  Status s = real_fsync_ == RealFsync::kYes ? file.target().Sync() : Status::OK();
  std::lock_guard lock(mu_);
  if (!alive(file)) return power_is_off(file.name());
  auto it = tracked_.find(file.name());
  if (!s.ok()) {
    if (it != tracked_.end()) it->second.sync_failed = true;
    return s;
  }
  if (it != tracked_.end() && !it->second.sync_failed) it->second.synced_size = size;
  if (created_since_dir_sync_.contains(file.name())) directory_synced(file.name());
  return s;
}

// LevelDB's test: syncing a file created since the last directory sync syncs
// its directory, which makes every name created in it durable.
void PowerLossEnv::directory_synced(const std::string& fname) {
  const std::string dir = directory_of(fname);
  std::erase_if(created_since_dir_sync_,
                [&](const std::string& name) { return directory_of(name) == dir; });
}

// What the disk holds after the cut: no name that was not made durable, and no
// byte past the last successful sync of each file.
void PowerLossEnv::drop_unsynced() {
  for (const std::string& name : created_since_dir_sync_) {
    Status s = target()->RemoveFile(name);
    require(s.ok() || s.IsNotFound(), "cannot remove " + name + ": " + s.ToString());
    tracked_.erase(name);
  }
  created_since_dir_sync_.clear();
  for (const auto& [name, durability] : tracked_) {
    std::uint64_t size = 0;
    if (!target()->GetFileSize(name, &size).ok() || size <= durability.synced_size) continue;
    std::error_code ec;
    std::filesystem::resize_file(name, durability.synced_size, ec);
    require(!ec, "cannot truncate " + name + ": " + ec.message());
  }
}

}  // namespace cairn::test
