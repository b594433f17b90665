// PowerLossEnv: see the header for the model and how it compares with
// LevelDB's FaultInjectionTestEnv.
#include "support/power_loss_env.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>
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

// As DurableNamesEnv names a file's directory.
std::string directory_of(const std::string& fname) {
  const auto slash = fname.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return fname.substr(0, slash);
}

std::string base_name(const std::string& fname) {
  const auto slash = fname.find_last_of('/');
  return slash == std::string::npos ? fname : fname.substr(slash + 1);
}

// The files kept for undoing removals and renames are named so.
constexpr std::string_view kKeptPrefix = ".powerloss-";

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

void PowerLossEnv::power_loss_keeping(std::size_t name_changes) {
  std::vector<std::pair<void (*)(void*), void*>> held;
  {
    std::lock_guard lock(mu_);
    if (!powered_) return;
    powered_ = false;
    drop_unsynced(name_changes);
    held.swap(held_background_);
    hold_background_ = false;
  }
  // LevelDB waits for its scheduled work before a database can be deleted:
  // it runs now, after the cut, and fails.
  for (const auto& [function, arg] : held) function(arg);
}

std::size_t PowerLossEnv::unsynced_name_changes() const {
  std::lock_guard lock(mu_);
  return name_changes_.size();
}

void PowerLossEnv::hold_background_work() {
  std::lock_guard lock(mu_);
  hold_background_ = true;
}

void PowerLossEnv::restore() {
  std::lock_guard lock(mu_);
  require(!powered_, "restore() without power_loss()");
  require(open_files_ == 0, "restore() while a file of the dead database is open: delete it first");
  powered_ = true;
  ++epoch_;
  tracked_.clear();  // what power_loss() left is all durable
  require(name_changes_.empty() && held_background_.empty(), "power_loss() left work behind");
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

// The file is moved aside, not removed, until its directory is synced: the
// cut may bring it back.
Status PowerLossEnv::RemoveFile(const std::string& fname) {
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(fname);
  if (!target()->FileExists(fname)) return target()->RemoveFile(fname);  // its error
  NameChange change(NameChange::Kind::kRemoved, fname);
  keep_aside(fname, change);
  name_changes_.push_back(std::move(change));
  return Status::OK();
}

// The file's tracking moves with it, so a renamed file that was never made
// durable still loses its bytes at the cut; a file it replaces is moved aside.
Status PowerLossEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(from);
  require(directory_of(from) == directory_of(to), "a rename across directories: " + from);
  if (!target()->FileExists(from)) return target()->RenameFile(from, to);  // its error
  NameChange change(NameChange::Kind::kRenamed, to, from);
  if (target()->FileExists(to)) keep_aside(to, change);
  Status s = target()->RenameFile(from, to);
  require(s.ok(), "cannot rename " + from + ": " + s.ToString());
  if (auto node = tracked_.extract(from)) {
    node.key() = to;
    tracked_.insert(std::move(node));
  }
  name_changes_.push_back(std::move(change));
  return s;
}

Status PowerLossEnv::CreateDir(const std::string& dirname) {
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(dirname);
  Status s = target()->CreateDir(dirname);
  if (s.ok()) name_changes_.emplace_back(NameChange::Kind::kCreatedDir, dirname);
  return s;
}

Status PowerLossEnv::RemoveDir(const std::string& dirname) {
  std::lock_guard lock(mu_);
  return powered_ ? target()->RemoveDir(dirname) : power_is_off(dirname);
}

// The info LOG is neither synced nor read back, so it is not tracked; like
// every file, it cannot be created after the cut.
Status PowerLossEnv::NewLogger(const std::string& fname, leveldb::Logger** result) {
  std::lock_guard lock(mu_);
  if (!powered_) {
    *result = nullptr;
    return power_is_off(fname);
  }
  const bool existed = target()->FileExists(fname);
  Status s = target()->NewLogger(fname, result);
  if (s.ok() && !existed) name_changes_.emplace_back(NameChange::Kind::kCreated, fname);
  return s;
}

Status PowerLossEnv::GetChildren(const std::string& dir, std::vector<std::string>* result) {
  Status s = target()->GetChildren(dir, result);
  std::erase_if(*result, [](const std::string& name) { return name.starts_with(kKeptPrefix); });
  return s;
}

void PowerLossEnv::Schedule(void (*function)(void*), void* arg) {
  {
    std::lock_guard lock(mu_);
    if (hold_background_) {
      held_background_.emplace_back(function, arg);
      return;
    }
  }
  target()->Schedule(function, arg);
}

Status PowerLossEnv::sync_directory(const std::string& directory) {
  std::lock_guard lock(mu_);
  if (!powered_) return power_is_off(directory);
  if (real_fsync_ == RealFsync::kYes) {
    Status s = storage::fsync_directory(directory);
    if (!s.ok()) return s;
  }
  directory_synced(directory);
  return Status::OK();
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
    // New, or emptied by NewWritableFile: none of its bytes are durable, and
    // a new name is not until its directory is synced.
    tracked_.insert_or_assign(fname, Durability{});
    if (!existed) name_changes_.emplace_back(NameChange::Kind::kCreated, fname);
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
  // LevelDB's POSIX Env fsyncs the directory whenever it syncs a MANIFEST
  // (PosixWritableFile::SyncDirIfManifest).
  if (base_name(file.name()).starts_with("MANIFEST")) directory_synced(directory_of(file.name()));
  return s;
}

void PowerLossEnv::directory_synced(const std::string& directory) {
  std::erase_if(name_changes_, [&](const NameChange& change) {
    if (directory_of(change.name) != directory) return false;
    forget(change);
    return true;
  });
}

void PowerLossEnv::keep_aside(const std::string& name, NameChange& change) {
  change.kept = directory_of(name) + "/" + std::string(kKeptPrefix) + std::to_string(++kept_files_);
  Status s = target()->RenameFile(name, change.kept);
  require(s.ok(), "cannot move " + name + " aside: " + s.ToString());
  if (auto it = tracked_.find(name); it != tracked_.end()) {
    change.kept_durability = it->second;
    tracked_.erase(it);
  }
}

// Puts back what was there before `change`, the changes after it undone.
void PowerLossEnv::undo(const NameChange& change) {
  auto move = [&](const std::string& from, const std::string& to) {
    Status s = target()->RenameFile(from, to);
    require(s.ok(), "cannot move " + from + " back: " + s.ToString());
  };
  switch (change.kind) {
    case NameChange::Kind::kCreated: {
      Status s = target()->RemoveFile(change.name);
      require(s.ok() || s.IsNotFound(), "cannot remove " + change.name + ": " + s.ToString());
      tracked_.erase(change.name);
      return;
    }
    case NameChange::Kind::kCreatedDir: {
      std::error_code ec;
      std::filesystem::remove_all(change.name, ec);
      require(!ec, "cannot remove " + change.name + ": " + ec.message());
      return;
    }
    case NameChange::Kind::kRenamed:
      move(change.name, change.from);
      if (auto node = tracked_.extract(change.name)) {
        node.key() = change.from;
        tracked_.insert(std::move(node));
      }
      break;
    case NameChange::Kind::kRemoved:
      break;
  }
  if (change.kept.empty()) return;
  move(change.kept, change.name);
  if (change.kept_durability) tracked_.insert_or_assign(change.name, *change.kept_durability);
}

// A change made durable: the file it kept aside is gone for good.
void PowerLossEnv::forget(const NameChange& change) {
  if (change.kept.empty()) return;
  Status s = target()->RemoveFile(change.kept);
  require(s.ok(), "cannot remove " + change.kept + ": " + s.ToString());
}

// What the disk holds after the cut: the first `keep` name changes and none
// of the others, and no byte past the last successful sync of each file.
void PowerLossEnv::drop_unsynced(std::size_t keep) {
  keep = std::min(keep, name_changes_.size());
  for (std::size_t i = name_changes_.size(); i-- > keep;) undo(name_changes_[i]);
  for (std::size_t i = 0; i < keep; ++i) forget(name_changes_[i]);
  name_changes_.clear();
  for (const auto& [name, durability] : tracked_) {
    std::uint64_t size = 0;
    if (!target()->GetFileSize(name, &size).ok() || size <= durability.synced_size) continue;
    std::error_code ec;
    std::filesystem::resize_file(name, durability.synced_size, ec);
    require(!ec, "cannot truncate " + name + ": " + ec.message());
  }
}

}  // namespace cairn::test
